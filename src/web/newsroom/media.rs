//! The media library: upload (form), the library page, the picker the editor uses, and
//! serving the files under `/media/` (content-hashed names, cached forever).

use std::path::Path as FsPath;

use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{Multipart, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;
use tokio::io::AsyncWriteExt;

use crate::domain::text::clean_line;
use crate::domain::Action;
use crate::storage::media::{Media, NewMedia};
use crate::storage::now;
use crate::storage::users::Audit;
use crate::web::view::DateView;
use crate::web::{AppState, WebError};

use super::{page, Staff, MAX_UPLOAD_BYTES};

/// An upload as it arrives: the file (spooled to disk) and its describing fields.
#[derive(Default)]
pub struct Upload {
    pub file: Option<UploadFile>,
    pub file_name: String,
    pub alt: String,
    pub caption: String,
    pub credit: String,
    pub csrf: String,
}

/// The uploaded file, written to a temporary file under the data directory as it arrived (so
/// a slow or hostile upload holds disk, not memory), deleted when dropped.
pub struct UploadFile {
    path: tempfile::TempPath,
}

/// Why an upload was refused, in the newsroom's words, with the HTTP status and the admin
/// API's error code.
#[derive(Debug)]
pub struct UploadError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl UploadError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> UploadError {
        UploadError {
            status,
            code,
            message: message.into(),
        }
    }

    fn too_large() -> UploadError {
        UploadError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "ফাইলটি খুব বড়: সর্বোচ্চ ২০ মেগাবাইট।",
        )
    }

    fn not_an_image() -> UploadError {
        UploadError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "not_an_image",
            media::MediaError::NotAnImage.to_string(),
        )
    }

    fn internal(what: &str, e: impl std::fmt::Display) -> UploadError {
        tracing::error!(error = %e, "{what}");
        UploadError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "ছবিটি সংরক্ষণ করা যায়নি।",
        )
    }
}

impl UploadError {
    /// The media store failed the write: unreachable or refusing (logged with its address),
    /// said to the newsroom in one sentence.
    fn media_store(e: crate::media_store::MediaStoreError) -> UploadError {
        tracing::error!(error = %e, "upload not stored");
        UploadError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "media_store_unavailable",
            "ছবিটি সংরক্ষণ করা যায়নি: মিডিয়া স্টোরে পৌঁছানো যাচ্ছে না (the media store cannot be reached)। একটু পরে আবার চেষ্টা করুন।",
        )
    }
}

impl From<media::MediaError> for UploadError {
    fn from(e: media::MediaError) -> UploadError {
        use media::MediaError as M;
        let (status, code) = match e {
            M::NotAnImage => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "not_an_image"),
            M::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            M::OverBudget { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "over_memory_budget"),
            M::TooManyPixels { .. } | M::DimensionsTooLarge { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "too_many_pixels")
            }
            M::Empty | M::Corrupt(_) | M::Encode(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid_upload")
            }
        };
        UploadError::new(
            status,
            code,
            bangla::digits::to_bengali_digits(&e.to_string()),
        )
    }
}

/// Where uploads are spooled while they arrive ([`crate::config::Config::spool_dir`]).
pub fn spool_dir(state: &AppState) -> std::path::PathBuf {
    state.config().spool_dir()
}

/// Longest describing field (alt, caption, credit, CSRF token) read; the form allows 300
/// characters, which in Bengali is under 1 KB.
const MAX_FIELD_BYTES: usize = 16 * 1024;

/// Bytes [`media::sniff`] needs to tell every accepted format apart (WebP's `RIFF….WEBP`).
const SNIFF_BYTES: usize = 12;

/// Reads a multipart upload chunk by chunk. The file is judged by its first bytes, before
/// anything is written, and refused at once if it is not an image; otherwise it is spooled to
/// a temporary file in `spool_dir`, refused as soon as it passes `MAX_UPLOAD_BYTES`. Text
/// fields are capped at [`MAX_FIELD_BYTES`]. Nothing the size of the upload is held in memory.
pub async fn read_upload(
    mut multipart: Multipart,
    spool_dir: &FsPath,
) -> Result<Upload, UploadError> {
    let mut up = Upload::default();
    while let Some(mut field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or("").to_owned();
        if name == "file" {
            if up.file.is_some() {
                return Err(UploadError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_upload",
                    "একবারে একটি ছবি আপলোড করুন।",
                ));
            }
            up.file_name = field.file_name().unwrap_or("").to_owned();
            up.file = spool_file(&mut field, spool_dir).await?;
        } else {
            let text = read_field(&mut field).await?;
            match name.as_str() {
                "alt" => up.alt = clean_line(&text),
                "caption" => up.caption = clean_line(&text),
                "credit" => up.credit = clean_line(&text),
                "csrf" => up.csrf = text,
                _ => {}
            }
        }
    }
    Ok(up)
}

