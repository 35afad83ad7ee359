//! `khobor export OUT_DIR`: the whole site's published stories written as the JSONL import
//! format (`OUT_DIR/stories.jsonl`, plain UTF-8, one story per line, newest first) and the
//! original bytes of every library image they show (`OUT_DIR/media/NAME`, read through the
//! media store, so local and S3 media alike). `khobor import jsonl OUT_DIR/stories.jsonl`
//! into an empty store gives back every story at its URL with its section (slug and name),
//! tags and authors (names and slugs), texts, published time and images, byte for byte (see
//! the fields in `import::jsonl`).
//!
//! Only published stories are exported (drafts, stories in review, scheduled, unpublished or
//! spiked ones stay in the newsroom that has them). A story made in the newsroom, which has
//! no import id, is exported as `khobor:{number}`. Stories are read a page at a time (keyset
//! on the published time and number), never the whole site at once. May import `domain`,
//! `storage`, `media_store`.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use futures_util::TryStreamExt;
use serde_json::{json, Map, Value};

use crate::domain::Article;
use crate::media_store::{MediaStore, MediaStoreError};
use crate::storage::articles::{Cursor, Filter};
use crate::storage::media::Media;
use crate::storage::{StorageError, Store};

/// Stories read per page.
const PAGE: i64 = 200;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0} is not empty: export writes only into a new or empty directory")]
    NotEmpty(String),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("story {story} shows the image {name}, which the media store does not have")]
    MissingMedia { story: i64, name: String },
    #[error(transparent)]
    Media(#[from] MediaStoreError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

#[derive(Debug, Default, Clone)]
pub struct ExportReport {
    pub stories: usize,
    pub images: usize,
    pub image_bytes: u64,
    pub elapsed: std::time::Duration,
}

/// Writes the export into `out` (made if missing; refused if it holds anything).
pub async fn export_site(
    store: &Store,
    media: &MediaStore,
    out: &Path,
) -> Result<ExportReport, ExportError> {
    let started = std::time::Instant::now();
    let write_err = |path: &Path| {
        let path = path.display().to_string();
        move |source| ExportError::Write { path, source }
    };
    match std::fs::read_dir(out) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(ExportError::NotEmpty(out.display().to_string()));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(out).map_err(write_err(out))?;
        }
        Err(e) => return Err(write_err(out)(e)),
    }
    let media_dir = out.join("media");
    std::fs::create_dir(&media_dir).map_err(write_err(&media_dir))?;
    let lines_path = out.join("stories.jsonl");
    let file = std::fs::File::create_new(&lines_path).map_err(write_err(&lines_path))?;
    let mut lines = std::io::BufWriter::new(file);

    let mut report = ExportReport::default();
    // Names of the images written so far (an image shown by many stories is written once).
    let mut written: HashSet<String> = HashSet::new();
    let mut after: Option<Cursor> = None;
    loop {
        let cards = store.list_published(Filter::All, after, PAGE).await?;
        let Some(last) = cards.last() else { break };
        after = Some(Cursor {
            published_at: last.published_at,
            id: last.id,
        });
        let ids: Vec<i64> = cards.iter().map(|c| c.id).collect();
        let stories = store.published_articles(&ids).await?;
        let heroes: std::collections::HashMap<i64, String> =
            store.hero_media_paths(&ids).await?.into_iter().collect();
        // Every `/media/` name the page's bodies and featured images show, and the library
        // images those names belong to (a variant's name leads to its original).
        let mut names: Vec<String> = Vec::new();
        for a in &stories {
            names.extend(media_names(&a.body_html));
            if let Some(p) = heroes.get(&a.id) {
                names.extend(media_names(&format!("\"{p}\"")));
            }
        }
        names.sort();
        names.dedup();
        let library: std::collections::HashMap<String, Media> =
            store.media_for_names(&names).await?.into_iter().collect();
        for a in &stories {
            let hero = heroes.get(&a.id).and_then(|p| {
                library
                    .get(p.trim_start_matches("/media/"))
                    .filter(|m| m.path == *p)
            });
            let mut shown: Vec<&Media> = Vec::new();
            for name in media_names(&a.body_html)
                .iter()
                .map(String::as_str)
                .chain(hero.map(|m| m.path.trim_start_matches("/media/")))
            {
                if let Some(m) = library.get(name) {
                    if !shown.iter().any(|s| s.id == m.id) {
                        shown.push(m);
                    }
                }
            }
            for m in &shown {
                let name = m.path.trim_start_matches("/media/");
                if written.contains(name) {
                    continue;
                }
                let bytes = copy_object(media, name, &media_dir.join(name))
                    .await?
                    .ok_or_else(|| ExportError::MissingMedia {
                        story: a.id,
                        name: name.to_owned(),
                    })?;
                report.images += 1;
                report.image_bytes += bytes;
                written.insert(name.to_owned());
            }
            let mut line = story_line(a, hero, &shown);
            let places: Vec<String> = store
                .article_places(a.id)
                .await?
                .into_iter()
                .map(|(p, _)| p.path)
                .collect();
            if !places.is_empty() {
                line["places"] = serde_json::json!(places);
            }
            serde_json::to_writer(&mut lines, &line)
                .map_err(std::io::Error::from)
                .and_then(|()| lines.write_all(b"\n"))
                .map_err(write_err(&lines_path))?;
            report.stories += 1;
        }
        if (cards.len() as i64) < PAGE {
            break;
        }
    }
    lines
        .into_inner()
        .map_err(|e| e.into_error())
        .and_then(|f| f.sync_all())
        .map_err(write_err(&lines_path))?;
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Streams media object `name` into `to`; its size, `None` if the store has no such object.
async fn copy_object(
    media: &MediaStore,
    name: &str,
    to: &PathBuf,
) -> Result<Option<u64>, ExportError> {
    let Some(reading) = media.read(name).await? else {
        return Ok(None);
    };
    let err = |source| ExportError::Write {
        path: to.display().to_string(),
        source,
    };
    let mut file = std::fs::File::create_new(to).map_err(err)?;
    let mut chunks = reading.bytes;
    let mut size = 0u64;
    while let Some(chunk) = chunks.try_next().await? {
        file.write_all(&chunk).map_err(err)?;
        size += chunk.len() as u64;
    }
    file.sync_all().map_err(err)?;
    Ok(Some(size))
}

