//! WordPress import: a WXR export (WordPress's "Export → All content" file) read one `<item>`
//! at a time with quick-xml, never the whole file: an archive's export runs to gigabytes.
//!
//! Posts become stories keyed `wp:<post ID>` (so a second run updates, never duplicates):
//! published posts with their dates, drafts, pending and scheduled posts as newsroom stories
//! (draft, review, scheduled). Categories become sections (a child keeps its own name), tags
//! tags, authors bylines. Old links — `/?p=ID`, `/<post_name>/`, the dated permalink, category,
//! tag and author archives — are recorded as redirects under the key of
//! `domain::urls::redirect_key`. Anything else (pages, attachments, private posts, menus,
//! templates) is reported as skipped with its reason. May import `domain`, `storage`.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use quick_xml::events::Event;

use crate::domain::bijoy::{self, BijoyMode};
use crate::domain::text::{body_to_html, clean_line, grapheme_len, html_to_text};
use crate::domain::Status;
use crate::media_store::{MediaStore, MediaStoreError};
use crate::storage::articles::{NewArticle, UpsertOutcome};
use crate::storage::{StorageError, Store};

const BATCH: usize = 200;
const MAX_HEADLINE: usize = 300;
/// One element's text larger than this (a post body, say) is refused rather than buffered.
const MAX_TEXT_BYTES: usize = crate::domain::text::MAX_RAW_BODY_BYTES;

/// Which permalink structure the old site used, for the dated redirect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Permalink {
    /// `/<post_name>/` only.
    #[default]
    Name,
    /// `/YYYY/MM/DD/<post_name>/` as well.
    Date,
}

#[derive(Debug, Clone)]
pub struct WpOptions {
    pub tz: Tz,
    pub bijoy: BijoyMode,
    pub permalink: Permalink,
    /// The old site's `wp-content/uploads` folder: images in bodies and featured images are
    /// brought into the media library from it. `None`: images stay at their old URLs.
    pub uploads: Option<PathBuf>,
    /// Where the media library keeps its files (the site's media store).
    pub media: MediaStore,
    /// Sections chosen for WordPress categories (`--section-map`); a category not in it
    /// becomes a section of its own name.
    pub section_map: SectionMap,
}

/// WordPress categories (by slug or name) → the Khobor sections their posts go to, read from
/// a TOML file of `"category" = "section"` lines. A post whose category is not listed goes by
/// the nearest listed parent category, else to a section named like its category.
#[derive(Debug, Clone, Default)]
pub struct SectionMap(HashMap<String, String>);

/// The largest section map read, and the most lines in it.
const MAX_SECTION_MAP_BYTES: u64 = 1024 * 1024;
const MAX_SECTION_MAP_LINES: usize = 10_000;

impl SectionMap {
    /// Reads a section map file; the error names what is wrong and where.
    pub fn read(path: &Path) -> Result<SectionMap, String> {
        let shown = path.display();
        let size = std::fs::metadata(path)
            .map_err(|e| format!("cannot read the section map {shown}: {e}"))?
            .len();
        if size > MAX_SECTION_MAP_BYTES {
            return Err(format!("the section map {shown} is larger than 1 MB"));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the section map {shown}: {e}"))?;
        SectionMap::parse(&text).map_err(|e| format!("the section map {shown}: {e}"))
    }

    pub fn parse(text: &str) -> Result<SectionMap, String> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            format!(
                "{} (expected lines like \"cricket\" = \"খেলা\")",
                e.message()
            )
        })?;
        if table.len() > MAX_SECTION_MAP_LINES {
            return Err(format!("more than {MAX_SECTION_MAP_LINES} categories"));
        }
        let mut map = HashMap::with_capacity(table.len());
        for (category, section) in table {
            let Some(section) = section.as_str() else {
                return Err(format!(
                    "\"{category}\" must be given a section name in quotes"
                ));
            };
            let section = crate::domain::text::clean_line(section);
            if section.is_empty() || section.chars().count() > crate::domain::story::MAX_TAG {
                return Err(format!(
                    "\"{category}\": a section name of 1 to {} characters",
                    crate::domain::story::MAX_TAG
                ));
            }
            map.insert(crate::domain::text::nfc(category.trim()), section);
        }
        Ok(SectionMap(map))
    }

    /// The section for a category given by slug and name, or its nearest listed parent.
    fn section_for(
        &self,
        slug: &str,
        name: &str,
        categories: &HashMap<String, Category>,
    ) -> Option<String> {
        if self.0.is_empty() {
            return None;
        }
        let (mut slug, mut name) = (slug.to_owned(), name.to_owned());
        // At most eight levels up, as category paths are.
        for _ in 0..8 {
            let decoded = percent_encoding::percent_decode_str(&slug)
                .decode_utf8_lossy()
                .into_owned();
            for key in [&slug, &decoded, &name] {
                if let Some(section) = self.0.get(&crate::domain::text::nfc(key.trim())) {
                    return Some(section.clone());
                }
            }
            let parent = categories
                .get(&slug)
                .map(|c| c.parent.clone())
                .unwrap_or_default();
            if parent.is_empty() {
                return None;
            }
            name = categories
                .get(&parent)
                .map(|c| c.name.clone())
                .unwrap_or_default();
            slug = parent;
        }
        None
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WpError {
    #[error("cannot read {path}: {source}")]
    Open {
        path: String,
        source: std::io::Error,
    },
    #[error("not a WordPress export (WXR): {0}")]
    NotWxr(String),
    #[error(
        "the file ends in the middle of {item} (truncated?); {kept} item(s) before it were imported"
    )]
    Truncated { item: String, kept: usize },
    #[error("the XML is broken in {item}: {message}; {kept} item(s) before it were imported")]
    Xml {
        item: String,
        message: String,
        kept: usize,
    },
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("images cannot be stored, the import stops here: {0}")]
    Media(#[from] MediaStoreError),
}

