//! JSON Lines import (optionally gzip): one story per line with the fields
//! `id, title, body, category, published, source, url` and any of
//! `summary, tags, author, credit, signature, image, kicker, dateline, age_minutes`.
//!
//! A malformed line is reported with its number and skipped; the others are imported. Lines
//! are written in batches, each in one transaction, so a file that breaks half-way (a corrupt
//! gzip stream, say) leaves everything stored before it intact and the rest untouched.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use serde::Deserialize;

use crate::domain::bijoy::{self, BijoyMode};
use crate::domain::text::{
    body_to_html, clean_line, grapheme_len, html_to_text, looks_like_html, nfc,
};
use crate::storage::articles::{NewArticle, UpsertOutcome};
use crate::storage::{self, StorageError, Store};

const BATCH: usize = 500;
const MAX_HEADLINE: usize = 300;
const MAX_FIELD: usize = 1000;
const MAX_BODY_BYTES: usize = crate::domain::text::MAX_RAW_BODY_BYTES;
/// A line longer than this is skipped unread (the rest of it up to the next newline is
/// discarded), so one runaway line can't take the importer's memory.
pub const MAX_LINE_BYTES: usize = 4 * 1024 * 1024;
/// Published times more than this far ahead are refused: a story that is not out yet is a
/// scheduling question for the newsroom, not an imported published story.
const MAX_FUTURE_SECS: i64 = 24 * 3600;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Open {
        path: String,
        source: std::io::Error,
    },
    #[error("reading stopped at line {line}: {source} (everything before it was kept)")]
    Read { line: usize, source: std::io::Error },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Why one line was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Default, Clone)]
pub struct ImportReport {
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub skipped: Vec<LineError>,
    /// Stories with at least one field converted from Bijoy to Unicode.
    pub from_bijoy: usize,
    pub elapsed: Duration,
}

impl ImportReport {
    pub fn processed(&self) -> usize {
        self.inserted + self.updated + self.unchanged
    }

