//! Search: a tantivy index under the data directory with Khobor's Bengali analyzers, kept in
//! step with the store through the change feed. The index is derived data: `khobor reindex`
//! rebuilds it from the store. May import `domain` and `crates/bangla`, never `web`.

pub mod analyzer;
pub mod eval;
pub mod query;
mod related;
pub mod snapshot;
pub mod snippet;

use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED, STORED, STRING,
};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, Score, TantivyDocument, Term,
};

use serde::{Deserialize, Serialize};

use crate::domain::{Article, StoryLead};

pub use query::{Expansion, SearchRequest, SearchResults};

/// Where the index stands in the store's change feed, as its last commit recorded it. The
/// store's identity comes with the position: a feed position means something only in the
/// store (and feed epoch) it was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Position {
    /// Every change up to `seq` is applied. `mark` names the change at `seq` (its kind,
    /// entity and time), so that a different history that has grown as long is told apart.
    At {
        store: String,
        epoch: i64,
        seq: i64,
        mark: String,
    },
    /// A rebuild from the store is under way, or was cut short: the index holds part of the
    /// stories and must be rebuilt before it is followed from the feed.
    Rebuilding { store: String, epoch: i64 },
}

impl Position {
    /// A position in no store's feed, for an index that follows none (evaluation, tests).
    pub fn unattached(seq: i64) -> Position {
        Position::At {
            store: String::new(),
            epoch: 0,
            seq,
            mark: String::new(),
        }
    }
}

/// What the index's last commit says about its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// Nothing: a new index, never committed.
    Nothing,
    /// `seq:N`, written before indexes recorded the store's identity.
    Legacy(i64),
    Position(Position),
    /// A payload this version does not understand.
    Unreadable(String),
}

impl Recorded {
    fn parse(payload: Option<&str>) -> Recorded {
        let Some(p) = payload else {
            return Recorded::Nothing;
        };
        if let Some(n) = p.strip_prefix("seq:").and_then(|n| n.parse().ok()) {
            return Recorded::Legacy(n);
        }
        match serde_json::from_str(p) {
            Ok(position) => Recorded::Position(position),
            Err(_) => Recorded::Unreadable(p.to_owned()),
        }
    }
}

impl std::fmt::Display for Recorded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Recorded::Nothing => write!(f, "nothing"),
            Recorded::Legacy(seq) => write!(f, "feed {seq} of an unnamed store"),
            Recorded::Position(Position::At {
                store, epoch, seq, ..
            }) => write!(f, "store {store} epoch {epoch} feed {seq}"),
            Recorded::Position(Position::Rebuilding { store, epoch }) => {
                write!(f, "an unfinished rebuild from store {store} epoch {epoch}")
            }
            Recorded::Unreadable(p) => write!(f, "unreadable {p:?}"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index directory {path}: {source}")]
    Dir {
        path: String,
        source: std::io::Error,
    },
    #[error("search index is corrupt: {0}")]
    Corrupt(String),
}

pub type Result<T, E = SearchError> = std::result::Result<T, E>;

/// The fields of the index and the weight each has in ranking.
#[derive(Clone, Copy, Debug)]
pub struct Fields {
    pub id: Field,
    pub headline: Field,
    pub headline_exact: Field,
    pub summary: Field,
    pub body: Field,
    pub body_exact: Field,
    pub tags: Field,
    pub author: Field,
    pub section: Field,
    pub published: Field,
}

