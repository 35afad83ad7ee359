//! The demo newspaper: stories written for Khobor (see `demo/articles.jsonl`), loaded by
//! `khobor serve --demo` into an empty store. Their times are relative to the moment they are
//! loaded, so the demo always looks like today's paper.

use chrono_tz::Tz;

use crate::domain::bijoy::BijoyMode;
use crate::import::{import_jsonl_reader, ImportError, ImportReport};
use crate::storage::Store;

const ARTICLES: &str = include_str!("../demo/articles.jsonl");

/// Loads the demo stories if the store has no stories at all; a store with content (the demo
/// loaded earlier, or a real paper's) is left exactly as it is. Returns `None` when skipped.
pub async fn load_if_empty(store: &Store, tz: Tz) -> Result<Option<ImportReport>, ImportError> {
    if store.count_articles().await? > 0 {
        return Ok(None);
    }
    let report = import_jsonl_reader(store, ARTICLES.as_bytes(), tz, BijoyMode::Off).await?;
    Ok(Some(report))
}
