//! Bijoy (SutonnyMJ) text to Unicode on any input: raw legacy bytes, text, and the text of an
//! HTML body never panic; a converted body keeps every tag it had, byte for byte.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = bangla::bijoy::bytes_to_unicode(data);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = bangla::bijoy::detect(text);
    let _ = khobor::domain::bijoy::convert_text(text);
    if let Some(html) = khobor::domain::bijoy::convert_html(text) {
        let tags = |s: &str| -> Vec<String> {
            s.split('<')
                .skip(1)
                .map(|t| t.split('>').next().unwrap_or("").to_owned())
                .collect()
        };
        if text.contains('<') {
            assert_eq!(tags(text), tags(&html), "tags changed");
        }
    }
});