/// The index's schema. Text fields keep each term's frequency but not its positions: no query
/// reads positions (search and related stories score single terms, snippets are cut from the
/// stored text), and without them the index is half the size (81 MB against 179 MB at 102,174
/// stories).
fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |tokenizer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqs),
        )
    };
    let fields = Fields {
        id: b.add_i64_field("id", INDEXED | STORED | FAST),
        headline: b.add_text_field("headline", text(analyzer::STEM)),
        headline_exact: b.add_text_field("headline_exact", text(analyzer::EXACT)),
        summary: b.add_text_field("summary", text(analyzer::STEM)),
        body: b.add_text_field("body", text(analyzer::STEM)),
        body_exact: b.add_text_field("body_exact", text(analyzer::EXACT)),
        tags: b.add_text_field("tags", text(analyzer::STEM)),
        author: b.add_text_field("author", text(analyzer::STEM)),
        section: b.add_text_field("section", STRING),
        published: b.add_i64_field("published", INDEXED | FAST),
    };
    (b.build(), fields)
}

/// What the index needs of a story.
pub struct IndexDoc<'a> {
    pub id: i64,
    pub headline: &'a str,
    pub summary: &'a str,
    pub body: &'a str,
    pub section_slug: &'a str,
    pub tags: Vec<&'a str>,
    pub authors: Vec<&'a str>,
    pub published_at: i64,
}

impl<'a> From<&'a Article> for IndexDoc<'a> {
    fn from(a: &'a Article) -> IndexDoc<'a> {
        IndexDoc {
            id: a.id,
            headline: &a.headline,
            summary: a.summary.as_deref().unwrap_or(""),
            body: &a.body_text,
            section_slug: &a.section.slug,
            tags: a.tags.iter().map(|t| t.name.as_str()).collect(),
            authors: a.authors.iter().map(|p| p.name.as_str()).collect(),
            published_at: a.published_at.unwrap_or(a.updated_at),
        }
    }
}

pub struct SearchIndex {
    translit: bangla::banglish::Transliterator,
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    term_stats: related::TermStats,
    id_columns: IdColumns,
    /// The directory the index lives in (`None` in memory).
    dir: Option<PathBuf>,
    /// Rebuilds from the store started on this index since it was opened.
    rebuilds: AtomicU64,
    /// Runs a reader's search over the index's segments on several threads at once, so
    /// that one query's latency is not the sum of every segment's.
    executor: tantivy::Executor,
    /// Banglish patterns' matches in each segment's dictionary (see [`query::PatternTerms`]).
    pattern_terms: query::PatternTerms,
}

/// The index writer's memory, shared by its threads: when it fills, a thread writes its
/// documents out as a segment (committed or not), so this bounds the writer's heap.
const WRITER_MEMORY: usize = 64 * 1024 * 1024;

/// The writer's memory when `khobor reindex` builds a whole index beside the live one: larger
/// segments are fewer to merge when it is finished (see [`SearchIndex::finish`]).
const REBUILD_WRITER_MEMORY: usize = 512 * 1024 * 1024;

/// Threads that analyse and index documents: every core up to four (each needs tantivy's
/// minimum of 15 MB of [`WRITER_MEMORY`]). A rebuild is bound by the Bengali analysis, so it
/// scales with them; following the feed adds a few stories at a time and hardly notices.
fn writer_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 4))
}

/// Threads a reader's search spreads its segments over: every core, up to four.
fn search_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 4))
}

/// Related stories kept per story: more than a page shows, so that the list still fills when
/// some of them are unpublished later.
pub const RELATED_KEPT: usize = 8;

impl SearchIndex {
    /// Opens the index in `dir`, creating it if there is none, and registers the analyzers.
    /// What a rebuild cut short left beside it (see [`swap_in`]) is cleared away first.
    pub fn open(dir: &Path, translit: bangla::banglish::Transliterator) -> Result<SearchIndex> {
        SearchIndex::open_with(dir, translit, WRITER_MEMORY)
    }

    /// Opens a new index for a whole rebuild (see [`REBUILD_WRITER_MEMORY`]). Its segments
    /// are not merged while it is written: [`SearchIndex::finish`] merges them all at once.
    pub fn open_for_rebuild(
        dir: &Path,
        translit: bangla::banglish::Transliterator,
    ) -> Result<SearchIndex> {
        let opened = SearchIndex::open_with(dir, translit, REBUILD_WRITER_MEMORY)?;
        opened
            .writer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        Ok(opened)
    }

