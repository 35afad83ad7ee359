//! One line of a JSONL import: parsed or refused with a message, never a panic; an accepted
//! story's dates are within the years Khobor writes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|line: &str| {
    if let Ok(story) =
        khobor::import::jsonl::parse_line(line, chrono_tz::Asia::Dhaka, 1_700_000_000)
    {
        if let Some(t) = story.published_at {
            assert!(khobor::domain::in_time_range(t));
        }
        assert!(story
            .headline
            .chars()
            .all(khobor::domain::text::is_storable));
    }
});
