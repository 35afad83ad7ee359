//! Bringing stories in from outside. Each format parses and validates its input into
//! `storage::articles::NewArticle` and writes through the store (`jsonl`, `wordpress`). May
//! import `domain`, `storage`.

pub mod bijoy;
pub mod export;
pub mod jsonl;
pub mod wordpress;

pub use jsonl::{
    import_jsonl_file, import_jsonl_file_with, import_jsonl_reader, ImportError, ImportReport,
    LineError,
};

/// Items per second over `elapsed` (0 for an import that took no measurable time).
fn per_second(items: usize, elapsed: std::time::Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        items as f64 / secs
    } else {
        0.0
    }
}