    pub fn per_second(&self) -> f64 {
        super::per_second(self.processed(), self.elapsed)
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Id {
    Text(String),
    Number(i64),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    /// Converts every item that is Bijoy; whether any was.
    fn convert_bijoy(&mut self) -> bool {
        let items = match self {
            OneOrMany::One(s) => std::slice::from_mut(s),
            OneOrMany::Many(v) => v.as_mut_slice(),
        };
        let mut any = false;
        for item in items.iter_mut().take(crate::domain::story::MAX_RAW_ITEMS) {
            any |= bijoy::convert_field(item);
        }
        any
    }

    /// A list, or one string separated by commas.
    fn into_vec(self) -> Vec<String> {
        let items = match self {
            OneOrMany::One(s) => s.split([',', '،']).map(str::to_owned).collect(),
            OneOrMany::Many(v) => v,
        };
        // Counted before cleaning: a line may bring any number of items.
        if items.len() > crate::domain::story::MAX_RAW_ITEMS {
            return items;
        }
        let mut seen = std::collections::HashSet::new();
        items
            .iter()
            .map(|s| clean_line(s))
            .filter(|s| !s.is_empty() && seen.insert(s.clone()))
            .collect()
    }
}

#[derive(Deserialize)]
struct Line {
    id: Option<Id>,
    title: Option<String>,
    body: Option<String>,
    category: Option<String>,
    #[serde(default)]
    published: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    tags: Option<OneOrMany>,
    #[serde(default)]
    author: Option<OneOrMany>,
    #[serde(default)]
    credit: Option<String>,
    #[serde(default)]
    signature: Option<String>,
    #[serde(default)]
    image: Option<String>,
    #[serde(default)]
    kicker: Option<String>,
    #[serde(default)]
    dateline: Option<String>,
    /// Published this many minutes before the import (used by the demo content).
    #[serde(default)]
    age_minutes: Option<i64>,
}

impl Line {
    /// Converts each text field that is Bijoy (the body's text only, if it is HTML); whether
    /// any was. Ids, dates, URLs and the source name are never Bijoy.
    fn convert_bijoy(&mut self) -> bool {
        let mut any = false;
        for field in [
            &mut self.title,
            &mut self.category,
            &mut self.summary,
            &mut self.credit,
            &mut self.signature,
            &mut self.kicker,
            &mut self.dateline,
        ]
        .into_iter()
        .flatten()
        {
            any |= bijoy::convert_field(field);
        }
        if let Some(body) = &mut self.body {
            any |= if looks_like_html(body) {
                bijoy::convert_body(body)
            } else {
                bijoy::convert_field(body)
            };
        }
        for list in [&mut self.tags, &mut self.author].into_iter().flatten() {
            any |= list.convert_bijoy();
        }
        any
    }
}

/// Parses and validates one line into a story ready to store (no Bijoy conversion).
pub fn parse_line(text: &str, tz: Tz, now: i64) -> Result<NewArticle, String> {
    parse_line_with(text, tz, now, BijoyMode::Off).map(|(article, _)| article)
}

/// [`parse_line`], converting Bijoy text first if `bijoy` says so; also says whether any
/// field was Bijoy.
pub fn parse_line_with(
    text: &str,
    tz: Tz,
    now: i64,
    bijoy: BijoyMode,
) -> Result<(NewArticle, bool), String> {
    let mut line: Line = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    if line.body.as_ref().is_some_and(|b| b.len() > MAX_BODY_BYTES) {
        return Err(format!(
            "field `body` is larger than {MAX_BODY_BYTES} bytes"
        ));
    }
    let from_bijoy = bijoy == BijoyMode::Auto && line.convert_bijoy();
    let external_id = match line.id {
        Some(Id::Text(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        Some(Id::Number(n)) => n.to_string(),
        _ => return Err("field `id` is missing or empty".into()),
    };
    if external_id.chars().count() > 200 {
        return Err("field `id` is longer than 200 characters".into());
    }
    let title = required(line.title, "title")?;
    let body = required(line.body, "body")?;
    if body.len() > MAX_BODY_BYTES {
        return Err(format!(
            "field `body` is larger than {MAX_BODY_BYTES} bytes"
        ));
    }
    // A category is a name, never markup: `<b>খেলা</b>` is the section খেলা.
    let category = clean_line(&html_to_text(&required(line.category, "category")?));
    if category.is_empty() {
        return Err("field `category` has no text".into());
    }
    if grapheme_len(&category) > 100 {
        return Err("field `category` is longer than 100 characters".into());
    }

    // A title may carry its kicker on a line before the headline.
    let title_lines: Vec<String> = title
        .lines()
        .map(clean_line)
        .filter(|l| !l.is_empty())
        .collect();
    let (headline, title_kicker) = match title_lines.split_last() {
        Some((last, rest)) if !rest.is_empty() => (last.clone(), Some(rest.join(" "))),
        Some((last, _)) => (last.clone(), None),
        None => return Err("field `title` is empty".into()),
    };
    if grapheme_len(&headline) > MAX_HEADLINE {
        return Err(format!(
            "the headline is longer than {MAX_HEADLINE} characters"
        ));
    }

    let published_at = match (line.published.as_deref().map(str::trim), line.age_minutes) {
        (Some(p), _) if !p.is_empty() => Some(parse_time(p, tz)?),
        (_, Some(age)) if (0..=crate::domain::MAX_AGE_MINUTES).contains(&age) => {
            Some(now - age * 60)
        }
        (_, Some(_)) => {
            return Err("field `age_minutes` must be between 0 and a century of minutes".into())
        }
        _ => None,
    };
    if let Some(t) = published_at {
        if t > now + MAX_FUTURE_SECS {
            return Err(
                "field `published` is in the future: schedule the story in the newsroom instead"
                    .into(),
            );
        }
    }
    let source_url = optional(line.url, "url")?;
    if let Some(u) = &source_url {
        if !(u.starts_with("https://") || u.starts_with("http://")) {
            return Err(format!("field `url` is not an http(s) URL: {u:?}"));
        }
    }
    let hero_url = optional(line.image, "image")?;
    if let Some(u) = &hero_url {
        if !(u.starts_with("https://") || u.starts_with("http://") || u.starts_with('/')) {
            return Err(format!(
                "field `image` must be an http(s) URL or a path starting with /: {u:?}"
            ));
        }
    }

    let body_html = body_to_html(&body).map_err(|e| format!("field `body`: {e}"))?;
    let body_text = html_to_text(&body_html);
    if body_text.trim().is_empty() {
        return Err("field `body` has no text".into());
    }
    let article = NewArticle {
        external_id,
        headline,
        kicker: optional(line.kicker, "kicker")?.or(title_kicker),
        summary: optional(line.summary, "summary")?,
        body_html,
        body_text,
        section_name: category,
        tags: list(line.tags, "tags")?,
        authors: list(line.author, "author")?,
        credit: optional(line.credit, "credit")?,
        signature: optional(line.signature, "signature")?,
        dateline: optional(line.dateline, "dateline")?,
        hero_url,
        source_name: optional(line.source, "source")?,
        source_url,
        published_at,
        status: crate::domain::Status::Published,
    };
    Ok((article, from_bijoy))
}

fn list(v: Option<OneOrMany>, name: &str) -> Result<Vec<String>, String> {
    let items = v.map(OneOrMany::into_vec).unwrap_or_default();
    let max = crate::domain::story::MAX_RAW_ITEMS;
    if items.len() > max {
        return Err(format!("field `{name}` has more than {max} items"));
    }
    Ok(items)
}

fn required(v: Option<String>, name: &str) -> Result<String, String> {
    match v {
        Some(s) if !s.trim().is_empty() => Ok(nfc(s.trim())),
        _ => Err(format!("field `{name}` is missing or empty")),
    }
}

fn optional(v: Option<String>, name: &str) -> Result<Option<String>, String> {
    match v.map(|s| clean_line(&s)) {
        Some(s) if s.is_empty() => Ok(None),
        Some(s) if grapheme_len(&s) > MAX_FIELD => Err(format!(
            "field `{name}` is longer than {MAX_FIELD} characters"
        )),
        other => Ok(other),
    }
}

/// RFC 3339, or a date/time without zone read in the paper's time zone; within the years
/// Khobor can show and write back (see [`crate::domain::in_time_range`]).
fn parse_time(s: &str, tz: Tz) -> Result<i64, String> {
    let t = parse_any_time(s, tz)?;
    if crate::domain::in_time_range(t) {
        Ok(t)
    } else {
        Err(format!(
            "field `published` is outside the years {}–{}: {s:?}",
            crate::domain::FIRST_YEAR,
            crate::domain::LAST_YEAR
        ))
    }
}

fn parse_any_time(s: &str, tz: Tz) -> Result<i64, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp());
    }
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S"))
        .or_else(|_| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
        })
        .map_err(|_| {
            format!("field `published` is not a time such as 2019-04-25T10:00:00+06:00: {s:?}")
        })?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.timestamp())
        .ok_or_else(|| format!("field `published` does not exist in {tz}: {s:?}"))
}

