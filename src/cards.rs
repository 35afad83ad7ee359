//! Photocards a reader can verify: the newsroom makes a card of a published story (its
//! headline, or a quote from its text), `crates/card` draws it, and the card is signed and
//! recorded for good. The record is the exact text signed with the paper's Ed25519 key — one
//! `key=value` per line in a fixed order — so anyone can check it without re-serialising
//! anything; the public keys are published as a JWKS (RFC 7517/8037). No HTTP here: the
//! pages and the API call [`CardService`].
//!
//! The private keys never enter the store. Each node keeps its own in `DATA/card-keys.json`
//! (mode 0600), made on first use, or takes one from `KHOBOR_CARD_KEY`; their public halves
//! are published in the store, so every node serves every key.

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use chrono::{Datelike, TimeZone};
use chrono_tz::Tz;
use ed25519_dalek::{Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::cpu::CpuPool;
use crate::domain::text::clean_line;
use crate::domain::{urls, Action, Status};
use crate::media_store::{MediaStore, MediaStoreError, Put};
use crate::storage::cards::{Card, CardKey, NewCard};
use crate::storage::users::Audit;
use crate::storage::{now, StorageError, Store};
use crate::stories::Caller;

pub use card::Layout;

/// The site setting naming the media library image drawn as the cards' masthead.
pub const LOGO_SETTING: &str = "card.logo_media_id";
/// The site setting with the cards' accent colour (`#rrggbb`); unset, each section's colour.
pub const ACCENT_SETTING: &str = "card.accent";

/// The record format's version, its first line.
pub const RECORD_VERSION: u32 = 1;
/// The longest headline or quote a card takes (the renderer refuses longer ones too).
pub const MAX_TEXT_CHARS: usize = 300;
const MAX_SPEAKER_CHARS: usize = 80;

#[derive(Debug, thiserror::Error)]
pub enum CardFailure {
    #[error("your role does not allow making cards")]
    Forbidden,
    #[error("no such story")]
    NotFound,
    #[error("cards are made of published stories only; this one is {0}")]
    NotPublished(&'static str),
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("the card's signing key cannot be used: {0}")]
    Key(String),
    #[error("the card image cannot be stored: {0}")]
    Image(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

fn invalid(field: &'static str, message: impl Into<String>) -> CardFailure {
    CardFailure::Invalid {
        field,
        message: message.into(),
    }
}

/// What an editor asks for.
#[derive(Debug, Clone)]
pub struct CardRequest {
    pub layout: Layout,
    /// A quote from the story's text; without one the card carries the headline.
    pub quote: Option<String>,
    pub speaker: Option<String>,
    /// A photo from the media library; without one, the story's own photo if it has one.
    pub media_id: Option<i64>,
    /// The point of the photo kept in view when it is cropped, each 0..=1.
    pub focal: (f32, f32),
}

/// The exact text signed for a card: one `key=value` per line, in this order, NFC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub code: String,
    pub card_url: String,
    pub story_url: String,
    /// `headline` or `quote`.
    pub kind: String,
    pub text: String,
    pub speaker: String,
    /// The card's publication time, RFC 3339 in UTC.
    pub published: String,
    pub png_sha256: String,
}

impl Record {
    pub fn to_text(&self) -> String {
        let lines = [
            ("version", RECORD_VERSION.to_string()),
            ("code", self.code.clone()),
            ("card_url", self.card_url.clone()),
            ("story_url", self.story_url.clone()),
            ("kind", self.kind.clone()),
            ("text", self.text.clone()),
            ("speaker", self.speaker.clone()),
            ("published", self.published.clone()),
            ("png_sha256", self.png_sha256.clone()),
        ];
        // Each value one line, NFC (`clean_line`); the keys are ASCII.
        let mut out = String::new();
        for (k, v) in lines {
            out.push_str(k);
            out.push('=');
            out.push_str(&clean_line(&v));
            out.push('\n');
        }
        out
    }

    /// Reads a record back (for `khobor card verify`), refusing anything not in the format.
    pub fn parse(text: &str) -> Result<Record, String> {
        let mut values = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let (k, v) = line
                .split_once('=')
                .ok_or_else(|| format!("line {} has no `=`", i + 1))?;
            values.push((k, v));
        }
        let keys = [
            "version",
            "code",
            "card_url",
            "story_url",
            "kind",
            "text",
            "speaker",
            "published",
            "png_sha256",
        ];
        let found: Vec<&str> = values.iter().map(|(k, _)| *k).collect();
        if found != keys {
            return Err(format!(
                "the record's keys are {found:?}; a version {RECORD_VERSION} record has {keys:?} in that order"
            ));
        }
        if values[0].1 != RECORD_VERSION.to_string() {
            return Err(format!("unknown record version {:?}", values[0].1));
        }
        let v = |i: usize| values[i].1.to_owned();
        Ok(Record {
            code: v(1),
            card_url: v(2),
            story_url: v(3),
            kind: v(4),
            text: v(5),
            speaker: v(6),
            published: v(7),
            png_sha256: v(8),
        })
    }
}

/// A new card code: 40 random bits in base32 (RFC 4648 alphabet), 8 upper-case characters,
/// so a QR code carries the card's URL in its compact alphanumeric mode.
pub fn new_code() -> String {
    let mut bytes = [0u8; 5];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    base32_40(bytes)
}

fn base32_40(bytes: [u8; 5]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let n = bytes.iter().fold(0u64, |n, &b| (n << 8) | u64::from(b));
    (0..8)
        .rev()
        .map(|i| ALPHABET[((n >> (i * 5)) & 31) as usize] as char)
        .collect()
}

/// A code as typed or scanned (any case, spaces or a dash between its halves) in its stored
/// form, or `None` when it cannot be a code.
pub fn normalise_code(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == 8
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)))
    .then_some(code)
}