    fn open_with(
        dir: &Path,
        translit: bangla::banglish::Transliterator,
        writer_memory: usize,
    ) -> Result<SearchIndex> {
        recover(dir)?;
        std::fs::create_dir_all(dir).map_err(|source| SearchError::Dir {
            path: dir.display().to_string(),
            source,
        })?;
        let index = match open_or_create(dir)? {
            Some(index) => index,
            None => {
                // An index written with another schema (by an earlier version of Khobor) is
                // derived data that this version cannot search: it is replaced by an empty
                // one, which records no feed position, so the indexer rebuilds it from the
                // store before it answers searches.
                tracing::warn!(dir = %dir.display(), "the search index has an earlier schema; it will be rebuilt from the store");
                std::fs::remove_dir_all(dir).map_err(dir_error(dir))?;
                std::fs::create_dir_all(dir).map_err(dir_error(dir))?;
                open_or_create(dir)?.ok_or_else(|| {
                    SearchError::Corrupt("a new index does not have its own schema".into())
                })?
            }
        };
        let mut opened = SearchIndex::from_index(index, translit, writer_memory)?;
        opened.dir = Some(dir.to_path_buf());
        Ok(opened)
    }

    /// An index in memory (evaluation and tests).
    pub fn in_ram() -> Result<SearchIndex> {
        let (schema, _) = schema();
        SearchIndex::from_index(
            Index::create_in_ram(schema),
            Default::default(),
            WRITER_MEMORY,
        )
    }

    fn from_index(
        index: Index,
        translit: bangla::banglish::Transliterator,
        writer_memory: usize,
    ) -> Result<SearchIndex> {
        analyzer::register(&index);
        let (_, fields) = schema();
        let writer = index.writer_with_num_threads(writer_threads(), writer_memory)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(SearchIndex {
            translit,
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
            term_stats: related::TermStats::default(),
            id_columns: IdColumns::default(),
            dir: None,
            rebuilds: AtomicU64::new(0),
            executor: tantivy::Executor::multi_thread(search_threads(), "khobor-search-")?,
            pattern_terms: query::PatternTerms::default(),
        })
    }

    /// Counts a rebuild from the store begun on this index (`/metrics`, and the tests that
    /// tell a node restored from a snapshot from one that rebuilt).
    pub fn note_rebuild(&self) {
        self.rebuilds.fetch_add(1, Ordering::Relaxed);
    }

    /// Rebuilds from the store begun on this index since it was opened.
    pub fn rebuilds(&self) -> u64 {
        self.rebuilds.load(Ordering::Relaxed)
    }

    pub fn fields(&self) -> Fields {
        self.fields
    }

    pub fn searcher(&self) -> tantivy::Searcher {
        self.reader.searcher()
    }

    /// The index's position in the change feed, as its last commit recorded it.
    pub fn recorded(&self) -> Result<Recorded> {
        let metas = self.index.load_metas()?;
        Ok(Recorded::parse(metas.payload.as_deref()))
    }

    /// The last change-feed sequence whose effects are committed in the index (0 when it has
    /// none, or is being rebuilt).
    pub fn applied_seq(&self) -> Result<i64> {
        Ok(match self.recorded()? {
            Recorded::Legacy(seq) | Recorded::Position(Position::At { seq, .. }) => seq,
            _ => 0,
        })
    }

    fn document(&self, d: &IndexDoc<'_>) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_i64(f.id, d.id);
        doc.add_text(f.headline, d.headline);
        doc.add_text(f.headline_exact, d.headline);
        doc.add_text(f.summary, d.summary);
        doc.add_text(f.body, d.body);
        doc.add_text(f.body_exact, d.body);
        for t in &d.tags {
            doc.add_text(f.tags, t);
        }
        for a in &d.authors {
            doc.add_text(f.author, a);
        }
        doc.add_text(f.section, d.section_slug);
        doc.add_i64(f.published, d.published_at);
        doc
    }

