//! A WordPress export from outside, read by the importer's own streaming reader (no store):
//! any bytes give items or one error (never a panic, never a hang), the reader stops at the
//! first error, and every item's body goes through the importer's cleaning and the sanitiser.
#![no_main]
use libfuzzer_sys::fuzz_target;

use khobor::import::wordpress::{clean_body, WxrReader};

fuzz_target!(|data: &[u8]| {
    let mut reader = WxrReader::new(data);
    let mut items = 0usize;
    loop {
        match reader.next_item() {
            Ok(Some(item)) => {
                items += 1;
                assert_eq!(reader.items_seen(), items);
                let _ = item.describe();
                let _ = item.post_date();
                let body = clean_body(item.content());
                let _ = khobor::domain::text::sanitize_html(&body);
            }
            Ok(None) => break,
            Err(e) => {
                let _ = e.to_string();
                break;
            }
        }
        // An item needs at least `<item></item>`: more items than that is a reader that
        // repeats itself.
        assert!(items <= data.len() / 13 + 1);
    }
});