fn unreadable(e: MultipartError) -> UploadError {
    // The body limit, met while the parser reads ahead of the size check below.
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return UploadError::too_large();
    }
    UploadError::new(
        e.status(),
        "invalid_upload",
        format!("আপলোডটি পড়া যায়নি (ফাইল সর্বোচ্চ ২০ মেগাবাইট): {}", e.body_text()),
    )
}

/// A describing field, at most [`MAX_FIELD_BYTES`].
async fn read_field(field: &mut Field<'_>) -> Result<String, UploadError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
        if bytes.len() + chunk.len() > MAX_FIELD_BYTES {
            return Err(UploadError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "লেখার ঘরটি খুব বড়: বিকল্প লেখা, ক্যাপশন ও কৃতজ্ঞতা ছোট করে লিখুন।",
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Streams the file field to a temporary file; `None` when the field is empty (no file chosen).
async fn spool_file(
    field: &mut Field<'_>,
    dir: &FsPath,
) -> Result<Option<UploadFile>, UploadError> {
    let mut head = Vec::new();
    let mut ended = false;
    while head.len() < SNIFF_BYTES {
        let Some(chunk) = field.chunk().await.map_err(unreadable)? else {
            ended = true;
            break;
        };
        if head.len() + chunk.len() > MAX_UPLOAD_BYTES {
            return Err(UploadError::too_large());
        }
        head.extend_from_slice(&chunk);
    }
    if head.is_empty() {
        return Ok(None);
    }
    // The rest of the request is left unread: a 20 MB executable costs its first packet.
    if media::sniff(&head).is_none() {
        return Err(UploadError::not_an_image());
    }

    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| UploadError::internal("cannot create the upload directory", e))?;
    let dir = dir.to_owned();
    let spooled = tokio::task::spawn_blocking(move || {
        tempfile::Builder::new().prefix(".upload-").tempfile_in(dir)
    })
    .await
    .map_err(|e| UploadError::internal("upload spool", e))?
    .map_err(|e| UploadError::internal("cannot create an upload file", e))?;
    let (file, path) = spooled.into_parts();
    let mut file = tokio::fs::File::from_std(file);
    let write_error = |e: std::io::Error| UploadError::internal("cannot write an upload file", e);
    file.write_all(&head).await.map_err(write_error)?;
    let mut len = head.len();
    drop(head);
    if !ended {
        while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
            if len + chunk.len() > MAX_UPLOAD_BYTES {
                return Err(UploadError::too_large());
            }
            file.write_all(&chunk).await.map_err(write_error)?;
            len += chunk.len();
        }
    }
    // tokio writes in the background; the decode reads the file through another handle.
    file.flush().await.map_err(write_error)?;
    Ok(Some(UploadFile { path }))
}

/// Checks and stores an upload: the type is decided from the bytes, limits and the decode
/// budget are enforced before decoding, metadata is dropped; the cleaned original is written
/// under a content-hashed name and the variants are left to the background job. Returns the
/// new media id.
pub async fn store_upload(
    state: &AppState,
    up: Upload,
    user_id: i64,
    actor: &str,
    address: &str,
) -> Result<i64, UploadError> {
    if up.alt.is_empty() {
        return Err(UploadError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_upload",
            "ছবির বিকল্প লেখা (alt) দিন: যাঁরা ছবি দেখতে পান না, তাঁদের জন্য ছবিতে কী আছে।",
        ));
    }
    let Some(file) = up.file else {
        return Err(UploadError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_upload",
            "কোনো ফাইল বেছে নেওয়া হয়নি।",
        ));
    };
    let permit = state
        .image_permits()
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| {
            UploadError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "shutting_down",
                "সার্ভার বন্ধ হচ্ছে।",
            )
        })?;
    let original = tokio::task::spawn_blocking(move || {
        // The decode holds the permit, not the request: an uploader who hangs up does not
        // free a place while the decode goes on.
        let _permit = permit;
        let bytes = std::fs::read(&file.path)
            .map_err(|e| UploadError::internal("cannot read an upload file", e))?;
        drop(file);
        media::ingest(&bytes, &media::Limits::default()).map_err(UploadError::from)
    })
    .await
    .map_err(|e| UploadError::internal("image processing panicked", e))??;
    let name = format!("{}.{}", &original.sha256[..16], original.format.ext());
    let size = original.bytes.len();
    // The object before the row: a crash between the two leaves an unlisted object (harmless,
    // and found again by the next upload of the same bytes), never a row without its bytes.
    state
        .media_store()
        .put_new(&name, bytes::Bytes::from(original.bytes))
        .await
        .map_err(UploadError::media_store)?;
    let path = crate::domain::urls::media(&name);
    let id = state
        .store()
        .add_media(
            &NewMedia {
                path: &path,
                mime: original.format.mime(),
                width: original.width,
                height: original.height,
                alt: &up.alt,
                caption: &up.caption,
                credit: &up.credit,
                sha256: &original.sha256,
                bytes: size,
                uploaded_by: Some(user_id),
            },
            &Audit {
                user_id: Some(user_id),
                actor,
                action: "media.upload",
                entity: "media",
                detail: up.file_name.clone(),
                address,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| UploadError::internal("cannot record media", e))?;
    state.wake_media_worker();
    Ok(id)
}

