//! Bringing stories in from outside. Each format parses and validates its input into
//! `storage::articles::NewArticle` and writes through the store (`jsonl`, `wordpress`). May
//! import `domain`, `storage`.

pub mod bijoy;
pub mod jsonl;
pub mod wordpress;

pub use jsonl::{import_jsonl_file, import_jsonl_reader, ImportError, ImportReport, LineError};
