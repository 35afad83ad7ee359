//! Any bytes offered as an upload: recognised and cleaned, or refused, within the limits.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let limits = media::Limits {
        max_pixels: 4_000_000,
        ..media::Limits::default()
    };
    if let Ok(original) = media::ingest(bytes, &limits) {
        let _ = media::variants(&original, &limits);
    }
});