    /// Adds or replaces `upserts`, removes `deletes`, and commits recording `position`.
    /// One commit: either all of it is visible to searches or none.
    pub fn apply(
        &self,
        upserts: &[IndexDoc<'_>],
        deletes: &[i64],
        position: &Position,
    ) -> Result<()> {
        let mut writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        for id in deletes.iter().chain(upserts.iter().map(|d| &d.id)) {
            writer.delete_term(Term::from_field_i64(self.fields.id, *id));
        }
        for d in upserts {
            writer.add_document(self.document(d))?;
        }
        let mut commit = writer.prepare_commit()?;
        let payload = serde_json::to_string(position)
            .map_err(|e| SearchError::Corrupt(format!("position not recorded: {e}")))?;
        commit.set_payload(&payload);
        commit.commit()?;
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    /// Adds `docs` without committing them: a rebuild hands its batches here, the writer's
    /// threads analyse them while the next batch is read from the store, and the rebuild
    /// commits once at the end (one commit per batch would write and merge a segment each
    /// time). Not visible to searches until the next [`SearchIndex::apply`].
    pub fn add(&self, docs: &[IndexDoc<'_>]) -> Result<()> {
        let writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        for d in docs {
            writer.add_document(self.document(d))?;
        }
        Ok(())
    }

    /// Empties the index (before a rebuild); not visible until the next `apply`. Documents
    /// added and not yet committed (by a rebuild that was stopped) are dropped first:
    /// `delete_all_documents` alone leaves those the writer's threads hold, and they would
    /// come back beside the rebuilt ones.
    pub fn clear(&self) -> Result<()> {
        let mut writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        writer.rollback()?;
        writer.delete_all_documents()?;
        Ok(())
    }

    /// Empties the index at once, recording `position` (a rebuild to come): an index that no
    /// longer matches its store must not answer searches with stories the store lacks.
    pub fn reset(&self, position: &Position) -> Result<()> {
        self.clear()?;
        self.apply(&[], &[], position)
    }

    /// Merges the committed segments into one, waits for the writer's background merges and
    /// releases it, so that nothing writes into the directory any more (before a rebuilt
    /// index's directory is renamed into place).
    ///
    /// One segment because every story's related stories are worked out next, one query each:
    /// with the eight segments a million stories are written in, each query looked every term
    /// up eight times and started its search eight times. Merging them took 16 s, and the
    /// related stories (then on tantivy's block-max WAND) took 316 s instead of 386 s
    /// (bench/README.md).
    pub fn finish(self) -> Result<()> {
        let mut writer = self.writer.into_inner().unwrap_or_else(|p| p.into_inner());
        let segments = self.index.searchable_segment_ids()?;
        if segments.len() > 1 {
            writer.merge(&segments).wait()?;
        }
        writer.wait_merging_threads()?;
        Ok(())
    }

    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Runs a reader's query: BM25 over the analysed fields with a mild recency boost.
    pub fn search(&self, req: &SearchRequest, now: i64) -> Result<SearchResults> {
        // Ages are measured from the start of the (UTC) day, so the boost moves once a day:
        // the same query ranks the same way all day and page 2 continues page 1 exactly,
        // instead of near-ties swapping between two requests a second apart.
        let now = now - now.rem_euclid(86_400);
        let started = std::time::Instant::now();
        let searcher = self.reader.searcher();
        let plan = query::plan(
            &searcher,
            &self.fields,
            &self.translit,
            &self.pattern_terms,
            &req.q,
        );
        let planned = started.elapsed();
        let Some(text_query) = plan.query(&self.fields) else {
            return Ok(SearchResults::empty(plan));
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text_query)];
        if let Some(section) = &req.section {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(self.fields.section, section),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        if req.from.is_some() || req.to.is_some() {
            let bound = |t: Option<i64>, inclusive: bool| match t {
                Some(t) if inclusive => {
                    Bound::Included(Term::from_field_i64(self.fields.published, t))
                }
                Some(t) => Bound::Excluded(Term::from_field_i64(self.fields.published, t)),
                None => Bound::Unbounded,
            };
            clauses.push((
                Occur::Must,
                Box::new(RangeQuery::new(bound(req.from, true), bound(req.to, false))),
            ));
        }
        let full = BooleanQuery::new(clauses);
        let top = TopDocs::with_limit(req.offset + req.limit).tweak_score(
            move |segment: &tantivy::SegmentReader| {
                let published = segment
                    .fast_fields()
                    .i64("published")
                    .ok()
                    .map(|c| c.first_or_default_col(now));
                move |doc: tantivy::DocId, score: Score| {
                    let t = published.as_ref().map(|c| c.get_val(doc)).unwrap_or(now);
                    score * recency_boost(now - t)
                }
            },
        );
        let (top, total) = searcher.search_with_executor(
            &full,
            &(top, Count),
            &self.executor,
            tantivy::query::EnableScoring::enabled_from_searcher(&searcher),
        )?;
        let ids = self.ids(&searcher, top.into_iter().skip(req.offset))?;
        tracing::debug!(
            plan_us = planned.as_micros() as u64,
            search_us = (started.elapsed() - planned).as_micros() as u64,
            total,
            segments = searcher.segment_readers().len(),
            "search timing"
        );
        Ok(SearchResults {
            hits: ids,
            total,
            plan,
        })
    }

    fn ids(
        &self,
        searcher: &tantivy::Searcher,
        docs: impl Iterator<Item = (Score, DocAddress)>,
    ) -> Result<Vec<(i64, Score)>> {
        let columns = self.id_columns.of(searcher)?;
        let mut out = Vec::new();
        for (score, addr) in docs {
            // From the id's fast column: no stored document to decompress.
            let id = columns
                .get(addr.segment_ord as usize)
                .and_then(|c| c.first(addr.doc_id))
                .ok_or_else(|| SearchError::Corrupt("document without id".into()))?;
            out.push((id, score));
        }
        Ok(out)
    }

    /// The related stories kept for each of `stories` ([`RELATED_KEPT`] each, best first),
    /// worked out on as many threads as the machine has cores.
    pub fn related_lists(&self, stories: &[StoryLead]) -> Result<Vec<(i64, Vec<i64>)>> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let chunk = stories.len().div_ceil(threads).max(1);
        std::thread::scope(|scope| {
            let workers: Vec<_> = stories
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        part.iter()
                            .map(|s| Ok((s.id, self.related_to(s, RELATED_KEPT)?)))
                            .collect::<Result<Vec<_>>>()
                    })
                })
                .collect();
            let mut out = Vec::with_capacity(stories.len());
            for w in workers {
                out.extend(w.join().expect("related-stories worker panicked")?);
            }
            Ok(out)
        })
    }

    /// Stories like `article` (its headline and lead), itself excluded.
    pub fn related(&self, article: &Article, n: usize) -> Result<Vec<i64>> {
        self.related_to(&StoryLead::of(article), n)
    }

    /// Stories like `story`, itself excluded.
    pub fn related_to(&self, story: &StoryLead, n: usize) -> Result<Vec<i64>> {
        let searcher = self.reader.searcher();
        let top = related::related(
            &self.index,
            &searcher,
            &self.fields,
            &self.term_stats,
            story,
            n,
        )?;
        Ok(self
            .ids(&searcher, top.into_iter())?
            .into_iter()
            .map(|(id, _)| id)
            .filter(|id| *id != story.id)
            .take(n)
            .collect())
    }
}