/// The names of the `/media/` objects an HTML fragment points at (in `src`, `srcset` and
/// `href` values; a value or a srcset entry that starts with `/media/`).
fn media_names(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("/media/") {
        let before = &rest[..at];
        let starts_value = before.ends_with(['"', '\'', '=', ',']) || before.ends_with(", ");
        let tail = &rest[at + "/media/".len()..];
        let len = tail
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'))
            .unwrap_or(tail.len());
        let name = &tail[..len];
        if starts_value && crate::media_store::valid_name(name) {
            out.push(name.to_owned());
        }
        rest = &tail[len..];
    }
    out
}

/// One story as a line of the import format.
fn story_line(a: &Article, hero: Option<&Media>, shown: &[&Media]) -> Value {
    let mut line = Map::new();
    let mut put = |k: &str, v: Value| {
        if !v.is_null() {
            line.insert(k.to_owned(), v);
        }
    };
    let external = a
        .external_id
        .clone()
        .unwrap_or_else(|| format!("khobor:{}", a.id));
    put("id", json!(external));
    put("article_id", json!(a.id));
    put("title", json!(a.headline));
    put("kicker", json!(a.kicker));
    put("summary", json!(a.summary));
    put("body", json!(a.body_html));
    put("category", json!(a.section.name));
    put("section_slug", json!(a.section.slug));
    if let Some(t) = a
        .published_at
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
    {
        put(
            "published",
            json!(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        );
    }
    put("source", json!(a.source_name));
    put("url", json!(a.source_url));
    put("credit", json!(a.credit));
    put("signature", json!(a.signature));
    put("dateline", json!(a.dateline));
    put("image", json!(a.hero_url));
    let labels = |items: Vec<(&str, &str)>| -> Value {
        Value::Array(
            items
                .into_iter()
                .map(|(name, slug)| json!({"name": name, "slug": slug}))
                .collect(),
        )
    };
    if !a.tags.is_empty() {
        put(
            "tags",
            labels(a.tags.iter().map(|t| (&*t.name, &*t.slug)).collect()),
        );
    }
    if !a.authors.is_empty() {
        put(
            "author",
            labels(a.authors.iter().map(|t| (&*t.name, &*t.slug)).collect()),
        );
    }
    if !shown.is_empty() {
        let images: Vec<Value> = shown
            .iter()
            .map(|m| {
                let mut i = Map::new();
                i.insert(
                    "file".into(),
                    json!(format!("media{}", &m.path["/media".len()..])),
                );
                i.insert("alt".into(), json!(m.alt));
                if let Some(c) = &m.caption {
                    i.insert("caption".into(), json!(c));
                }
                if let Some(c) = &m.credit {
                    i.insert("credit".into(), json!(c));
                }
                Value::Object(i)
            })
            .collect();
        put("images", Value::Array(images));
    }
    if let Some(m) = hero {
        let mut f = Map::new();
        f.insert(
            "file".into(),
            json!(format!("media{}", &m.path["/media".len()..])),
        );
        if let Some(c) = &a.hero_caption {
            f.insert("caption".into(), json!(c));
        }
        if let Some(c) = &a.hero_credit {
            f.insert("credit".into(), json!(c));
        }
        put("featured", Value::Object(f));
    }
    Value::Object(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_names_are_found_where_values_start() {
        let html = "<figure><picture><source srcset=\"/media/ab-640.webp 640w, /media/ab-1280.webp 1280w\">\
            <img src=\"/media/ab.jpg\" alt=\"\"></picture></figure><p>লেখা /media/not-this.jpg</p>\
            <a href='/media/cd.png'>x</a><img src=\"https://x.test/media/ef.jpg\">";
        assert_eq!(
            media_names(html),
            ["ab-640.webp", "ab-1280.webp", "ab.jpg", "cd.png"]
        );
    }
}
