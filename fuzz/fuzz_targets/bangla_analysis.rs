//! The Bengali analysis chain on any text: normalising, tokenising (offsets must slice the
//! input), stemming and Banglish transliteration never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let normal = bangla::normalise::normalise_for_search(text);
    for token in bangla::tokenise::tokenise(text) {
        assert!(text.get(token.start..token.end).is_some());
        let _ = bangla::stem::stem(&token.text);
    }
    for word in normal.split_whitespace().take(20) {
        if bangla::banglish::is_latin_word(word) {
            let _ = bangla::banglish::transliterate(word);
            let _ = bangla::banglish::phonetic_regex(word);
            let _ = bangla::banglish::candidates(word, 5);
        }
    }
    let _ = bangla::slug::slugify(text);
});