/// Each segment's id column, for one searcher generation. Opening a column reads its block
/// index, which cost more than looking the id up when it was done for every hit (nine for
/// every story's related list).
#[derive(Default)]
struct IdColumns(Mutex<Option<(u64, Vec<tantivy::columnar::Column<i64>>)>>);

impl IdColumns {
    fn of(&self, searcher: &tantivy::Searcher) -> Result<Vec<tantivy::columnar::Column<i64>>> {
        let generation = searcher.generation().generation_id();
        let mut kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match &*kept {
            Some((g, columns)) if *g == generation => Ok(columns.clone()),
            _ => {
                let columns = searcher
                    .segment_readers()
                    .iter()
                    .map(|r| r.fast_fields().i64("id"))
                    .collect::<tantivy::Result<Vec<_>>>()?;
                *kept = Some((generation, columns.clone()));
                Ok(columns)
            }
        }
    }
}

/// The index in `dir`, created with [`schema`] if there is none; `None` if the one there has
/// another schema.
fn open_or_create(dir: &Path) -> Result<Option<Index>> {
    let (schema, _) = schema();
    let mmap = tantivy::directory::MmapDirectory::open(dir)
        .map_err(|e| SearchError::Corrupt(e.to_string()))?;
    match Index::open_or_create(mmap, schema) {
        Ok(index) => Ok(Some(index)),
        Err(tantivy::TantivyError::SchemaError(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Where a rebuild builds its index: a directory beside the live one, swapped in only when
/// complete ([`swap_in`]), so that a rebuild stopped half-way leaves the live index intact.
pub fn staging_dir(live: &Path) -> std::path::PathBuf {
    sibling(live, "new")
}

fn sibling(live: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = live.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{suffix}"));
    live.with_file_name(name)
}

fn dir_error(path: &Path) -> impl FnOnce(std::io::Error) -> SearchError + '_ {
    move |source| SearchError::Dir {
        path: path.display().to_string(),
        source,
    }
}

/// Puts the complete index in `staging` in the place of the one in `live`: the live one is
/// renamed aside, the new one renamed in, the old one removed. Renames within a directory are
/// atomic; if the process dies between the two, [`recover`] puts the previous index back.
/// No index may be open on either directory.
pub fn swap_in(staging: &Path, live: &Path) -> Result<()> {
    let old = sibling(live, "old");
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(dir_error(&old))?;
    }
    if live.exists() {
        std::fs::rename(live, &old).map_err(dir_error(live))?;
    }
    std::fs::rename(staging, live).map_err(dir_error(staging))?;
    sync_parent(live);
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(dir_error(&old))?;
    }
    Ok(())
}

/// Clears what a rebuild cut short left beside `live`: an unfinished staging directory is
/// removed; if the process died between the two renames of [`swap_in`], the previous index
/// (a known, consistent state that catches up from the feed) is put back.
fn recover(live: &Path) -> Result<()> {
    let old = sibling(live, "old");
    let staging = staging_dir(live);
    let restoring = snapshot::restore_dir(live);
    if !live.exists() && old.exists() {
        tracing::warn!(dir = %live.display(), "a search index swap was cut short; putting the previous index back");
        std::fs::rename(&old, live).map_err(dir_error(&old))?;
        sync_parent(live);
    }
    for leftover in [old, staging, restoring] {
        if leftover.exists() {
            tracing::info!(dir = %leftover.display(), "removing what an interrupted rebuild left");
            std::fs::remove_dir_all(&leftover).map_err(dir_error(&leftover))?;
        }
    }
    Ok(())
}

/// Makes the renames in `path`'s directory durable (best effort: not every platform can
/// open a directory).
fn sync_parent(path: &Path) {
    if let Some(parent) = path.parent() {
        if let Ok(dir) = std::fs::File::open(parent) {
            let _ = dir.sync_all();
        }
    }
}

/// A gentle preference for recent stories: today ×1.2, a year ago ×1.07, ten years ago ×1.01.
/// Mild on purpose: an exact match on an old story must still beat a vague new one.
fn recency_boost(age_seconds: i64) -> Score {
    let years = (age_seconds.max(0) as f32) / (365.0 * 86400.0);
    1.0 + 0.2 / (1.0 + 2.0 * years)
}

/// A story as the unit tests index it: in the `desh` section, published at a time that
/// follows its id.
#[cfg(test)]
pub(crate) fn test_doc(id: i64, headline: &'static str, body: &'static str) -> IndexDoc<'static> {
    IndexDoc {
        id,
        headline,
        summary: "",
        body,
        section_slug: "desh",
        tags: Vec::new(),
        authors: Vec::new(),
        published_at: 1_700_000_000 + id,
    }
}

