//! Any reader's query against a small index: planned and answered, or refused, never a panic.
#![no_main]
use std::sync::OnceLock;

use khobor::search::{SearchIndex, SearchRequest};
use libfuzzer_sys::fuzz_target;

fn index() -> &'static SearchIndex {
    static INDEX: OnceLock<SearchIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("khobor-fuzz-search-{}", std::process::id()));
        SearchIndex::open(&dir, bangla::banglish::Transliterator::new())
            .expect("a fresh index opens")
    })
}

fuzz_target!(|q: &str| {
    let req = SearchRequest {
        q: q.to_owned(),
        section: None,
        from: None,
        to: None,
        offset: 0,
        limit: 10,
    };
    let _ = index().search(&req, 1_700_000_000);
});
