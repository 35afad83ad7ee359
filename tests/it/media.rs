//! Uploads through both routes that take them (the media library form and the admin API): the
//! file streamed to disk and judged by its first bytes, the body limits, decode permits shared
//! with the variants job, and the bytes Khobor serves carrying no metadata.

use std::path::Path;
use std::process::Command;

use axum::body::{Body, Bytes};
use axum::http::{header, Request, StatusCode};

use crate::helpers::*;

pub(crate) async fn desk_app() -> TestApp {
    let t = TestApp::new().await;
    t.add_user("editor@khobor.test", "রফিক করিম", "আরকে", "editor")
        .await;
    t
}

const BOUNDARY: &str = "khobor-test-boundary-7d1c";

/// The start of a multipart upload: the describing fields, then the file part's headers, then
/// `file_head`, the file's first bytes (the rest is up to the caller).
fn upload_head(csrf: &str, file_head: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    for (k, v) in [("csrf", csrf), ("alt", "পরীক্ষার ছবি")] {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"chobi.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file_head);
    body
}

/// A request body that arrives as over a network: each of `chunks` after a pause (a `Pending`
/// that wakes itself at once, so only a reader that asks again gets more), and then a broken
/// connection. A handler that reads past what it needs gets an error instead of its answer.
fn trickle_then_break(chunks: Vec<Vec<u8>>) -> Body {
    let mut chunks = chunks.into_iter();
    let mut paused = false;
    Body::from_stream(futures_util::stream::poll_fn(move |cx| {
        if !paused {
            paused = true;
            cx.waker().wake_by_ref();
            return std::task::Poll::Pending;
        }
        paused = false;
        std::task::Poll::Ready(Some(match chunks.next() {
            Some(chunk) => Ok(Bytes::from(chunk)),
            None => Err(std::io::Error::other(
                "the rest of the upload never arrives",
            )),
        }))
    }))
}

impl Desk<'_> {
    /// A multipart request to `path` (the form or the admin API) as this session.
    async fn send_upload(&self, path: &str, body: Body) -> Page {
        self.app
            .request(
                Request::post(path)
                    .header(header::COOKIE, &self.cookie)
                    .header("x-csrf-token", &self.csrf)
                    .header(
                        header::CONTENT_TYPE,
                        format!("multipart/form-data; boundary={BOUNDARY}"),
                    )
                    .body(body)
                    .unwrap(),
            )
            .await
    }

    /// Uploads `file` through the admin API; returns the answer.
    pub(crate) async fn api_upload(&self, file_name: &str, file: &[u8]) -> Page {
        let (content_type, body) = multipart(&[("alt", "পরীক্ষার ছবি")], file_name, file);
        self.app
            .request(
                Request::post("/api/v1/admin/media")
                    .header(header::COOKIE, &self.cookie)
                    .header("x-csrf-token", &self.csrf)
                    .header(header::CONTENT_TYPE, content_type)
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await
    }
}

/// Files left in the directory uploads are spooled to (none, or it does not exist yet).
fn spooled(t: &TestApp) -> Vec<String> {
    match std::fs::read_dir(t.dir.path().join("uploads")) {
        Ok(dir) => dir
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[tokio::test]
async fn a_non_image_is_refused_from_its_first_bytes_without_reading_the_rest() {
    let t = desk_app().await;
    let editor = t.login("editor@khobor.test").await;
    // A Windows executable named chobi.jpg, 4 KB and then a hundred packets of 64 KB before
    // the connection breaks. The parser reads what has already arrived (a packet or so ahead);
    // a handler that read the file to its end would meet the break.
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00".to_vec();
    exe.resize(4096, 0);
    let arriving = |csrf: &str| {
        let mut chunks = vec![upload_head(csrf, &exe)];
        chunks.extend((0..100).map(|_| vec![0u8; 64 * 1024]));
        chunks
    };

    let api = editor
        .send_upload(
            "/api/v1/admin/media",
            trickle_then_break(arriving(&editor.csrf)),
        )
        .await;
    assert_eq!(
        api.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "{}",
        api.body
    );
    assert_eq!(api.json()["error"]["code"], "not_an_image");
    assert!(api.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("ফাইলটি ছবি নয়"));

    let form = editor
        .send_upload(
            "/newsroom/media",
            trickle_then_break(arriving(&editor.csrf)),
        )
        .await;
    assert_eq!(form.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    form.assert_contains("id=\"upload-error\"");
    form.assert_contains("ফাইলটি ছবি নয়");

    assert!(t.app.store().media_list(None, 10).await.unwrap().is_empty());
    assert!(spooled(&t).is_empty(), "{:?}", spooled(&t));
}

#[tokio::test]
async fn an_upload_is_refused_as_soon_as_it_passes_20_mb_and_its_spool_file_removed() {
    let t = desk_app().await;
    let editor = t.login("editor@khobor.test").await;
    // A PNG signature, then a megabyte at a time: 21 MB arrive, then the connection breaks.
    let mut chunks = vec![upload_head(&editor.csrf, b"\x89PNG\r\n\x1a\n")];
    chunks.extend((0..21).map(|_| vec![0u8; 1024 * 1024]));

    let api = editor
        .send_upload("/api/v1/admin/media", trickle_then_break(chunks.clone()))
        .await;
    assert_eq!(api.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", api.body);
    assert_eq!(api.json()["error"]["code"], "too_large");

    let form = editor
        .send_upload("/newsroom/media", trickle_then_break(chunks))
        .await;
    assert_eq!(form.status, StatusCode::PAYLOAD_TOO_LARGE);
    form.assert_contains("ফাইলটি খুব বড়");

    assert!(spooled(&t).is_empty(), "{:?}", spooled(&t));
}

/// A valid PNG of exactly `size` bytes: a small image padded with a private ancillary chunk,
/// which decoders skip.
fn png_of_size(size: usize) -> Vec<u8> {
    let small = {
        let mut out = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            64,
            48,
            image::Rgb([200, 40, 40]),
        ))
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
        out.into_inner()
    };
    let ihdr_end = 8 + 4 + 4 + 13 + 4;
    let pad = size - small.len() - 12;
    let mut chunk = b"khBp".to_vec();
    chunk.resize(4 + pad, b'.');
    let mut out = small[..ihdr_end].to_vec();
    out.extend_from_slice(&(pad as u32).to_be_bytes());
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&crc32(&chunk).to_be_bytes());
    out.extend_from_slice(&small[ihdr_end..]);
    assert_eq!(out.len(), size);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[tokio::test]
async fn upload_routes_take_a_20_mb_file_and_other_routes_keep_small_limits() {
    let t = desk_app().await;
    let editor = t.login("editor@khobor.test").await;

    let full = png_of_size(20 * 1024 * 1024);
    let up = editor.api_upload("full.png", &full).await;
    assert_eq!(up.status, StatusCode::ACCEPTED, "{}", up.body);
    assert_eq!(up.json()["media"]["width"], 64);
    let form = editor.upload("full.png", &full, "পুরো ২০ মেগাবাইট").await;
    assert_eq!(form.status, StatusCode::SEE_OTHER, "{}", form.body);

    let over = editor
        .api_upload("over.png", &png_of_size(20 * 1024 * 1024 + 1))
        .await;
    assert_eq!(over.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", over.body);
    assert_eq!(over.json()["error"]["code"], "too_large");

    // A 3 MB story is refused by the body limit of the routes that are not uploads.
    let huge = "ক".repeat(1024 * 1024);
    let api = editor
        .api(
            "POST",
            "/api/v1/admin/articles",
            Some(
                serde_json::json!({"headline": "বড় খবর", "body_html": huge, "section": "national"}),
            ),
        )
        .await;
    assert_eq!(api.status, StatusCode::PAYLOAD_TOO_LARGE);
    let page = editor
        .post(
            "/newsroom/stories/new",
            &[("headline", "বড় খবর"), ("body", &huge), ("section_id", "1")],
        )
        .await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn the_variants_job_decodes_only_under_a_permit() {
    let t = desk_app().await;
    let editor = t.login("editor@khobor.test").await;
    let up = editor.api_upload("chobi.jpg", &jpeg(800, 600)).await;
    assert_eq!(up.status, StatusCode::ACCEPTED, "{}", up.body);

    // No permit will ever be given (as when the server shuts down): the job must not decode.
    t.app.state.image_permits().close();
    assert_eq!(t.app.process_media().await.unwrap(), 0);
    let m = &t.app.store().media_list(None, 10).await.unwrap()[0];
    assert_eq!(m.status, "processing", "left for the next start");
    assert!(t
        .app
        .store()
        .media_variants(&[m.id])
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_16_bit_png_is_served_at_8_bits() {
    let t = desk_app().await;
    let editor = t.login("editor@khobor.test").await;
    let img = image::ImageBuffer::<image::Rgba<u16>, _>::from_fn(300, 200, |x, y| {
        image::Rgba([(x * 200) as u16, (y * 300) as u16, 40_000, 65_535])
    });
    let mut png = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgba16(img)
        .write_to(&mut png, image::ImageFormat::Png)
        .unwrap();
    let png = png.into_inner();
    assert_eq!(png[24], 16);

    let up = editor.api_upload("gobheer.png", &png).await;
    assert_eq!(up.status, StatusCode::ACCEPTED, "{}", up.body);
    let (status, _, served) = t
        .raw(&site_path(up.json()["media"]["url"].as_str().unwrap()), &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(served[24], 8, "bit depth of the served original");
    assert_eq!(t.app.process_media().await.unwrap(), 1);
}

// ---------------------------------------------------------------------------------------------
// Metadata, read back by exiftool from the bytes served under /media/

const MARKERS: [&str; 6] = [
    "Khobor-Artist",
    "KHOBOR-SN-4471",
    "Khobor-Comment",
    "Khobor-Creator",
    "23 deg 48",
    "90 deg 24",
];

fn exiftool(args: &[&str]) -> String {
    let out = Command::new("exiftool")
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "exiftool could not be run ({e}): the metadata tests need it. Install the Debian \
             package libimage-exiftool-perl (scripts/setup.sh does)"
            )
        });
    assert!(
        out.status.success(),
        "exiftool {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `bytes` with a GPS position, an author, a camera serial, a comment and XMP written in by
/// exiftool, in whichever blocks the format holds them.
fn with_metadata(dir: &Path, name: &str, bytes: &[u8]) -> Vec<u8> {
    let file = dir.join(name);
    std::fs::write(&file, bytes).unwrap();
    let path = file.to_str().unwrap();
    exiftool(&[
        "-overwrite_original",
        "-Artist=Khobor-Artist",
        "-SerialNumber=KHOBOR-SN-4471",
        "-GPSLatitude=23.8103",
        "-GPSLatitudeRef=N",
        "-GPSLongitude=90.4125",
        "-GPSLongitudeRef=E",
        "-Comment=Khobor-Comment",
        // WebP has no comment block of its own; EXIF's user comment stands in.
        "-UserComment=Khobor-Comment",
        "-XMP-dc:Creator=Khobor-Creator",
        "-XMP-exif:GPSLatitude=23.8103",
        "-XMP-exif:GPSLongitude=90.4125",
        "-PNG:ModifyDate=2024:01:02 03:04:05",
        path,
    ]);
    let read = exiftool(&["-a", "-G1", "-s", path]);
    for marker in MARKERS {
        assert!(
            read.contains(marker),
            "the fixture {name} lacks {marker}:\n{read}"
        );
    }
    std::fs::read(&file).unwrap()
}

/// Asserts exiftool finds no person, place, device, time or XMP in `bytes`.
fn assert_clean(dir: &Path, name: &str, bytes: &[u8]) {
    let file = dir.join(name);
    std::fs::write(&file, bytes).unwrap();
    let read = exiftool(&["-a", "-G1", "-s", file.to_str().unwrap()]);
    for line in read.lines() {
        let (group, rest) = line.split_once(']').unwrap_or(("", line));
        let group = group.trim_start_matches('[');
        if group == "System" || group == "ExifTool" {
            continue;
        }
        let tag = rest.split(':').next().unwrap_or("").trim();
        let telling = [
            "GPS",
            "Artist",
            "SerialNumber",
            "Comment",
            "Creator",
            "ModifyDate",
            "XMPToolkit",
        ];
        assert!(
            !group.starts_with("XMP")
                && !matches!(group, "IFD0" | "ExifIFD" | "GPS")
                && !telling.iter().any(|t| tag.contains(t)),
            "served {name} still carries {line}\n{read}"
        );
    }
    for marker in MARKERS {
        assert!(!read.contains(marker), "served {name} still says {marker}");
    }
}

fn encoded(image: image::DynamicImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

fn animated_gif() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = image::codecs::gif::GifEncoder::new_with_speed(&mut out, 30);
        encoder
            .set_repeat(image::codecs::gif::Repeat::Infinite)
            .unwrap();
        for shade in [40u8, 200] {
            let frame = image::RgbaImage::from_pixel(400, 300, image::Rgba([shade, 90, 160, 255]));
            encoder
                .encode_frame(image::Frame::from_parts(
                    frame,
                    0,
                    0,
                    image::Delay::from_numer_denom_ms(200, 1),
                ))
                .unwrap();
        }
    }
    out
}

#[tokio::test]
async fn served_originals_and_variants_carry_no_metadata() {
    let t = desk_app().await;
    let editor = t.login("editor@khobor.test").await;
    let dir = tempfile::tempdir().unwrap();
    let photo = image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(700, 500, |x, y| {
        image::Rgb([(x / 3) as u8, (y / 2) as u8, 90])
    }));
    let files = [
        (
            "chobi.jpg",
            encoded(photo.clone(), image::ImageFormat::Jpeg),
        ),
        ("chobi.png", encoded(photo.clone(), image::ImageFormat::Png)),
        ("chobi.webp", encoded(photo, image::ImageFormat::WebP)),
        ("chobi.gif", animated_gif()),
    ];
    for (n, (name, bytes)) in files.iter().enumerate() {
        let tagged = with_metadata(dir.path(), name, bytes);
        // Every other file through the newsroom form, the rest through the admin API.
        if n % 2 == 0 {
            let up = editor.api_upload(name, &tagged).await;
            assert_eq!(up.status, StatusCode::ACCEPTED, "{name}: {}", up.body);
        } else {
            let up = editor.upload(name, &tagged, "পরীক্ষার ছবি").await;
            assert_eq!(up.status, StatusCode::SEE_OTHER, "{name}: {}", up.body);
        }
    }
    assert_eq!(t.app.process_media().await.unwrap(), files.len());

    let list = editor.api("GET", "/api/v1/admin/media", None).await.json();
    let media = list["media"].as_array().unwrap();
    assert_eq!(media.len(), files.len());
    let mut checked = 0;
    for m in media {
        assert_eq!(m["status"], "ready", "{m}");
        let mut urls = vec![m["url"].as_str().unwrap().to_owned()];
        urls.extend(
            m["variants"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["url"].as_str().unwrap().to_owned()),
        );
        for url in urls {
            let path = site_path(&url);
            let (status, _, served) = t.raw(&path, &[]).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert_clean(dir.path(), path.trim_start_matches("/media/"), &served);
            checked += 1;
        }
        if m["type"] == "image/gif" {
            let (_, _, gif) = t.raw(&site_path(m["url"].as_str().unwrap()), &[]).await;
            let frames = image::AnimationDecoder::into_frames(
                image::codecs::gif::GifDecoder::new(std::io::Cursor::new(gif)).unwrap(),
            )
            .count();
            assert_eq!(frames, 2, "the served GIF still animates");
        }
    }
    assert!(
        checked > files.len() * 3,
        "originals and their variants: {checked}"
    );
}

// ---------------------------------------------------------------------------------------------
// Several nodes: each upload's variants are made once, and a dead node's claim is taken over

#[tokio::test]
async fn an_upload_claimed_by_a_node_that_died_is_finished_by_another_once_its_lease_ends() {
    let t = desk_app().await;
    let editor = t.login("editor@khobor.test").await;
    let up = editor.api_upload("chobi.jpg", &jpeg(800, 600)).await;
    assert_eq!(up.status, StatusCode::ACCEPTED, "{}", up.body);
    let id = up.json()["media"]["id"].as_i64().unwrap();
    let store = t.app.store();

    // Another node claims it, then dies without finishing.
    let lease = khobor::jobs::media_variants::LEASE_SECONDS;
    let claimed = store.claim_media("node-a:1:dead", lease).await.unwrap();
    assert_eq!(claimed.map(|m| m.id), Some(id));
    // While its lease lasts, no node takes the upload.
    assert!(store
        .claim_media("node-b:2:beef", lease)
        .await
        .unwrap()
        .is_none());
    assert_eq!(t.app.process_media().await.unwrap(), 0);
    assert_eq!(store.media(id).await.unwrap().unwrap().status, "processing");

    // The lease runs out (moved into the past rather than waited for).
    sqlx::query("UPDATE media SET lease_until = lease_until - $1 WHERE id = $2")
        .bind(lease + 1)
        .bind(id)
        .execute(store.pool())
        .await
        .unwrap();
    assert_eq!(t.app.process_media().await.unwrap(), 1, "taken over");
    assert_eq!(store.media(id).await.unwrap().unwrap().status, "ready");
    assert_eq!(t.app.process_media().await.unwrap(), 0, "and done once");
    assert!(!store.media_variants(&[id]).await.unwrap().is_empty());
}

#[tokio::test]
async fn two_nodes_working_through_uploads_together_make_each_ones_variants_once() {
    let t = desk_app().await;
    let editor = t.login("editor@khobor.test").await;
    let mut ids = Vec::new();
    for i in 0..6 {
        let up = editor
            .api_upload(&format!("chobi-{i}.jpg"), &jpeg(320 + i * 16, 240))
            .await;
        assert_eq!(up.status, StatusCode::ACCEPTED, "{}", up.body);
        ids.push(up.json()["media"]["id"].as_i64().unwrap());
    }
    // A second handle on the same store and media directory, as a second node has.
    let other = khobor::storage::Store::open(&t.app.state.config().store)
        .await
        .unwrap();
    let media = t.app.state.media_store();
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(1));
    let jobs = khobor::jobs::JobCounters::default();
    let (a, b) = tokio::join!(
        t.app.process_media(),
        khobor::jobs::media_variants::process_pending(&other, media, &permits, &jobs),
    );
    assert_eq!(a.unwrap() + b.unwrap(), ids.len(), "each upload made once");
    for id in ids {
        assert_eq!(other.media(id).await.unwrap().unwrap().status, "ready");
    }
    other.close().await;
}