#[cfg(test)]
mod tests {
    use super::test_doc as doc;
    use super::*;

    /// The ids of every live document `searcher` sees, smallest first.
    fn all_ids(index: &SearchIndex, searcher: &tantivy::Searcher) -> Vec<i64> {
        let addrs = searcher
            .segment_readers()
            .iter()
            .enumerate()
            .flat_map(|(ord, r)| {
                r.doc_ids_alive()
                    .map(move |doc| (0.0, DocAddress::new(ord as u32, doc)))
            })
            .collect::<Vec<_>>();
        let mut ids: Vec<i64> = index
            .ids(searcher, addrs.into_iter())
            .unwrap()
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        ids.sort();
        ids
    }

    #[test]
    fn ids_are_read_from_the_segments_of_the_searcher_asked() {
        let index = SearchIndex::in_ram().unwrap();
        index
            .apply(
                &[doc(1, "পদ্মা সেতু", "টোল"), doc(2, "যমুনা সেতু", "টোল")],
                &[],
                &Position::unattached(1),
            )
            .unwrap();
        let before = index.searcher();
        assert_eq!(all_ids(&index, &before), [1, 2]);
        // A commit that empties the index and adds stories 3 and 2: only new segments, in
        // another generation, so a column kept from one searcher gives the other wrong ids.
        index.clear().unwrap();
        index
            .apply(
                &[doc(3, "মেঘনা সেতু", "টোল"), doc(2, "যমুনা সেতু", "নতুন টোল")],
                &[],
                &Position::unattached(2),
            )
            .unwrap();
        let after = index.searcher();
        assert_eq!(all_ids(&index, &after), [2, 3]);
        // The searcher taken before the commit still reads its own segments' ids.
        assert_eq!(all_ids(&index, &before), [1, 2]);
        assert_eq!(all_ids(&index, &after), [2, 3]);
    }

    #[test]
    fn a_finished_rebuild_is_one_segment_holding_every_story_and_its_position() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("search");
        let index = SearchIndex::open_for_rebuild(&path, Default::default()).unwrap();
        // Three commits, a segment each at least: a rebuild's writer merges none on its own.
        for (n, ids) in [[1, 2], [3, 4], [5, 6]].into_iter().enumerate() {
            let docs: Vec<IndexDoc<'_>> = ids
                .into_iter()
                .map(|id| doc(id, "পদ্মা সেতুতে টোল", "পদ্মা সেতুতে টোল আদায়"))
                .collect();
            index
                .apply(&docs, &[], &Position::unattached(n as i64 + 1))
                .unwrap();
        }
        assert!(index.index.searchable_segment_ids().unwrap().len() >= 3);
        index.finish().unwrap();

        let index = SearchIndex::open(&path, Default::default()).unwrap();
        let searcher = index.searcher();
        assert_eq!(searcher.segment_readers().len(), 1);
        assert_eq!(all_ids(&index, &searcher), [1, 2, 3, 4, 5, 6]);
        assert_eq!(
            index.recorded().unwrap(),
            Recorded::Position(Position::unattached(3))
        );
    }
}