/// Imports a file (plain or gzip, told apart by its first bytes).
pub async fn import_jsonl_file(
    store: &Store,
    path: &Path,
    tz: Tz,
    bijoy: BijoyMode,
    show_progress: bool,
) -> Result<ImportReport, ImportError> {
    let open = |path: &Path| {
        File::open(path).map_err(|source| ImportError::Open {
            path: path.display().to_string(),
            source,
        })
    };
    let mut magic = [0u8; 2];
    let gz = {
        let mut f = open(path)?;
        matches!(f.read(&mut magic), Ok(2)) && magic == [0x1f, 0x8b]
    };
    let file = open(path)?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = if show_progress {
        let bar = indicatif::ProgressBar::new(len);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let raw = bar.wrap_read(file);
    let reader: Box<dyn BufRead> = if gz {
        Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(raw)))
    } else {
        Box::new(BufReader::new(raw))
    };
    let report = import_jsonl_reader(store, reader, tz, bijoy).await;
    bar.finish_and_clear();
    report
}

/// A line as read: its number and its text, or why it can't be text.
type RawLine = (usize, Result<String, String>);

/// A line parsed: its number and the story with its fingerprint and whether it was Bijoy, or
/// why it was refused.
type ParsedLine = (usize, Result<(NewArticle, String, bool), String>);

