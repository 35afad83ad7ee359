//! What a WordPress export brings from outside: a post's body (block comments, shortcodes,
//! `[caption]`, paragraphs from blank lines) and an old link's path never panic, and an old
//! link's key is the same however the path's escapes are written.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let body = khobor::import::wordpress::clean_body(text);
    let _ = khobor::domain::text::sanitize_html(&body);
    let (path, query) = match text.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (text, None),
    };
    let key = khobor::domain::urls::redirect_key(path, query);
    let upper = path
        .split('%')
        .enumerate()
        .map(|(i, part)| {
            if i == 0 {
                part.to_owned()
            } else {
                let hex = part.get(..2).filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
                match hex {
                    Some(h) => format!("%{}{}", h.to_ascii_uppercase(), &part[2..]),
                    None => format!("%{part}"),
                }
            }
        })
        .collect::<String>();
    assert_eq!(key, khobor::domain::urls::redirect_key(&upper, query));
});