/// One item not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// `post 12 "headline"`, `attachment 42`, …
    pub item: String,
    pub reason: String,
    /// Whether something went wrong (a bad item, a missing file), as opposed to an item that
    /// is not a story by design (a page, a menu item, a post in the trash).
    pub problem: bool,
}

#[derive(Debug, Default, Clone)]
pub struct WpReport {
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Stories imported, by the status they got (`published`, `draft`, …).
    pub by_status: std::collections::BTreeMap<&'static str, usize>,
    pub skipped: Vec<Skipped>,
    /// Old paths recorded as redirects (stories, sections, tags, authors).
    pub redirects: usize,
    /// Images added to the media library (an image already there is not counted again).
    pub media_added: usize,
    /// Stories given their featured image.
    pub heroes: usize,
    /// Stories with a field converted from Bijoy to Unicode.
    pub from_bijoy: usize,
    pub elapsed: Duration,
}

impl WpReport {
    pub fn processed(&self) -> usize {
        self.inserted + self.updated + self.unchanged
    }

    pub fn per_second(&self) -> f64 {
        super::per_second(self.processed(), self.elapsed)
    }
}

/// A category as the channel lists it.
#[derive(Debug, Clone, Default)]
struct Category {
    nicename: String,
    name: String,
    parent: String,
}

/// What the channel says before (and between) the items.
#[derive(Debug, Default)]
struct Channel {
    wxr_version: Option<String>,
    /// `wp:base_site_url` and `wp:base_blog_url`: links to the old site start with them.
    base_urls: Vec<String>,
    /// login → display name
    authors: HashMap<String, String>,
    /// nicename → category
    categories: HashMap<String, Category>,
    /// slug → name
    tags: HashMap<String, String>,
}

/// One `<item>` as read, before it is judged.
#[derive(Debug, Default)]
struct Item {
    title: String,
    creator: String,
    content: String,
    excerpt: String,
    post_id: String,
    post_date: String,
    post_date_gmt: String,
    post_name: String,
    status: String,
    post_type: String,
    /// (domain, nicename, name)
    terms: Vec<(String, String, String)>,
    /// Why the item is refused whatever it says (a field over the size limit).
    refused: Option<String>,
    attachment_url: String,
    meta_key: String,
    /// `_thumbnail_id`: the attachment that is the post's featured image.
    thumbnail: Option<String>,
    /// `_wp_attachment_image_alt`
    alt: String,
    /// The post an attachment belongs to (`0` or empty: none).
    post_parent: String,
}

/// What is kept of an attachment item until the end of the file (only what its import needs:
/// an archive may list hundreds of thousands).
struct Attachment {
    describe: String,
    post_id: String,
    url: String,
    alt: String,
}

/// An image read from the uploads folder, cleaned and written to the media library's folder,
/// its row still to be added.
#[derive(Debug, Clone)]
struct Image {
    path: String,
    mime: &'static str,
    width: u32,
    height: u32,
    sha256: String,
    bytes: usize,
    alt: String,
}

/// Images met so far, by their old URL (one file is read once per import).
struct Images<'a> {
    uploads: Option<&'a Path>,
    media: &'a MediaStore,
    seen: HashMap<String, Result<Image, String>>,
    /// Cleaned images read since the last [`Images::store_pending`], to be written to the
    /// media store (asynchronously) before any row names them.
    pending: Vec<(String, bytes::Bytes)>,
}

impl Images<'_> {
    /// The image at an old upload URL, brought into the media folder; the reason if not.
    fn bring(&mut self, url: &str, alt: &str) -> Option<Result<Image, String>> {
        let uploads = self.uploads?;
        let rel = url.split_once("/wp-content/uploads/")?.1;
        let rel = rel.split(['?', '#']).next().unwrap_or(rel);
        if let Some(done) = self.seen.get(url) {
            return Some(done.clone());
        }
        let result = intake(uploads, rel, alt).map(|(image, name, bytes)| {
            self.pending.push((name, bytes));
            image
        });
        self.seen.insert(url.to_owned(), result.clone());
        Some(result)
    }

    /// Writes the images read since the last call into the media store (an object already
    /// there is the same bytes: names are content hashes). Called before the rows that name
    /// them are written, so no row points at a missing object.
    async fn store_pending(&mut self) -> Result<(), MediaStoreError> {
        for (name, bytes) in self.pending.drain(..) {
            self.media.put_new(&name, bytes).await?;
        }
        Ok(())
    }
}

/// Reads `uploads/rel` and checks and cleans it as a newsroom upload is (type from the bytes,
/// limits, metadata dropped); returns the image, its content-hashed name and the cleaned bytes
/// to store under it.
fn intake(uploads: &Path, rel: &str, alt: &str) -> Result<(Image, String, bytes::Bytes), String> {
    let rel = percent_encoding::percent_decode_str(rel)
        .decode_utf8_lossy()
        .into_owned();
    let rel_path = Path::new(&rel);
    if rel_path
        .components()
        .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return Err(format!("the path {rel:?} leaves the uploads folder"));
    }
    let bytes = std::fs::read(uploads.join(rel_path))
        .map_err(|e| format!("the file uploads/{rel} cannot be read: {e}"))?;
    let original = media::ingest(&bytes, &media::Limits::default())
        .map_err(|e| format!("uploads/{rel} is not a usable image: {e}"))?;
    let name = format!("{}.{}", &original.sha256[..16], original.format.ext());
    let image = Image {
        path: crate::domain::urls::media(&name),
        mime: original.format.mime(),
        width: original.width,
        height: original.height,
        sha256: original.sha256,
        bytes: original.bytes.len(),
        alt: clean_line(alt),
    };
    Ok((image, name, bytes::Bytes::from(original.bytes)))
}

/// The library's id for an image, adding its row if these bytes are not there yet.
async fn library_id(store: &Store, image: &Image, report: &mut WpReport) -> Result<i64, WpError> {
    if let Some(id) = store.media_by_sha256(&image.sha256).await? {
        return Ok(id);
    }
    let id = store
        .add_media(
            &crate::storage::media::NewMedia {
                path: &image.path,
                mime: image.mime,
                width: image.width,
                height: image.height,
                alt: &image.alt,
                caption: "",
                credit: "",
                sha256: &image.sha256,
                bytes: image.bytes,
                uploaded_by: None,
            },
            &crate::storage::users::Audit {
                actor: "import wordpress",
                action: "media.import",
                entity: "media",
                detail: image.path.clone(),
                ..Default::default()
            },
        )
        .await?;
    report.media_added += 1;
    Ok(id)
}

