//! Background work inside `khobor serve`. Each job is idempotent and resumes from what the
//! store records, so a restart (or a crash) loses nothing. Work shared by several nodes is
//! claimed in the store first: scheduled stories by a conditional update, uploads by a lease
//! ([`node_name`] holds it). May import `domain`, `storage`, `search`.

use std::sync::OnceLock;

/// This process among the nodes sharing a store, as leases record it: host name, process
/// id and a random part (a restarted process never passes for the one that died).
pub fn node_name() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "node".to_owned());
        format!(
            "{host}:{}:{:04x}",
            std::process::id(),
            rand::random::<u16>()
        )
    })
}

pub mod media_variants;
pub mod scheduler;
pub mod search_indexer;
