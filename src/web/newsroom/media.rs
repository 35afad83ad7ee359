//! The media library: upload (form), the library page, the picker the editor uses, and
//! serving the files under `/media/` (content-hashed names, cached forever).

use axum::extract::{Multipart, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;

use crate::domain::text::clean_line;
use crate::domain::Action;
use crate::storage::media::{Media, NewMedia};
use crate::storage::now;
use crate::storage::users::Audit;
use crate::web::view::DateView;
use crate::web::{AppState, WebError};

use super::{page, Staff, MAX_UPLOAD_BYTES};

/// An upload as it arrives: the file and its describing fields.
#[derive(Default)]
pub struct Upload {
    pub bytes: Vec<u8>,
    pub file_name: String,
    pub alt: String,
    pub caption: String,
    pub credit: String,
    pub csrf: String,
}

/// Why an upload was refused, in the newsroom's words, with the HTTP status.
#[derive(Debug)]
pub struct UploadError {
    pub status: StatusCode,
    pub message: String,
}

impl UploadError {
    fn new(status: StatusCode, message: impl Into<String>) -> UploadError {
        UploadError {
            status,
            message: message.into(),
        }
    }
}

/// Reads a multipart upload; the file may be at most `MAX_UPLOAD_BYTES`.
pub async fn read_upload(mut multipart: Multipart) -> Result<Upload, UploadError> {
    let mut up = Upload::default();
    let bad = |e: axum::extract::multipart::MultipartError| {
        UploadError::new(
            e.status(),
            format!("আপলোডটি পড়া যায়নি (ফাইল সর্বোচ্চ ২০ মেগাবাইট): {}", e.body_text()),
        )
    };
    while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_owned();
        if name == "file" {
            up.file_name = field.file_name().unwrap_or("").to_owned();
            while let Some(chunk) = field.chunk().await.map_err(bad)? {
                if up.bytes.len() + chunk.len() > MAX_UPLOAD_BYTES {
                    return Err(UploadError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "ফাইলটি খুব বড়: সর্বোচ্চ ২০ মেগাবাইট।",
                    ));
                }
                up.bytes.extend_from_slice(&chunk);
            }
        } else {
            let text = field.text().await.map_err(bad)?;
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

/// Checks and stores an upload: the type is decided from the bytes, limits are enforced
/// before decoding, EXIF is dropped; the cleaned original is written under a content-hashed
/// name and the variants are left to the background job. Returns the new media id.
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
            "ছবির বিকল্প লেখা (alt) দিন: যাঁরা ছবি দেখতে পান না, তাঁদের জন্য ছবিতে কী আছে।",
        ));
    }
    if up.bytes.is_empty() {
        return Err(UploadError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "কোনো ফাইল বেছে নেওয়া হয়নি।",
        ));
    }
    let bytes = up.bytes;
    let _permit = state
        .image_permits()
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| UploadError::new(StatusCode::SERVICE_UNAVAILABLE, "সার্ভার বন্ধ হচ্ছে।"))?;
    let original =
        tokio::task::spawn_blocking(move || media::ingest(&bytes, &media::Limits::default()))
            .await
            .map_err(|e| {
                UploadError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("ছবি প্রক্রিয়া ব্যর্থ: {e}"),
                )
            })?
            .map_err(|e| {
                let status = match e {
                    media::MediaError::NotAnImage => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    media::MediaError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                };
                UploadError::new(status, bangla::digits::to_bengali_digits(&e.to_string()))
            })?;
    let dir = state.config().media_dir();
    let name = format!("{}.{}", &original.sha256[..16], original.format.ext());
    let internal = |e: std::io::Error| {
        tracing::error!(error = %e, "cannot write media");
        UploadError::new(StatusCode::INTERNAL_SERVER_ERROR, "ছবিটি সংরক্ষণ করা যায়নি।")
    };
    tokio::fs::create_dir_all(&dir).await.map_err(internal)?;
    let tmp = dir.join(format!(".{name}.tmp"));
    tokio::fs::write(&tmp, &original.bytes)
        .await
        .map_err(internal)?;
    tokio::fs::rename(&tmp, dir.join(&name))
        .await
        .map_err(internal)?;
    let path = format!("/media/{name}");
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
                bytes: original.bytes.len(),
                uploaded_by: user_id,
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
        .map_err(|e| {
            tracing::error!(error = %e, "cannot record media");
            UploadError::new(StatusCode::INTERNAL_SERVER_ERROR, "ছবিটি সংরক্ষণ করা যায়নি।")
        })?;
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
                .map(|v| format!("/media/{}", v.name))
                .unwrap_or_else(|| m.path.clone());
            let large = mine
                .iter()
                .rfind(|v| v.mime == "image/jpeg" && v.width <= 1024)
                .map(|v| format!("/media/{}", v.name))
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
    let up = match read_upload(multipart).await {
        Ok(up) => up,
        Err(e) => return library_page(&state, &staff, e.status, Some(e.message), None).await,
    };
    staff.check_csrf(&up.csrf)?;
    match store_upload(&state, up, staff.user.id, &staff.user.name, &staff.address).await {
        Ok(id) => Ok(Redirect::to(&format!("/newsroom/media?uploaded={id}")).into_response()),
        Err(e) => library_page(&state, &staff, e.status, Some(e.message), None).await,
    }
}

/// `/media/{name}`: an original or a variant. Names are content hashes, so a response never
/// changes and may be cached forever.
pub async fn serve_file(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, WebError> {
    let valid = !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    if !valid {
        return Err(WebError::NotFound);
    }
    let mime = match name.rsplit('.').next() {
        Some("jpg") => "image/jpeg",
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        Some("gif") => "image/gif",
        _ => return Err(WebError::NotFound),
    };
    let bytes = tokio::fs::read(state.config().media_dir().join(&name))
        .await
        .map_err(|_| WebError::NotFound)?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (
                header::CACHE_CONTROL,
                "public, max-age=31536000, immutable".to_owned(),
            ),
            (header::ETAG, format!("\"{name}\"")),
        ],
        bytes,
    )
        .into_response())
}
