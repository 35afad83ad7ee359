//! Any bytes offered as an upload: recognised and cleaned, or refused, within the limits.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    // A million pixels at most: the fuzz build is unoptimised, and the variants of a
    // 3.7-megapixel image (a 35-byte GIF can declare one) took longer there than libFuzzer's
    // 10 s per input. The limit itself is checked before decoding (tests/media.rs).
    let limits = media::Limits {
        max_pixels: 1_000_000,
        ..media::Limits::default()
    };
    if let Ok(original) = media::ingest(bytes, &limits) {
        let _ = media::variants(&original, &limits);
    }
});
