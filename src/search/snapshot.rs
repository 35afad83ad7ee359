//! The search index as files, for snapshots: which files make up its last commit (held so that
//! tantivy's garbage collection leaves them alone while they are read), their SHA-256, and
//! putting a downloaded copy into place. Where the files go is the snapshot job's business
//! (`jobs::search_snapshot`); this module knows only the directory. May import `search`.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{dir_error, sibling, Recorded, Result, SearchError, SearchIndex};

/// tantivy's record of the committed segments.
const META_FILE: &str = "meta.json";
/// tantivy's list of the files it may delete once no segment uses them: written at a restore,
/// so that the restored segments are collected when merges replace them.
const MANAGED_FILE: &str = ".managed.json";

/// The index's last commit, held: while this value lives, the segments it names are in the
/// index's inventory and tantivy's garbage collection keeps their files, whatever commits and
/// merges happen meanwhile.
pub struct Committed {
    _meta: tantivy::IndexMeta,
    /// `meta.json` as this commit wrote it (made again from the held record: the file on disk
    /// may already belong to a later commit).
    pub meta_json: String,
    pub recorded: Recorded,
    pub docs: u64,
    /// The commit's segment files that exist: name, path and size in bytes.
    pub files: Vec<CommittedFile>,
}

#[derive(Debug, Clone)]
pub struct CommittedFile {
    pub name: String,
    pub path: PathBuf,
    pub size: u64,
}

impl SearchIndex {
    /// The files of the last commit, held (see [`Committed`]). Reads file sizes: call it on
    /// the blocking pool.
    pub fn committed(&self) -> Result<Committed> {
        let meta = self.index.load_metas()?;
        let dir = self
            .dir
            .as_deref()
            .ok_or_else(|| SearchError::Corrupt("an index in memory has no files".into()))?;
        let mut json = serde_json::to_string_pretty(&meta)
            .map_err(|e| SearchError::Corrupt(format!("meta.json: {e}")))?;
        json.push('\n');
        let names: BTreeSet<String> = meta
            .list_segment_files()
            .into_iter()
            .filter_map(|p| p.to_str().map(str::to_owned))
            .collect();
        // tantivy lists a delete file for every segment; one without deletes has none.
        let optional: BTreeSet<String> = meta
            .segments
            .iter()
            .filter(|s| !s.has_deletes())
            .map(|s| format!("{}.0.del", s.id().uuid_string()))
            .collect();
        let mut files = Vec::with_capacity(names.len());
        for name in names {
            let path = dir.join(&name);
            match std::fs::metadata(&path) {
                Ok(m) => files.push(CommittedFile {
                    name,
                    path,
                    size: m.len(),
                }),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && optional.contains(&name) => {}
                // Removed between reading meta.json and holding its segments (a merge that
                // finished just then): this commit cannot be copied whole; the next one can.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(SearchError::Corrupt(format!(
                        "{name} of the last commit was removed while it was being read"
                    )))
                }
                Err(source) => {
                    return Err(SearchError::Dir {
                        path: path.display().to_string(),
                        source,
                    })
                }
            }
        }
        let docs = meta.segments.iter().map(|s| u64::from(s.num_docs())).sum();
        Ok(Committed {
            recorded: Recorded::parse(meta.payload.as_deref()),
            meta_json: json,
            docs,
            files,
            _meta: meta,
        })
    }
}

/// Whether the index in `live` holds nothing worth keeping: none at all (a fresh node), or
/// one with no committed segment and no place in a feed (created and never filled, or a
/// rebuild that had committed nothing yet).
pub fn is_empty(live: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(live.join(META_FILE)) else {
        return !live.join(META_FILE).exists();
    };
    let Ok(meta) = serde_json::from_str::<serde_json::Value>(&text) else {
        return false;
    };
    let no_segments = meta
        .get("segments")
        .and_then(|s| s.as_array())
        .is_some_and(|s| s.is_empty());
    let placed = matches!(
        Recorded::parse(meta.get("payload").and_then(|p| p.as_str())),
        Recorded::Position(super::Position::At { .. }) | Recorded::Legacy(_)
    );
    no_segments && !placed
}

/// The SHA-256 of a file, hex; reads it in pieces (on the blocking pool).
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Where a snapshot is downloaded: a directory beside the live index, put into place only when
/// every file checked out ([`install`]).
pub fn restore_dir(live: &Path) -> PathBuf {
    sibling(live, "restore")
}

/// Puts a downloaded snapshot (its segment files already in `staging`) in the place of the
/// index in `live`: writes `meta_json` and tantivy's list of managed files, opens the index to
/// check that it reads and holds `docs` documents, then swaps it in ([`super::swap_in`]). No
/// index may be open on `live`.
pub fn install(
    staging: &Path,
    live: &Path,
    meta_json: &str,
    files: &[String],
    docs: u64,
) -> Result<()> {
    std::fs::write(staging.join(META_FILE), meta_json).map_err(dir_error(staging))?;
    let mut managed = serde_json::to_vec(files)
        .map_err(|e| SearchError::Corrupt(format!(".managed.json: {e}")))?;
    managed.push(b'\n');
    std::fs::write(staging.join(MANAGED_FILE), managed).map_err(dir_error(staging))?;
    {
        let index = tantivy::Index::open_in_dir(staging)?;
        let reader: tantivy::IndexReader = index
            .reader_builder()
            .reload_policy(tantivy::ReloadPolicy::Manual)
            .try_into()?;
        let found = reader.searcher().num_docs();
        if found != docs {
            return Err(SearchError::Corrupt(format!(
                "the restored index holds {found} documents, the snapshot says {docs}"
            )));
        }
    }
    if let Ok(dir) = std::fs::File::open(staging) {
        let _ = dir.sync_all();
    }
    super::swap_in(staging, live)
}