impl Item {
    fn describe(&self) -> String {
        let kind = if self.post_type.is_empty() {
            "item"
        } else {
            &self.post_type
        };
        match (self.post_id.is_empty(), self.title.trim().is_empty()) {
            (false, false) => format!("{kind} {} “{}”", self.post_id, self.title.trim()),
            (false, true) => format!("{kind} {}", self.post_id),
            (true, false) => format!("{kind} “{}”", self.title.trim()),
            (true, true) => kind.to_owned(),
        }
    }
}

/// A post ready to store, with the old paths that should lead to it.
struct Ready {
    article: NewArticle,
    old_paths: Vec<String>,
    /// Images of the body, brought into the media folder, their rows to add.
    images: Vec<Image>,
}

/// Why a WXR document could not be read on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WxrError {
    #[error("not a WordPress export (WXR): {0}")]
    NotWxr(String),
    #[error("the file ends in the middle of {item} (truncated?)")]
    Truncated { item: String },
    #[error("the XML is broken in {item}: {message}")]
    Xml { item: String, message: String },
}

/// A WXR document read one `<item>` at a time (pure: no store, no files), with what its
/// channel says (authors, categories, tags) gathered as it goes. The importer reads through
/// it; so does the `wordpress_wxr` fuzz target.
pub struct WxrReader<R: BufRead> {
    xml: quick_xml::Reader<R>,
    buf: Vec<u8>,
    stack: Vec<String>,
    text: String,
    text_too_long: bool,
    channel: Channel,
    item: Option<Item>,
    category: Category,
    tag: (String, String),
    author: (String, String),
    term_attrs: (String, String),
    items_seen: usize,
}

impl<R: BufRead> WxrReader<R> {
    pub fn new(reader: R) -> WxrReader<R> {
        let mut xml = quick_xml::Reader::from_reader(reader);
        xml.config_mut().trim_text(false);
        WxrReader {
            xml,
            buf: Vec::new(),
            stack: Vec::new(),
            text: String::new(),
            text_too_long: false,
            channel: Channel::default(),
            item: None,
            category: Category::default(),
            tag: (String::new(), String::new()),
            author: (String::new(), String::new()),
            term_attrs: (String::new(), String::new()),
            items_seen: 0,
        }
    }

    /// What the channel has said so far.
    fn channel(&self) -> &Channel {
        &self.channel
    }

    fn into_channel(self) -> Channel {
        self.channel
    }

    /// Items read so far.
    pub fn items_seen(&self) -> usize {
        self.items_seen
    }