#[derive(Serialize)]
pub struct PickerItem {
    pub id: i64,
    pub alt: String,
    pub caption: Option<String>,
    pub credit: Option<String>,
    pub thumb: String,
    /// The widest ready JPEG variant (for inserting into a body), else the original.
    pub large: String,
    pub status: String,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub uploaded: Option<DateView>,
}

async fn items(state: &AppState, list: Vec<Media>) -> Result<Vec<PickerItem>, WebError> {
    let ids: Vec<i64> = list.iter().map(|m| m.id).collect();
    let variants = state.store().media_variants(&ids).await?;
    let t = now();
    Ok(list
        .into_iter()
        .map(|m| {
            let mine: Vec<_> = variants.iter().filter(|v| v.media_id == m.id).collect();
            let thumb = mine
                .iter()
                .find(|v| v.mime == "image/webp")
                .map(|v| crate::domain::urls::media(&v.name))
                .unwrap_or_else(|| m.path.clone());
            let large = mine
                .iter()
                .rfind(|v| v.mime == "image/jpeg" && v.width <= 1024)
                .map(|v| crate::domain::urls::media(&v.name))
                .unwrap_or_else(|| m.path.clone());
            PickerItem {
                id: m.id,
                alt: m.alt,
                caption: m.caption,
                credit: m.credit,
                thumb,
                large,
                status: m.status,
                width: m.width,
                height: m.height,
                uploaded: Some(DateView::new(m.created_at, state.tz(), t)),
            }
        })
        .collect())
}

/// The most recent uploads, for the editor's hero picker and "insert image".
pub async fn picker(state: &AppState) -> Result<Vec<PickerItem>, WebError> {
    let list = state.store().media_list(None, 60).await?;
    items(state, list).await
}

async fn library_page(
    state: &AppState,
    staff: &Staff,
    status: StatusCode,
    error: Option<String>,
    uploaded: Option<i64>,
) -> Result<Response, WebError> {
    let list = state.store().media_list(None, 200).await?;
    let items = items(state, list).await?;
    page(
        state,
        staff,
        status,
        "newsroom/media.html",
        minijinja::context! { items => items, error => error, uploaded => uploaded },
    )
    .await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct LibraryQuery {
    uploaded: Option<i64>,
}

pub async fn library(
    State(state): State<AppState>,
    staff: Staff,
    axum::extract::Query(q): axum::extract::Query<LibraryQuery>,
) -> Result<Response, WebError> {
    staff.require(Action::UploadMedia)?;
    library_page(&state, &staff, StatusCode::OK, None, q.uploaded).await
}

pub async fn upload(
    State(state): State<AppState>,
    staff: Staff,
    multipart: Multipart,
) -> Result<Response, WebError> {
    staff.require(Action::UploadMedia)?;
    let up = match read_upload(multipart, &spool_dir(&state)).await {
        Ok(up) => up,
        Err(e) => return library_page(&state, &staff, e.status, Some(e.message), None).await,
    };
    staff.check_csrf(&up.csrf)?;
    match store_upload(&state, up, staff.user.id, &staff.user.name, &staff.address).await {
        Ok(id) => Ok(Redirect::to(&format!("/newsroom/media?uploaded={id}")).into_response()),
        Err(e) => library_page(&state, &staff, e.status, Some(e.message), None).await,
    }
}

/// `/media/{name}`: an original or a variant, streamed from the media store. Names are
/// content hashes, so a response never changes and may be cached forever.
pub async fn serve_file(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, WebError> {
    if !crate::media_store::valid_name(&name) {
        return Err(WebError::NotFound);
    }
    let mime = match name.rsplit('.').next() {
        Some("jpg") => "image/jpeg",
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        Some("gif") => "image/gif",
        _ => return Err(WebError::NotFound),
    };
    let reading = match state.media_store().read(&name).await {
        Ok(Some(reading)) => reading,
        Ok(None) => return Err(WebError::NotFound),
        Err(e) => {
            tracing::error!(error = %e, media.name = %name, "media not served");
            return Ok((
                StatusCode::SERVICE_UNAVAILABLE,
                [
                    (header::RETRY_AFTER, "30"),
                    (header::CACHE_CONTROL, "no-store"),
                ],
                "the media store cannot be reached",
            )
                .into_response());
        }
    };
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (header::CONTENT_LENGTH, reading.size.to_string()),
            (
                header::CACHE_CONTROL,
                "public, max-age=31536000, immutable".to_owned(),
            ),
            (header::ETAG, format!("\"{name}\"")),
        ],
        axum::body::Body::from_stream(reading.bytes),
    )
        .into_response())
}