/// Imports every line of `reader`. Stops early only if the input itself can't be read.
///
/// Batches go through a pipeline: while one batch is written in its transaction, the next
/// is read and parsed (JSON, cleaning, sanitising, fingerprints) on the CPU threads, so the
/// writer only writes.
pub async fn import_jsonl_reader(
    store: &Store,
    reader: impl BufRead,
    tz: Tz,
    bijoy: BijoyMode,
) -> Result<ImportReport, ImportError> {
    let started = Instant::now();
    let now = storage::now();
    let mut report = ImportReport::default();
    let mut ready: Vec<(usize, NewArticle, String)> = Vec::with_capacity(BATCH);
    // The line each id was first seen on: a second line with the same id would overwrite the
    // first on every run, so it is reported and skipped.
    let mut first_seen: std::collections::HashMap<String, usize> = Default::default();
    let mut reader = reader;
    let mut buf = Vec::new();
    let mut number = 0;
    loop {
        let (lines, read_error) = read_batch(&mut reader, &mut buf, &mut number);
        let at_end = lines.len() < BATCH || read_error.is_some();
        let parse = parse_batch(lines, tz, now, bijoy);
        let (parsed, written) = tokio::join!(parse, write_batch(store, &mut ready, &mut report));
        written?;
        for (number, parsed) in parsed {
            let parsed = parsed.and_then(|(a, fingerprint, converted)| {
                match first_seen.get(&a.external_id) {
                    Some(first) => Err(format!(
                        "id {:?} was already on line {first}; that line is kept",
                        a.external_id
                    )),
                    None => {
                        first_seen.insert(a.external_id.clone(), number);
                        Ok((a, fingerprint, converted))
                    }
                }
            });
            match parsed {
                Ok((a, fingerprint, converted)) => {
                    report.from_bijoy += usize::from(converted);
                    ready.push((number, a, fingerprint));
                }
                Err(message) => report.skipped.push(LineError {
                    line: number,
                    message,
                }),
            }
        }
        if at_end {
            write_batch(store, &mut ready, &mut report).await?;
            report.elapsed = started.elapsed();
            return match read_error {
                Some(e) => Err(e),
                None => Ok(report),
            };
        }
    }
}

/// Reads up to [`BATCH`] non-blank lines after line `number` (which it advances); fewer only
/// at the end of the input or where it can't be read (the error, naming its line).
fn read_batch(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    number: &mut usize,
) -> (Vec<RawLine>, Option<ImportError>) {
    let mut lines = Vec::with_capacity(BATCH);
    while lines.len() < BATCH {
        *number += 1;
        let bytes = match read_line_bounded(reader, buf, MAX_LINE_BYTES) {
            Ok(None) => break,
            Ok(Some(b)) => b,
            Err(source) => {
                let error = ImportError::Read {
                    line: *number,
                    source,
                };
                return (lines, Some(error));
            }
        };
        let line = match bytes {
            LineBytes::TooLong => Err(format!("the line is longer than {MAX_LINE_BYTES} bytes")),
            LineBytes::Line(b) => match std::str::from_utf8(b) {
                Err(e) => Err(format!(
                    "the line is not valid UTF-8 (a bad byte at position {})",
                    e.valid_up_to() + 1
                )),
                Ok(text) => {
                    let text = text.trim_start_matches('\u{feff}');
                    if text.trim().is_empty() {
                        continue;
                    }
                    Ok(text.to_owned())
                }
            },
        };
        lines.push((*number, line));
    }
    (lines, None)
}