    /// The next whole `<item>`, `None` at the end of a complete document.
    pub fn next_item(&mut self) -> Result<Option<WxrItem>, WxrError> {
        loop {
            let event = match self.xml.read_event_into(&mut self.buf) {
                Ok(e) => e,
                Err(e) if self.stack.is_empty() && self.channel.wxr_version.is_none() => {
                    return Err(WxrError::NotWxr(format!("not readable as XML: {e}")));
                }
                Err(e) => {
                    let item = self.item.as_ref().map_or_else(
                        || format!("the channel (after {} items)", self.items_seen),
                        Item::describe,
                    );
                    // Every syntax error quick-xml reports is input that ended inside markup.
                    if matches!(e, quick_xml::Error::Syntax(_)) {
                        return Err(WxrError::Truncated { item });
                    }
                    return Err(WxrError::Xml {
                        item,
                        message: e.to_string(),
                    });
                }
            };
            let mut done: Option<Item> = None;
            let stack = &mut self.stack;
            let text = &mut self.text;
            let channel = &mut self.channel;
            let item = &mut self.item;
            let category = &mut self.category;
            let tag = &mut self.tag;
            let author = &mut self.author;
            let term_attrs = &mut self.term_attrs;
            let text_too_long = &mut self.text_too_long;
            match event {
                Event::Start(e) => {
                    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                    if stack.is_empty() && name != "rss" {
                        return Err(WxrError::NotWxr(format!(
                            "the document is <{name}>, not an RSS export"
                        )));
                    }
                    if name == "item" && stack.len() == 2 {
                        if channel.wxr_version.is_none() {
                            return Err(WxrError::NotWxr(
                                "the channel has no wp:wxr_version before its first item \
                                 (an RSS feed, not a WordPress export?)"
                                    .into(),
                            ));
                        }
                        *item = Some(Item::default());
                    }
                    if name == "category" && stack.len() == 3 && item.is_some() {
                        *term_attrs = (String::new(), String::new());
                        for a in e.attributes().flatten() {
                            let v = a
                                .unescape_value()
                                .map(|v| v.into_owned())
                                .unwrap_or_default();
                            match a.key.as_ref() {
                                b"domain" => term_attrs.0 = v,
                                b"nicename" => term_attrs.1 = v,
                                _ => {}
                            }
                        }
                    }
                    stack.push(name);
                    text.clear();
                    *text_too_long = false;
                }
                Event::End(_) => {
                    let Some(name) = stack.pop() else {
                        self.buf.clear();
                        continue;
                    };
                    let value = std::mem::take(text);
                    let depth = stack.len();
                    let parent = stack.last().map(String::as_str).unwrap_or("");
                    if *text_too_long {
                        if let Some(it) = item.as_mut() {
                            // Recorded so the item is skipped with its reason.
                            it.refused =
                                Some(format!("<{name}> is larger than {MAX_TEXT_BYTES} bytes"));
                        }
                    }
                    match (parent, name.as_str()) {
                        ("channel", "wp:wxr_version") => channel.wxr_version = Some(value),
                        ("channel", "wp:base_site_url" | "wp:base_blog_url") => {
                            let base = value.trim().trim_end_matches('/').to_owned();
                            if base.starts_with("http") && !channel.base_urls.contains(&base) {
                                channel.base_urls.push(base);
                            }
                        }
                        ("wp:author", "wp:author_login") => author.0 = value,
                        ("wp:author", "wp:author_display_name") => author.1 = value,
                        ("channel", "wp:author") => {
                            let (login, display) = std::mem::take(author);
                            channel.authors.insert(login, display);
                        }
                        ("wp:category", "wp:category_nicename") => category.nicename = value,
                        ("wp:category", "wp:cat_name") => category.name = value,
                        ("wp:category", "wp:category_parent") => category.parent = value,
                        ("channel", "wp:category") => {
                            let c = std::mem::take(category);
                            channel.categories.insert(c.nicename.clone(), c);
                        }
                        ("wp:tag", "wp:tag_slug") => tag.0 = value,
                        ("wp:tag", "wp:tag_name") => tag.1 = value,
                        ("channel", "wp:tag") => {
                            let (slug, name) = std::mem::take(tag);
                            channel.tags.insert(slug, name);
                        }
                        ("channel", "item") => {
                            self.items_seen += 1;
                            done = item.take();
                        }
                        ("wp:postmeta", "wp:meta_key") if depth == 4 => {
                            if let Some(it) = item.as_mut() {
                                it.meta_key = value;
                            }
                        }
                        ("wp:postmeta", "wp:meta_value") if depth == 4 => {
                            if let Some(it) = item.as_mut() {
                                match it.meta_key.as_str() {
                                    "_thumbnail_id" => it.thumbnail = Some(value.trim().to_owned()),
                                    "_wp_attachment_image_alt" => it.alt = value,
                                    _ => {}
                                }
                            }
                        }
                        ("item", field) if depth == 3 => {
                            if let Some(it) = item.as_mut() {
                                match field {
                                    "title" => it.title = value,
                                    "dc:creator" => it.creator = value,
                                    "content:encoded" => it.content = value,
                                    "excerpt:encoded" => it.excerpt = value,
                                    "wp:post_id" => it.post_id = value.trim().to_owned(),
                                    "wp:post_date" => it.post_date = value.trim().to_owned(),
                                    "wp:post_date_gmt" => {
                                        it.post_date_gmt = value.trim().to_owned()
                                    }
                                    "wp:post_name" => it.post_name = value.trim().to_owned(),
                                    "wp:status" => it.status = value.trim().to_owned(),
                                    "wp:post_type" => it.post_type = value.trim().to_owned(),
                                    "wp:post_parent" => it.post_parent = value.trim().to_owned(),
                                    "wp:attachment_url" => {
                                        it.attachment_url = value.trim().to_owned()
                                    }
                                    "category" => it.terms.push((
                                        std::mem::take(&mut term_attrs.0),
                                        std::mem::take(&mut term_attrs.1),
                                        value,
                                    )),
                                    _ => {}
                                }
                            }
                        }
                        _ => {}
                    }
                }
                Event::Text(t) if !*text_too_long => match t.unescape() {
                    Ok(s) => text.push_str(&s),
                    Err(_) => text.push_str(&String::from_utf8_lossy(t.as_ref())),
                },
                Event::CData(t) if !*text_too_long => {
                    text.push_str(&String::from_utf8_lossy(t.as_ref()));
                }
                Event::Eof => {
                    self.buf.clear();
                    return self.finish().map(|()| None);
                }
                _ => {}
            }
            if self.text.len() > MAX_TEXT_BYTES {
                self.text.clear();
                self.text_too_long = true;
            }
            self.buf.clear();
            if let Some(it) = done {
                return Ok(Some(WxrItem(it)));
            }
        }
    }

    /// At the end of the input: a document left open is truncated; one whose channel never
    /// said its WXR version is not an export.
    fn finish(&self) -> Result<(), WxrError> {
        if !self.stack.is_empty() {
            let item = self.item.as_ref().map_or_else(
                || {
                    format!(
                        "<{}> (after {} items)",
                        self.stack.join("> <"),
                        self.items_seen
                    )
                },
                Item::describe,
            );
            return Err(WxrError::Truncated { item });
        }
        if self.channel.wxr_version.is_none() {
            return Err(WxrError::NotWxr(
                "no wp:wxr_version in the channel (an RSS feed, not a WordPress export?)".into(),
            ));
        }
        Ok(())
    }
}

/// One `<item>` of a WXR document as read (a post, a page, an attachment, …).
pub struct WxrItem(Item);

impl WxrItem {
    /// `post 12 “headline”`, `attachment 42`, …
    pub fn describe(&self) -> String {
        self.0.describe()
    }

    /// The item's body as written (`content:encoded`).
    pub fn content(&self) -> &str {
        &self.0.content
    }

    /// `wp:post_date`, read as WordPress writes it (`None` for its "no date").
    pub fn post_date(&self) -> Option<NaiveDateTime> {
        parse_wp_time(&self.0.post_date)
    }
}

/// Imports a WXR file.
pub async fn import_wordpress_file(
    store: &Store,
    path: &Path,
    options: &WpOptions,
) -> Result<WpReport, WpError> {
    let file = File::open(path).map_err(|source| WpError::Open {
        path: path.display().to_string(),
        source,
    })?;
    import_wordpress_reader(store, BufReader::with_capacity(1 << 16, file), options).await
}