/// The path of a card's page, image and record.
pub fn card_path(code: &str) -> String {
    format!("/c/{code}")
}

// ---- keys

/// A JWK thumbprint (RFC 7638) of an Ed25519 public key: the key's id.
pub fn key_id(public: &[u8; 32]) -> String {
    let x = B64.encode(public);
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    B64.encode(Sha256::digest(canonical.as_bytes()))
}

/// The JWKS of every key cards were signed with. A retired key carries `exp`, the time after
/// which nothing it signed is genuine.
pub fn jwks(keys: &[CardKey]) -> serde_json::Value {
    let keys: Vec<serde_json::Value> = keys
        .iter()
        .map(|k| {
            let mut j = serde_json::json!({
                "kty": "OKP", "crv": "Ed25519", "x": k.public_key, "kid": k.kid,
                "alg": "EdDSA", "use": "sig", "iat": k.created_at,
            });
            if let Some(t) = k.retired_at {
                j["exp"] = t.into();
            }
            j
        })
        .collect();
    serde_json::json!({ "keys": keys })
}

#[derive(Serialize, Deserialize, Default)]
struct KeyFile {
    keys: Vec<StoredKey>,
}

#[derive(Serialize, Deserialize, Clone)]
struct StoredKey {
    kid: String,
    /// The 32-byte secret seed, base64url.
    seed: String,
    created_at: i64,
    #[serde(default)]
    retired_at: Option<i64>,
}

/// Where the signing key comes from: a file of this node's keys, or one fixed key from the
/// environment (the same on every node).
#[derive(Clone, Debug)]
pub enum KeySource {
    File(PathBuf),
    Fixed(String),
}

impl KeySource {
    pub fn for_data_dir(data_dir: &Path, from_env: Option<String>) -> KeySource {
        match from_env {
            Some(seed) => KeySource::Fixed(seed),
            None => KeySource::File(data_dir.join("card-keys.json")),
        }
    }
}

fn seed_key(seed: &str) -> Result<SigningKey, String> {
    let bytes = B64
        .decode(seed.trim().trim_end_matches('='))
        .map_err(|e| format!("the key is not base64url: {e}"))?;
    let seed: [u8; 32] = bytes
        .try_into()
        .map_err(|b: Vec<u8>| format!("an Ed25519 key is 32 bytes, this one is {}", b.len()))?;
    Ok(SigningKey::from_bytes(&seed))
}

fn new_key() -> StoredKey {
    let mut seed = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
    let key = SigningKey::from_bytes(&seed);
    StoredKey {
        kid: key_id(key.verifying_key().as_bytes()),
        seed: B64.encode(seed),
        created_at: now(),
        retired_at: None,
    }
}