/// Parses a batch's lines on the CPU threads (rayon's), off the async workers; in order.
async fn parse_batch(lines: Vec<RawLine>, tz: Tz, now: i64, bijoy: BijoyMode) -> Vec<ParsedLine> {
    use rayon::prelude::*;
    if lines.is_empty() {
        return Vec::new();
    }
    let parse = move || {
        lines
            .into_par_iter()
            .map(|(number, line)| {
                let parsed = line.and_then(|text| {
                    let (a, converted) = parse_line_with(&text, tz, now, bijoy)?;
                    let fingerprint = a.fingerprint();
                    Ok((a, fingerprint, converted))
                });
                (number, parsed)
            })
            .collect::<Vec<_>>()
    };
    // A panic while parsing is resumed here, as if the parse had run inline.
    match tokio::task::spawn_blocking(parse).await {
        Ok(parsed) => parsed,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

enum LineBytes<'a> {
    Line(&'a [u8]),
    TooLong,
}

/// The next line's bytes without its line ending, or `TooLong` (the rest of it skipped), or
/// `None` at the end of the input.
fn read_line_bounded<'a>(
    reader: &mut impl BufRead,
    buf: &'a mut Vec<u8>,
    max: usize,
) -> std::io::Result<Option<LineBytes<'a>>> {
    buf.clear();
    let mut too_long = false;
    let mut any = false;
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        any = true;
        let (take, done) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        if !too_long {
            if buf.len() + take > max + 2 {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(&chunk[..take]);
            }
        }
        reader.consume(take);
        if done {
            break;
        }
    }
    if !any {
        return Ok(None);
    }
    if too_long {
        return Ok(Some(LineBytes::TooLong));
    }
    while matches!(buf.last(), Some(b'\n' | b'\r')) {
        buf.pop();
    }
    Ok(Some(LineBytes::Line(buf)))
}

async fn write_batch(
    store: &Store,
    batch: &mut Vec<(usize, NewArticle, String)>,
    report: &mut ImportReport,
) -> Result<(), ImportError> {
    if batch.is_empty() {
        return Ok(());
    }
    // The batch reads (fingerprints, sections) before it writes: take the write lock up front,
    // or SQLite refuses the upgrade while a running server writes ("database is locked").
    let mut tx = store.begin_write().await?;
    let items: Vec<(&NewArticle, &str)> = batch
        .iter()
        .map(|(_, a, fingerprint)| (a, fingerprint.as_str()))
        .collect();
    for outcome in store.upsert_external_many(&mut tx, &items).await? {
        match outcome {
            UpsertOutcome::Inserted(_) => report.inserted += 1,
            UpsertOutcome::Updated(_) => report.updated += 1,
            UpsertOutcome::Unchanged(_) => report.unchanged += 1,
        }
    }
    store.commit(tx).await?;
    batch.clear();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TZ: Tz = chrono_tz::Asia::Dhaka;
    /// 2030-03-17: every dated line in these tests is in its past.
    const NOW: i64 = 1_900_000_000;

    #[test]
    fn a_full_line_parses() {
        let a = parse_line(
            r#"{"id":"x-1","title":"প্রথম লাইন\nকিম-পুতিনের প্রথম বৈঠক","body":"এক\n\nদুই","category":" আন্তর্জাতিক ","published":"2019-04-25T10:00:00+06:00","source":null,"url":null,"tags":"রাশিয়া, উত্তর কোরিয়া","credit":"এএফপি"}"#,
            TZ,
            NOW,
        )
        .unwrap();
        assert_eq!(a.headline, "কিম-পুতিনের প্রথম বৈঠক");
        assert_eq!(a.kicker.as_deref(), Some("প্রথম লাইন"));
        assert_eq!(a.body_html, "<p>এক</p>\n<p>দুই</p>\n");
        assert_eq!(a.section_name, "আন্তর্জাতিক");
        assert_eq!(a.tags, vec![nfc("রাশিয়া"), nfc("উত্তর কোরিয়া")]);
        assert_eq!(a.published_at, Some(1556164800));
    }

    #[test]
    fn bad_lines_say_what_is_wrong() {
        let err = |s: &str| parse_line(s, TZ, NOW).unwrap_err();
        assert!(err("{not json").contains("not valid JSON"));
        assert!(err(r#"{"title":"ক","body":"খ","category":"গ"}"#).contains("`id`"));
        assert!(err(r#"{"id":"1","title":" ","body":"খ","category":"গ"}"#).contains("`title`"));
        assert!(
            err(r#"{"id":"1","title":"ক","body":"খ","category":"গ","published":"গতকাল"}"#)
                .contains("`published`")
        );
        assert!(
            err(r#"{"id":"1","title":"ক","body":"খ","category":"গ","image":"javascript:x"}"#)
                .contains("`image`")
        );
    }

    #[test]
    fn naive_times_are_in_the_papers_zone() {
        assert_eq!(parse_time("2019-04-25 10:00:00", TZ), Ok(1556164800));
        assert_eq!(parse_time("2019-04-25", TZ), Ok(1556128800));
    }
}