/// Imports a WXR document read from `reader`, one item at a time, in batches of stories
/// written each in one transaction: a file that breaks half-way keeps every item before the
/// broken one, complete.
pub async fn import_wordpress_reader(
    store: &Store,
    reader: impl BufRead,
    options: &WpOptions,
) -> Result<WpReport, WpError> {
    let started = Instant::now();
    let now = crate::storage::now();
    let mut report = WpReport::default();
    let mut wxr = WxrReader::new(reader);
    let mut batch: Vec<Ready> = Vec::with_capacity(BATCH);
    let mut attachments: Vec<Attachment> = Vec::new();
    // Attachment pages: (attachment id, its slug, its post's id).
    let mut attachment_pages: Vec<(String, String, String)> = Vec::new();
    // The slug paths of each published post read (`wp:<ID>` → `/<slug>/`, `/Y/M/D/<slug>/`).
    let mut post_paths: HashMap<String, Vec<String>> = HashMap::new();
    let mut thumbnails: Vec<(String, String)> = Vec::new();
    let mut images = Images {
        uploads: options.uploads.as_deref(),
        media: &options.media,
        seen: HashMap::new(),
        pending: Vec::new(),
    };

    loop {
        let it = match wxr.next_item() {
            Ok(Some(WxrItem(it))) => it,
            Ok(None) => break,
            Err(WxrError::NotWxr(m)) => return Err(WpError::NotWxr(m)),
            Err(WxrError::Truncated { item }) => {
                let kept = flush(store, &mut batch, &mut report).await?;
                return Err(WpError::Truncated { item, kept });
            }
            Err(WxrError::Xml { item, message }) => {
                let kept = flush(store, &mut batch, &mut report).await?;
                return Err(WpError::Xml {
                    item,
                    message,
                    kept,
                });
            }
        };

        if it.post_type == "attachment" && !matches!(it.post_parent.as_str(), "" | "0") {
            // Its page (`/?attachment_id=ID`, `/<post>/<attachment>/`)
            // leads to its post's story, once every post has been read.
            attachment_pages.push((
                it.post_id.clone(),
                it.post_name.clone(),
                it.post_parent.clone(),
            ));
        }
        if it.post_type == "attachment" && options.uploads.is_some() {
            // Brought into the library at the end, when every post that
            // uses it as its featured image has been read.
            attachments.push(Attachment {
                describe: it.describe(),
                post_id: it.post_id,
                url: it.attachment_url,
                alt: it.alt,
            });
            continue;
        }
        if let (true, Some(thumb)) = (it.post_type == "post", &it.thumbnail) {
            thumbnails.push((format!("wp:{}", it.post_id), thumb.clone()));
        }
        let judged = judge(
            it,
            wxr.channel(),
            options,
            now,
            &mut images,
            &mut report.skipped,
        );
        images.store_pending().await?;
        match judged {
            Ok((ready, converted)) => {
                report.from_bijoy += usize::from(converted);
                let slug_paths: Vec<String> = ready
                    .old_paths
                    .iter()
                    .filter(|p| !p.starts_with("/?"))
                    .cloned()
                    .collect();
                if !slug_paths.is_empty() {
                    post_paths.insert(ready.article.external_id.clone(), slug_paths);
                }
                batch.push(ready);
            }
            Err(s) => report.skipped.push(s),
        }
        if batch.len() >= BATCH {
            flush(store, &mut batch, &mut report).await?;
        }
    }
    let channel = wxr.into_channel();
    flush(store, &mut batch, &mut report).await?;
    attachment_redirects(store, &attachment_pages, &post_paths, &mut report).await?;
    label_redirects(store, &channel, options.bijoy, &mut report).await?;
    featured_images(store, attachments, &thumbnails, &mut images, &mut report).await?;
    if report.inserted > 0 {
        store.refresh_statistics().await?;
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Each attachment page of a published post leads to the post's story: `/?attachment_id=ID`
/// and `<post's path><attachment slug>/` under each of the post's slug paths.
async fn attachment_redirects(
    store: &Store,
    pages: &[(String, String, String)],
    post_paths: &HashMap<String, Vec<String>>,
    report: &mut WpReport,
) -> Result<(), WpError> {
    let mut tx = store.begin_write().await?;
    for (id, slug, parent) in pages {
        let external = format!("wp:{parent}");
        let Some(paths) = post_paths.get(&external) else {
            continue;
        };
        let Some(story) = store.article_id_by_external(&mut tx, &external).await? else {
            continue;
        };
        let mut from = vec![format!("/?attachment_id={id}")];
        if !slug.is_empty() {
            from.extend(paths.iter().map(|p| format!("{p}{slug}/")));
        }
        for path in from {
            store.set_redirect(&mut tx, &path, story).await?;
            report.redirects += 1;
        }
    }
    store.commit(tx).await?;
    Ok(())
}

/// Writes the batch in one transaction; returns how many stories were imported so far.
async fn flush(
    store: &Store,
    batch: &mut Vec<Ready>,
    report: &mut WpReport,
) -> Result<usize, WpError> {
    if batch.is_empty() {
        return Ok(report.processed());
    }
    // Each image's row is added in its own transaction (as an upload's is), before the batch.
    for ready in batch.iter() {
        for image in &ready.images {
            library_id(store, image, report).await?;
        }
    }
    let mut tx = store.begin_write().await?;
    for ready in batch.iter() {
        let id = match store.upsert_external(&mut tx, &ready.article).await? {
            UpsertOutcome::Inserted(id) => {
                report.inserted += 1;
                id
            }
            UpsertOutcome::Updated(id) => {
                report.updated += 1;
                id
            }
            UpsertOutcome::Unchanged(id) => {
                report.unchanged += 1;
                id
            }
        };
        *report
            .by_status
            .entry(ready.article.status.as_str())
            .or_default() += 1;
        for path in &ready.old_paths {
            store.set_redirect(&mut tx, path, id).await?;
            report.redirects += 1;
        }
    }
    store.commit(tx).await?;
    batch.clear();
    Ok(report.processed())
}

/// The attachments brought into the media library (a missing or unusable file is a skipped
/// item), then each post's featured image set.
async fn featured_images(
    store: &Store,
    attachments: Vec<Attachment>,
    thumbnails: &[(String, String)],
    images: &mut Images<'_>,
    report: &mut WpReport,
) -> Result<(), WpError> {
    let mut ids: HashMap<String, i64> = HashMap::new();
    for a in attachments {
        let brought = images.bring(&a.url, &a.alt);
        images.store_pending().await?;
        match brought {
            Some(Ok(image)) => {
                ids.insert(a.post_id, library_id(store, &image, report).await?);
            }
            Some(Err(reason)) => report.skipped.push(Skipped {
                item: a.describe,
                reason,
                problem: true,
            }),
            None => report.skipped.push(Skipped {
                item: a.describe,
                reason: format!("its file {:?} is not under wp-content/uploads/", a.url),
                problem: true,
            }),
        }
    }
    for (external_id, thumb) in thumbnails {
        if let Some(media_id) = ids.get(thumb) {
            if store.set_hero_media(external_id, *media_id).await? {
                report.heroes += 1;
            }
        }
    }
    Ok(())
}

/// Category, tag and author archives of the old site, to the matching Khobor pages (those
/// that exist: a tag no imported story carries has none).
async fn label_redirects(
    store: &Store,
    channel: &Channel,
    mode: BijoyMode,
    report: &mut WpReport,
) -> Result<(), WpError> {
    let mut tx = store.begin_write().await?;
    for c in channel.categories.values() {
        let from = format!("/category/{}/", category_path(channel, &c.nicename));
        if store
            .set_label_redirect(&mut tx, &from, "section", &label(&c.name, mode).0)
            .await?
        {
            report.redirects += 1;
        }
    }
    for (slug, name) in &channel.tags {
        let from = format!("/tag/{slug}/");
        if store
            .set_label_redirect(&mut tx, &from, "tag", &label(name, mode).0)
            .await?
        {
            report.redirects += 1;
        }
    }
    for (login, display) in &channel.authors {
        let from = format!("/author/{login}/");
        let name = byline(display, login, mode).0;
        if store
            .set_label_redirect(&mut tx, &from, "author", &name)
            .await?
        {
            report.redirects += 1;
        }
    }
    store.commit(tx).await?;
    Ok(())
}

/// `parent/child` nicenames of a category, from the root down (at most eight levels, so a
/// cycle in a hand-edited file can't loop).
fn category_path(channel: &Channel, nicename: &str) -> String {
    let mut parts = vec![nicename.to_owned()];
    let mut at = nicename;
    for _ in 0..8 {
        match channel.categories.get(at) {
            Some(c) if !c.parent.is_empty() => {
                parts.push(c.parent.clone());
                at = &c.parent;
            }
            _ => break,
        }
    }
    parts.reverse();
    parts.join("/")
}

fn byline(display: &str, login: &str, mode: BijoyMode) -> (String, bool) {
    if clean_line(display).is_empty() {
        label(login, mode)
    } else {
        label(display, mode)
    }
}

/// A section, tag or author name as stored: one clean line, converted from Bijoy if it is
/// (and `mode` says so); whether it was.
fn label(name: &str, mode: BijoyMode) -> (String, bool) {
    let name = clean_line(&html_to_text(name));
    match mode {
        BijoyMode::Auto => match bijoy::convert_text(&name) {
            Some(unicode) => (clean_line(&unicode), true),
            None => (name, false),
        },
        BijoyMode::Off => (name, false),
    }
}

/// Decides what becomes of one item: a story ready to store, or the reason it is skipped.
fn judge(
    mut it: Item,
    channel: &Channel,
    options: &WpOptions,
    now: i64,
    images: &mut Images<'_>,
    notes: &mut Vec<Skipped>,
) -> Result<(Ready, bool), Skipped> {
    let skip = |it: &Item, reason: String| Skipped {
        item: it.describe(),
        reason,
        problem: true,
    };
    // Not a story by design: listed in the summary, not a failure of the import.
    let not_content = |it: &Item, reason: &str| Skipped {
        item: it.describe(),
        reason: reason.to_owned(),
        problem: false,
    };
    if let Some(reason) = &it.refused {
        return Err(skip(&it, reason.clone()));
    }
    match it.post_type.as_str() {
        "post" => {}
        "page" => return Err(not_content(&it, "pages are not imported (only posts)")),
        "attachment" => {
            return Err(not_content(
                &it,
                "no --uploads folder given: the image stays at its old URL",
            ))
        }
        "revision" => return Err(not_content(&it, "a revision, not content")),
        "nav_menu_item" => return Err(not_content(&it, "a navigation menu item, not content")),
        other => {
            return Err(not_content(
                &it,
                &format!("post type {other:?} is not content"),
            ))
        }
    }
    let status = match it.status.as_str() {
        "publish" => Status::Published,
        "draft" => Status::Draft,
        "pending" => Status::Review,
        "future" => Status::Scheduled,
        "private" => return Err(not_content(&it, "a private post (kept out of the paper)")),
        "trash" => return Err(not_content(&it, "in the trash")),
        "auto-draft" => return Err(not_content(&it, "an automatic draft")),
        "inherit" => return Err(not_content(&it, "a revision, not content")),
        other => return Err(skip(&it, format!("status {other:?} is not imported"))),
    };
    let post_id: u64 = it
        .post_id
        .parse()
        .map_err(|_| skip(&it, format!("wp:post_id {:?} is not a number", it.post_id)))?;

    let mut converted = false;
    let mut title = it.title.clone();
    let mut excerpt = it.excerpt.clone();
    let mut content = std::mem::take(&mut it.content);
    if options.bijoy == BijoyMode::Auto {
        for field in [&mut title, &mut excerpt] {
            converted |= bijoy::convert_field(field);
        }
        converted |= bijoy::convert_body(&mut content);
    }

    let headline = clean_line(&html_to_text(&title));
    if headline.is_empty() {
        return Err(skip(&it, "no title".into()));
    }
    if grapheme_len(&headline) > MAX_HEADLINE {
        return Err(skip(
            &it,
            format!("the title is longer than {MAX_HEADLINE} characters"),
        ));
    }
    let (content, body_images) = local_images(&content, images, &it, notes);
    // Links to the old site become site paths, which its redirects now answer.
    let mut content = content;
    for base in &channel.base_urls {
        content = content
            .replace(&format!("href=\"{base}/"), "href=\"/")
            .replace(&format!("href=\"{base}\""), "href=\"/\"");
    }
    let body_html =
        body_to_html(&clean_body(&content)).map_err(|e| skip(&it, format!("the body: {e}")))?;
    let body_text = html_to_text(&body_html);
    if body_text.trim().is_empty() {
        return Err(skip(&it, "the body has no text".into()));
    }
    let summary = Some(clean_line(&html_to_text(&excerpt))).filter(|s| !s.is_empty());

    // WordPress's date in UTC, or (never set on a draft: all zeros) its local date read in
    // the paper's zone.
    let gmt = parse_wp_time(&it.post_date_gmt).map(|t| chrono::Utc.from_utc_datetime(&t));
    let local =
        parse_wp_time(&it.post_date).and_then(|t| options.tz.from_local_datetime(&t).earliest());
    let published_at = gmt
        .map(|t| t.timestamp())
        .or_else(|| local.map(|t| t.timestamp()));
    let published_at = match status {
        Status::Published | Status::Scheduled => {
            let t = published_at.ok_or_else(|| skip(&it, "no date".into()))?;
            if !crate::domain::in_time_range(t) {
                return Err(skip(
                    &it,
                    "the date is outside the years Khobor shows".into(),
                ));
            }
            if status == Status::Published && t > now + 24 * 3600 {
                return Err(skip(&it, "published, but dated in the future".into()));
            }
            Some(t)
        }
        // A draft has no publication time yet.
        _ => None,
    };

    let categories: Vec<&(String, String, String)> =
        it.terms.iter().filter(|t| t.0 == "category").collect();
    // Of several categories, the most specific: one whose parent is also chosen.
    let chosen = categories
        .iter()
        .find(|t| {
            channel
                .categories
                .get(&t.1)
                .is_some_and(|c| categories.iter().any(|o| o.1 == c.parent))
        })
        .or(categories.first());
    let mode = options.bijoy;
    let mut labelled = |name: &str| {
        let (name, was) = label(name, mode);
        converted |= was;
        name
    };
    let section_name = chosen
        .map(|t| {
            options
                .section_map
                .section_for(&t.1, &t.2, &channel.categories)
                .unwrap_or_else(|| labelled(&t.2))
        })
        .filter(|s| !s.is_empty())
        .ok_or_else(|| skip(&it, "no category".into()))?;
    let mut seen = std::collections::HashSet::new();
    let tags: Vec<String> = it
        .terms
        .iter()
        .filter(|t| t.0 == "post_tag")
        .take(crate::domain::story::MAX_RAW_ITEMS)
        .map(|t| labelled(&t.2))
        .filter(|t| !t.is_empty() && seen.insert(t.clone()))
        .collect();
    let login = it.creator.trim();
    let authors = if login.is_empty() {
        Vec::new()
    } else {
        let display = channel
            .authors
            .get(login)
            .map(String::as_str)
            .unwrap_or(login);
        let (name, was) = byline(display, login, mode);
        converted |= was;
        vec![name]
    };

    let mut old_paths = Vec::new();
    if status == Status::Published {
        old_paths.push(format!("/?p={post_id}"));
        if !it.post_name.is_empty() {
            old_paths.push(format!("/{}/", it.post_name));
            if options.permalink == Permalink::Date {
                if let Some(local) = local {
                    old_paths.push(format!("/{}/{}/", local.format("%Y/%m/%d"), it.post_name));
                }
            }
        }
    }
    let article = NewArticle {
        external_id: format!("wp:{post_id}"),
        headline,
        kicker: None,
        summary,
        body_html,
        body_text,
        section_name,
        tags,
        places: Vec::new(),
        authors,
        credit: None,
        signature: None,
        dateline: None,
        hero_url: None,
        source_name: None,
        source_url: None,
        published_at,
        status,
        exact: Default::default(),
    };
    Ok((
        Ready {
            article,
            old_paths,
            images: body_images,
        },
        converted,
    ))
}

/// The body with each `<img src>` under the old uploads folder pointed at the media library's
/// copy (an image whose file is missing keeps its old URL and is reported), and those images.
fn local_images(
    content: &str,
    images: &mut Images<'_>,
    it: &Item,
    notes: &mut Vec<Skipped>,
) -> (String, Vec<Image>) {
    let mut out = String::with_capacity(content.len());
    let mut found = Vec::new();
    let mut rest = content;
    while let Some(at) = rest.find("<img") {
        let tag_end = rest[at..].find('>').map_or(rest.len(), |e| at + e + 1);
        let tag = &rest[at..tag_end];
        out.push_str(&rest[..at]);
        let src = tag.find("src=\"").and_then(|i| {
            let from = i + 5;
            tag[from..].find('"').map(|len| (from, from + len))
        });
        let alt = tag
            .find("alt=\"")
            .and_then(|i| tag[i + 5..].split('"').next())
            .unwrap_or("");
        match src.map(|(a, b)| (a, b, images.bring(&tag[a..b], alt))) {
            Some((a, b, Some(Ok(image)))) => {
                out.push_str(&tag[..a]);
                out.push_str(&image.path);
                out.push_str(&tag[b..]);
                found.push(image);
            }
            Some((a, b, Some(Err(reason)))) => {
                notes.push(Skipped {
                    item: format!("image {} in {}", &tag[a..b], it.describe()),
                    reason: format!("{reason} (the old URL is kept)"),
                    problem: true,
                });
                out.push_str(tag);
            }
            _ => out.push_str(tag),
        }
        rest = &rest[tag_end..];
    }
    out.push_str(rest);
    (out, found)
}

/// `2025-03-18 09:15:00`; `None` for WordPress's "no date" (`0000-00-00 00:00:00`).
fn parse_wp_time(s: &str) -> Option<NaiveDateTime> {
    if s.is_empty() || s.starts_with("0000") {
        return None;
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").ok()
}

/// A post's body as WordPress would show it, before the sanitiser: block-editor comments
/// removed, `[caption]` made a figure, `[embed]` a link, other shortcodes dropped, and — for a
/// classic body without paragraphs — blank lines made paragraphs (WordPress's `wpautop`).
pub fn clean_body(raw: &str) -> String {
    let s = strip_comments(raw);
    let s = shortcodes(&s);
    collapse_blank_lines(&autop(&s))
}

/// Block markup leaves runs of empty lines where its comments were; one is enough.
fn collapse_blank_lines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut blank = 0;
    for line in s.lines() {
        if line.trim().is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Drops `<!-- wp:… -->`, `<!-- /wp:… -->` and `<!--more-->` (the sanitiser would drop other
/// comments too; these go first so that no block marker splits a paragraph).
fn strip_comments(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("<!--") {
        out.push_str(&rest[..at]);
        match rest[at..].find("-->") {
            Some(end) => rest = &rest[at + end + 3..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Shortcodes: `[caption …]<img …> text[/caption]` → `<figure><img …><figcaption>text
/// </figcaption></figure>`; `[embed]URL[/embed]` → a link; any other `[name …]` or `[/name]`
/// (an ASCII name) dropped. Bengali text in brackets is left alone.
fn shortcodes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('[') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let Some(close) = tail.find(']') else {
            out.push_str(tail);
            rest = "";
            break;
        };
        let inner = &tail[1..close];
        let name_part = inner.strip_prefix('/').unwrap_or(inner);
        let name: String = name_part
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        let is_code = !name.is_empty()
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name_part[name.len()..]
                .chars()
                .next()
                .is_none_or(|c| c.is_whitespace() || c == '/');
        if !is_code {
            out.push('[');
            rest = &tail[1..];
            continue;
        }
        let after = &tail[close + 1..];
        let end_tag = format!("[/{name}]");
        match (name.as_str(), inner.starts_with('/')) {
            ("caption" | "wp_caption", false) => {
                if let Some(end) = after.find(&end_tag) {
                    out.push_str(&caption(&after[..end]));
                    rest = &after[end + end_tag.len()..];
                    continue;
                }
            }
            ("embed", false) => {
                if let Some(end) = after.find(&end_tag) {
                    let url = after[..end].trim();
                    if url.starts_with("https://") || url.starts_with("http://") {
                        let url = html_escape::encode_double_quoted_attribute(url);
                        out.push_str(&format!("\n\n<a href=\"{url}\">{url}</a>\n\n"));
                    }
                    rest = &after[end + end_tag.len()..];
                    continue;
                }
            }
            _ => {}
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The inside of a `[caption]`: the image (maybe in a link), then the caption's text.
fn caption(inner: &str) -> String {
    let inner = inner.trim();
    let image_end = if inner.starts_with("<a") {
        inner.find("</a>").map(|i| i + 4)
    } else {
        inner.find('>').map(|i| i + 1)
    };
    let (image, text) = match image_end {
        Some(i) => inner.split_at(i),
        None => ("", inner),
    };
    let text = text.trim();
    let caption = if text.is_empty() {
        String::new()
    } else {
        format!("<figcaption>{text}</figcaption>")
    };
    format!("\n\n<figure>{image}{caption}</figure>\n\n")
}

/// Paragraphs from blank lines, as WordPress's `wpautop` makes them, for a body with none of
/// its own; blocks that are already block-level elements are left as they are.
fn autop(s: &str) -> String {
    if s.contains("<p>") || s.contains("<p ") {
        return s.to_owned();
    }
    let normalised = s.replace("\r\n", "\n");
    let mut out = String::with_capacity(normalised.len() + 64);
    for chunk in normalised.split("\n\n") {
        let chunk = chunk.trim();
        if chunk.is_empty() {
            continue;
        }
        let block = [
            "<figure",
            "<h1",
            "<h2",
            "<h3",
            "<h4",
            "<h5",
            "<h6",
            "<ul",
            "<ol",
            "<blockquote",
            "<div",
            "<table",
            "<pre",
            "<hr",
        ]
        .iter()
        .any(|b| chunk.starts_with(b));
        if block {
            out.push_str(chunk);
        } else {
            out.push_str("<p>");
            out.push_str(&chunk.replace('\n', "<br>\n"));
            out.push_str("</p>");
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_comments_go_and_paragraphs_stay() {
        let body = "<!-- wp:paragraph -->\n<p>এক</p>\n<!-- /wp:paragraph -->\n\n<!-- wp:paragraph -->\n<p>দুই</p>\n<!-- /wp:paragraph -->";
        let out = clean_body(body);
        assert!(!out.contains("wp:"), "{out}");
        assert!(out.contains("<p>এক</p>") && out.contains("<p>দুই</p>"));
    }

    #[test]
    fn a_classic_body_gets_paragraphs_a_figure_and_no_shortcodes() {
        let body = "[caption id=\"attachment_44\" align=\"alignnone\" width=\"300\"]<img src=\"/a.png\" alt=\"নেট\" width=\"300\" height=\"200\" /> নেটে অনুশীলন[/caption]\n\nপ্রথম <strong>অনুচ্ছেদ</strong>।\n\n<!--more-->\n\nদ্বিতীয় [gallery ids=\"1,2\"] অনুচ্ছেদ [১]।\n\n[embed]https://www.youtube.com/watch?v=x[/embed]";
        let out = clean_body(body);
        assert!(out.contains("<figure><img src=\"/a.png\""), "{out}");
        assert!(
            out.contains("<figcaption>নেটে অনুশীলন</figcaption></figure>"),
            "{out}"
        );
        assert!(
            out.contains("<p>প্রথম <strong>অনুচ্ছেদ</strong>।</p>"),
            "{out}"
        );
        assert!(out.contains("<p>দ্বিতীয়  অনুচ্ছেদ [১]।</p>"), "{out}");
        assert!(
            out.contains("<a href=\"https://www.youtube.com/watch?v=x\">"),
            "{out}"
        );
        assert!(
            !out.contains("[/caption]") && !out.contains("more"),
            "{out}"
        );
    }

    #[test]
    fn zero_dates_are_no_dates() {
        assert_eq!(parse_wp_time("0000-00-00 00:00:00"), None);
        assert!(parse_wp_time("2025-03-18 09:15:00").is_some());
    }
}
