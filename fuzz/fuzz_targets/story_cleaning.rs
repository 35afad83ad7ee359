//! A story from the editor or the API, whatever its fields hold: the cheap limits, cleaning,
//! sanitising and validation never panic, and a cleaned story keeps no control character.
#![no_main]
use libfuzzer_sys::fuzz_target;

use khobor::domain::story::{split_list, StoryFields};
use khobor::domain::text;

fuzz_target!(|input: (&str, &str, &str)| {
    let (headline, body, tags) = input;
    let fields = StoryFields {
        headline: headline.to_owned(),
        body_html: body.to_owned(),
        tags: split_list(tags),
        section_id: 1,
        ..StoryFields::default()
    };
    if !fields.check_raw().is_empty() {
        return;
    }
    let clean = fields.cleaned();
    let _ = clean.validate();
    assert!(clean.headline.chars().all(text::is_storable));
    assert!(clean.body_html.chars().all(text::is_storable));
    let _ = text::html_to_text(&clean.body_html);
    let _ = text::excerpt(&clean.body_text(), 160);
});