fn read_key_file(path: &Path) -> Result<Option<KeyFile>, String> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| format!("{} is not a card key file: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// Writes the key file readable by its owner only, replacing the old one in one step.
fn write_key_file(path: &Path, file: &KeyFile) -> Result<(), String> {
    use std::io::Write as _;
    let tmp = path.with_extension("json.tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let write = || -> std::io::Result<()> {
        let mut f = options.open(&tmp)?;
        f.write_all(&serde_json::to_vec_pretty(file).map_err(std::io::Error::other)?)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The key cards are signed with now, made (and its file written) on first use.
fn active_key(source: &KeySource) -> Result<SigningKey, String> {
    match source {
        KeySource::Fixed(seed) => seed_key(seed).map_err(|e| format!("KHOBOR_CARD_KEY: {e}")),
        KeySource::File(path) => {
            let mut file = read_key_file(path)?.unwrap_or_default();
            if let Some(k) = file.keys.iter().rev().find(|k| k.retired_at.is_none()) {
                return seed_key(&k.seed).map_err(|e| format!("{}: {e}", path.display()));
            }
            let k = new_key();
            file.keys.push(k.clone());
            write_key_file(path, &file)?;
            seed_key(&k.seed)
        }
    }
}

/// `khobor card-key rotate`: a new key signs from now on; the old ones are retired (kept
/// published, so their cards still verify). Returns (new kid, retired kids).
pub async fn rotate_key(
    store: &Store,
    source: &KeySource,
) -> Result<(String, Vec<String>), String> {
    let KeySource::File(path) = source else {
        return Err("the signing key comes from KHOBOR_CARD_KEY: rotate it by setting a new one there (and run `khobor card-key rotate` without it to retire the old one in the store)".into());
    };
    let mut file = read_key_file(path)?.unwrap_or_default();
    let t = now();
    let mut retired = Vec::new();
    for k in file.keys.iter_mut().filter(|k| k.retired_at.is_none()) {
        k.retired_at = Some(t);
        retired.push(k.kid.clone());
    }
    let k = new_key();
    file.keys.push(k.clone());
    write_key_file(path, &file)?;
    let public = seed_key(&k.seed)?.verifying_key();
    let fail = |e: StorageError| e.to_string();
    store
        .publish_card_key(&k.kid, &B64.encode(public.as_bytes()))
        .await
        .map_err(fail)?;
    for kid in &retired {
        store.retire_card_key(kid, t).await.map_err(fail)?;
    }
    Ok((k.kid, retired))
}

/// Checks a record's signature against a JWKS. Returns the key's id, or why it fails.
pub fn verify(
    record: &str,
    signature: &str,
    kid: &str,
    jwks: &serde_json::Value,
) -> Result<String, String> {
    let keys = jwks["keys"]
        .as_array()
        .ok_or("the key set has no `keys` array")?;
    let key = keys
        .iter()
        .find(|k| k["kid"] == kid)
        .ok_or_else(|| format!("no published key has the id {kid:?}"))?;
    if key["kty"] != "OKP" || key["crv"] != "Ed25519" {
        return Err(format!("the key {kid:?} is not an Ed25519 key"));
    }
    let x = B64
        .decode(key["x"].as_str().unwrap_or(""))
        .map_err(|e| format!("the key's x is not base64url: {e}"))?;
    let x: [u8; 32] = x.try_into().map_err(|_| "the key's x is not 32 bytes")?;
    let public = VerifyingKey::from_bytes(&x).map_err(|e| format!("not a public key: {e}"))?;
    let sig = B64
        .decode(signature.trim_end_matches('='))
        .map_err(|e| format!("the signature is not base64url: {e}"))?;
    let sig =
        ed25519_dalek::Signature::from_slice(&sig).map_err(|e| format!("not a signature: {e}"))?;
    public.verify(record.as_bytes(), &sig).map_err(|_| {
        "the signature does not match the record: it was changed or not signed with this key"
            .to_owned()
    })?;
    if let (Some(exp), Ok(r)) = (key["exp"].as_i64(), Record::parse(record)) {
        let signed = chrono::DateTime::parse_from_rfc3339(&r.published).map(|t| t.timestamp());
        if signed.is_ok_and(|t| t > exp) {
            return Err(format!(
                "the key {kid:?} was retired before this record's time"
            ));
        }
    }
    Ok(kid.to_owned())
}

// ---- the service

/// Card images live in the media store beside the library's files (on disk or in the
/// bucket every node shares), as `card-<code>.png`; a card image never changes.
#[derive(Clone, Debug)]
pub struct CardImages {
    media: MediaStore,
}

impl CardImages {
    pub fn new(media: MediaStore) -> CardImages {
        CardImages { media }
    }

    pub fn name(code: &str) -> String {
        format!("card-{}.png", code.to_ascii_lowercase())
    }

    /// Writes a new card's image; a code is never reused, so an object already there under
    /// the name is not this card's and is an error.
    async fn put(&self, name: &str, png: Vec<u8>) -> Result<(), String> {
        match self.media.put_new(name, png.into()).await {
            Ok(Put::Created) => Ok(()),
            Ok(Put::AlreadyThere) => Err(format!("an object named {name} is already stored")),
            Err(e) => Err(e.to_string()),
        }
    }

    pub async fn get(&self, name: &str) -> Result<Option<bytes::Bytes>, MediaStoreError> {
        self.media.get(name).await
    }

    /// The bytes of a media library file by its site path (`/media/NAME`).
    async fn media_bytes(&self, path: &str) -> Option<bytes::Bytes> {
        let name = path.strip_prefix("/media/").unwrap_or(path);
        self.media.get(name).await.ok().flatten()
    }
}

/// Site facts a card shows.
#[derive(Clone, Debug)]
pub struct SiteFacts {
    pub name: String,
    pub base_url: String,
    pub tz: Tz,
}

/// Makes, signs and finds cards; cheap to clone.
#[derive(Clone, Debug)]
pub struct CardService {
    store: Store,
    cpu: CpuPool,
    site: SiteFacts,
    keys: KeySource,
    images: CardImages,
}

impl CardService {
    pub fn new(
        store: Store,
        cpu: CpuPool,
        site: SiteFacts,
        keys: KeySource,
        images: CardImages,
    ) -> CardService {
        CardService {
            store,
            cpu,
            site,
            keys,
            images,
        }
    }

    pub fn images(&self) -> &CardImages {
        &self.images
    }

    pub fn url(&self, code: &str) -> String {
        format!("{}{}", self.site.base_url, card_path(code))
    }

    /// Checks a request and gathers what the card shows, cheapest checks first.
    async fn plan(
        &self,
        caller: &Caller,
        article_id: i64,
        req: CardRequest,
    ) -> Result<Plan, CardFailure> {
        if !caller.allows(Action::PublishCard) {
            return Err(CardFailure::Forbidden);
        }
        let quote = req
            .quote
            .as_deref()
            .map(clean_line)
            .filter(|q| !q.is_empty());
        let speaker = req
            .speaker
            .as_deref()
            .map(clean_line)
            .filter(|s| !s.is_empty());
        if let Some(q) = &quote {
            let n = q.chars().count();
            if n > MAX_TEXT_CHARS {
                return Err(invalid(
                    "quote",
                    format!(
                        "the quote is {n} characters long; a card takes at most {MAX_TEXT_CHARS}"
                    ),
                ));
            }
        }
        if let Some(s) = &speaker {
            if s.chars().count() > MAX_SPEAKER_CHARS {
                return Err(invalid(
                    "speaker",
                    format!("a speaker's name takes at most {MAX_SPEAKER_CHARS} characters"),
                ));
            }
            if quote.is_none() {
                return Err(invalid("speaker", "a speaker goes with a quote"));
            }
        }
        let (fx, fy) = req.focal;
        if !(0.0..=1.0).contains(&fx) || !(0.0..=1.0).contains(&fy) {
            return Err(invalid(
                "focal",
                "the focal point's x and y are each between 0 and 1",
            ));
        }
        let story = self
            .store
            .story(article_id)
            .await?
            .ok_or(CardFailure::NotFound)?;
        if story.status != Status::Published {
            return Err(CardFailure::NotPublished(story.status.as_str()));
        }
        let (kind, text) = match &quote {
            Some(q) => {
                let body = clean_line(&crate::domain::text::html_to_text(&story.fields.body_html));
                if !body.contains(q.as_str()) {
                    return Err(invalid(
                        "quote",
                        "the quote is not in the story's text: a card quotes only what the story says",
                    ));
                }
                ("quote", q.clone())
            }
            None => ("headline", clean_line(&story.fields.headline)),
        };
        let text_field = if kind == "quote" { "quote" } else { "headline" };
        let checked = text.clone();
        self.cpu
            .run(move || card::check_text(&checked))
            .await
            .map_err(|e| invalid(text_field, e.to_string()))?;
        let media_id = req.media_id.or(story.fields.hero_media_id);
        let photo =
            match media_id {
                Some(id) => {
                    let m =
                        self.store.media(id).await?.ok_or_else(|| {
                            invalid("media_id", "no such image in the media library")
                        })?;
                    // The widest JPEG variant up to 1600 px is plenty for a 1080 px card and
                    // decodes in a fraction of a camera original's time; the original while the
                    // variants are still being made.
                    let variants = self.store.media_variants(&[id]).await?;
                    let variant = variants
                        .iter()
                        .filter(|v| v.mime == "image/jpeg" && v.width <= CARD_PHOTO_WIDTH)
                        .max_by_key(|v| v.width);
                    let path = match variant {
                        Some(v) => format!("/media/{}", v.name),
                        None => m.path.clone(),
                    };
                    let bytes =
                        self.images.media_bytes(&path).await.ok_or_else(|| {
                            invalid("media_id", "the image's file cannot be read")
                        })?;
                    Some(bytes)
                }
                None => None,
            };
        let sections = self.store.sections().await?;
        let section = sections.iter().find(|s| s.id == story.fields.section_id);
        let accent = match self.store.setting(ACCENT_SETTING).await? {
            Some(c) if parse_colour(&c).is_some() => parse_colour(&c),
            _ => section.and_then(|s| parse_colour(&s.colour)),
        };
        let logo = match self
            .store
            .setting(LOGO_SETTING)
            .await?
            .and_then(|v| v.parse::<i64>().ok())
        {
            Some(id) => match self.store.media(id).await? {
                Some(m) => self.images.media_bytes(&m.path).await,
                None => None,
            },
            None => None,
        };
        Ok(Plan {
            article_id,
            story_url: format!(
                "{}{}",
                self.site.base_url,
                urls::article(&story.section_slug, story.id)
            ),
            layout: req.layout,
            kind,
            text_field,
            text,
            speaker,
            media_id,
            photo,
            focal: (fx, fy),
            section_name: section.map(|s| s.name.clone()).unwrap_or_default(),
            accent,
            logo,
        })
    }

    /// Draws a planned card with its code (off the async workers).
    async fn draw(
        &self,
        plan: &Plan,
        code: &str,
        created_at: i64,
    ) -> Result<card::Rendered, CardFailure> {
        let address = self
            .site
            .base_url
            .split_once("://")
            .map_or(self.site.base_url.as_str(), |(_, rest)| rest)
            .to_owned();
        let site_name = self.site.name.clone();
        let date_line = date_line(created_at, self.site.tz);
        let (layout, text, speaker, photo, (fx, fy), section, accent, logo) = (
            plan.layout,
            plan.text.clone(),
            plan.speaker.clone(),
            plan.photo.clone(),
            plan.focal,
            plan.section_name.clone(),
            plan.accent,
            plan.logo.clone(),
        );
        let code = code.to_owned();
        let url = self.url(&code);
        let text_field = plan.text_field;
        self.cpu
            .run(move || {
                let mut colors = card::Colors::default();
                if let Some(a) = accent {
                    colors.accent = a;
                }
                card::render(&card::CardSpec {
                    layout,
                    site_name: &site_name,
                    logo: logo.as_deref(),
                    photo: photo.as_deref().map(|bytes| card::Photo {
                        bytes,
                        focal_x: fx,
                        focal_y: fy,
                    }),
                    section: &section,
                    text: &text,
                    speaker: speaker.as_deref(),
                    date_line: &date_line,
                    site_address: &address,
                    code: &code,
                    qr_url: &url,
                    colors,
                })
            })
            .await
            .map_err(|e| match e {
                card::CardError::PhotoTooLarge { .. } | card::CardError::PhotoUnreadable(_) => {
                    invalid("media_id", e.to_string())
                }
                card::CardError::LogoTooLarge { .. } | card::CardError::LogoUnreadable(_) => {
                    invalid(
                        "logo",
                        format!("{e} (the logo is set on the newsroom's settings page)"),
                    )
                }
                other => invalid(text_field, other.to_string()),
            })
    }

    /// The card as it would look, not signed or kept (its code is a placeholder).
    pub async fn preview(
        &self,
        caller: &Caller,
        article_id: i64,
        req: CardRequest,
    ) -> Result<Vec<u8>, CardFailure> {
        let plan = self.plan(caller, article_id, req).await?;
        Ok(self.draw(&plan, PREVIEW_CODE, now()).await?.png)
    }

    /// Makes a card of story `article_id` as `caller` asks, signs and records it.
    pub async fn make(
        &self,
        caller: &Caller,
        article_id: i64,
        req: CardRequest,
    ) -> Result<Card, CardFailure> {
        let plan = self.plan(caller, article_id, req).await?;
        let code = loop {
            let c = new_code();
            if !self.store.card_code_taken(&c).await? {
                break c;
            }
        };
        let created_at = now();
        let rendered = self.draw(&plan, &code, created_at).await?;
        let png_sha256 = hex::encode(Sha256::digest(&rendered.png));
        let record = Record {
            code: code.clone(),
            card_url: self.url(&code),
            story_url: plan.story_url.clone(),
            kind: plan.kind.to_owned(),
            text: plan.text.clone(),
            speaker: plan.speaker.clone().unwrap_or_default(),
            published: chrono::Utc
                .timestamp_opt(created_at, 0)
                .single()
                .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                .unwrap_or_default(),
            png_sha256: png_sha256.clone(),
        }
        .to_text();
        let key = active_key(&self.keys).map_err(CardFailure::Key)?;
        let public = key.verifying_key();
        let kid = key_id(public.as_bytes());
        self.store
            .publish_card_key(&kid, &B64.encode(public.as_bytes()))
            .await?;
        let signature = B64.encode(key.sign(record.as_bytes()).to_bytes());
        let image_name = CardImages::name(&code);
        let png_bytes = rendered.png.len();
        // The image is written before the row, so no card ever names a missing image.
        self.images
            .put(&image_name, rendered.png)
            .await
            .map_err(CardFailure::Image)?;
        self.store
            .add_card(
                &NewCard {
                    code: &code,
                    article_id: plan.article_id,
                    layout: plan.layout.as_str(),
                    kind: plan.kind,
                    text: &plan.text,
                    speaker: plan.speaker.as_deref(),
                    media_id: plan.media_id,
                    image_name: &image_name,
                    png_sha256: &png_sha256,
                    png_bytes,
                    width: rendered.width,
                    height: rendered.height,
                    record: &record,
                    signature: &signature,
                    kid: &kid,
                    created_by: Some(caller.user.id),
                    created_at,
                },
                &Audit {
                    user_id: Some(caller.user.id),
                    actor: &caller.user.name,
                    action: "card.publish",
                    entity: "card",
                    entity_id: None,
                    detail: format!("{code} of story {}", plan.article_id),
                    address: &caller.address,
                },
            )
            .await?;
        self.store
            .card_by_code(&code)
            .await?
            .ok_or(CardFailure::NotFound)
    }
}

/// The widest photo a card is drawn from, in pixels.
const CARD_PHOTO_WIDTH: i64 = 1600;

/// The code a preview shows: a card that was never published.
pub const PREVIEW_CODE: &str = "XXXXXXXX";

/// Everything a card shows, checked, before it has a code.
struct Plan {
    article_id: i64,
    story_url: String,
    layout: Layout,
    kind: &'static str,
    text_field: &'static str,
    text: String,
    speaker: Option<String>,
    media_id: Option<i64>,
    photo: Option<bytes::Bytes>,
    focal: (f32, f32),
    section_name: String,
    accent: Option<[u8; 3]>,
    logo: Option<bytes::Bytes>,
}

/// `#rgb` or `#rrggbb` as RGB.
pub fn parse_colour(s: &str) -> Option<[u8; 3]> {
    let hex = s.strip_prefix('#')?;
    // Digits only: `from_str_radix` would also take a leading `+`.
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let full: String = match hex.len() {
        3 => hex.chars().flat_map(|c| [c, c]).collect(),
        6 => hex.to_owned(),
        _ => return None,
    };
    let v = u32::from_str_radix(&full, 16).ok()?;
    Some([(v >> 16) as u8, (v >> 8) as u8, v as u8])
}

/// "৬ ডিসেম্বর ২০২৬ · ২১ অগ্রহায়ণ ১৪৩৩" in the paper's zone.
pub fn date_line(t: i64, tz: Tz) -> String {
    let Some(d) = tz.timestamp_opt(t, 0).single() else {
        return String::new();
    };
    let g = bangla::calendar::gregorian_bn(d.year(), d.month(), d.day());
    match bangla::calendar::BanglaDate::from_gregorian(d.year(), d.month(), d.day()) {
        Some(b) => format!("{g} · {}", b.to_bengali_string()),
        None => g,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_eight_base32_letters_and_read_back_in_any_case() {
        assert_eq!(base32_40([0; 5]), "AAAAAAAA");
        assert_eq!(base32_40([0xff; 5]), "77777777");
        assert_eq!(base32_40([0x08, 0x42, 0x10, 0x84, 0x21]), "BBBBBBBB");
        let c = new_code();
        assert_eq!(normalise_code(&c.to_ascii_lowercase()), Some(c.clone()));
        assert_eq!(normalise_code(&format!("{}-{}", &c[..4], &c[4..])), Some(c));
        assert_eq!(normalise_code("ABCD1234"), None, "1 is not in the alphabet");
        assert_eq!(normalise_code("ABC"), None);
    }

    #[test]
    fn a_record_reads_back_as_written_and_keeps_one_value_per_line() {
        let r = Record {
            code: "ABCDEFGH".into(),
            card_url: "https://x.test/c/ABCDEFGH".into(),
            story_url: "https://x.test/national/1".into(),
            kind: "quote".into(),
            text: "আমরা\nদ্রুত   নির্বাচন চাই".into(),
            speaker: "কেউ=একজন".into(),
            published: "2026-12-06T10:00:00Z".into(),
            png_sha256: "00".repeat(32),
        };
        let text = r.to_text();
        assert_eq!(text.lines().count(), 9);
        assert!(text.contains("\ntext=আমরা দ্রুত নির্বাচন চাই\n"));
        let back = Record::parse(&text).unwrap();
        assert_eq!(back.text, "আমরা দ্রুত নির্বাচন চাই");
        assert_eq!(back.speaker, "কেউ=একজন", "only the first = splits");
        assert!(Record::parse(&text.replace("kind=", "type=")).is_err());
    }

    #[test]
    fn a_signed_record_verifies_and_one_changed_letter_does_not() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let public = key.verifying_key();
        let kid = key_id(public.as_bytes());
        let keys = jwks(&[CardKey {
            kid: kid.clone(),
            public_key: B64.encode(public.as_bytes()),
            created_at: 0,
            retired_at: None,
        }]);
        let record = "version=1\ntext=প্রধানমন্ত্রীর সঙ্গে বৈঠকে\n";
        let sig = B64.encode(key.sign(record.as_bytes()).to_bytes());
        assert_eq!(verify(record, &sig, &kid, &keys), Ok(kid.clone()));
        let changed = record.replace("বৈঠকে", "বৈঠকের");
        assert!(verify(&changed, &sig, &kid, &keys).is_err());
        assert!(verify(record, &sig, "other", &keys).is_err());
    }

    #[test]
    fn a_key_id_is_the_rfc_7638_thumbprint() {
        // RFC 8037 appendix A.3: the thumbprint of its example Ed25519 key.
        let x = B64
            .decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
            .unwrap();
        let x: [u8; 32] = x.try_into().unwrap();
        assert_eq!(key_id(&x), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    }

    #[test]
    fn the_key_file_is_made_once_and_readable_by_its_owner_only() {
        let dir = std::env::temp_dir().join(format!("khobor-card-keys-{}", new_code()));
        std::fs::create_dir_all(&dir).unwrap();
        let source = KeySource::for_data_dir(&dir, None);
        let a = active_key(&source).unwrap();
        let b = active_key(&source).unwrap();
        assert_eq!(
            a.to_bytes(),
            b.to_bytes(),
            "the key is made once and then reused"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.join("card-keys.json"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_date_line_has_both_calendars_in_bengali_digits() {
        // 2026-12-06 12:00 in Dhaka.
        let line = date_line(1_796_536_800, chrono_tz::Asia::Dhaka);
        assert!(line.starts_with("৬ ডিসেম্বর ২০২৬ · "), "{line}");
        assert!(line.contains("অগ্রহায়ণ"), "{line}");
    }
}
