//! Background work inside `khobor serve`. Each job is idempotent and resumes from what the
//! store records, so a restart (or a crash) loses nothing. May import `domain`, `storage`,
//! `search`.

pub mod media_variants;
pub mod scheduler;
pub mod search_indexer;
