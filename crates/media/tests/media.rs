//! Intake and variant tests for Khobor's media library. Every image is generated here with the
//! `image` crate (or assembled byte by byte), so the suite needs no fixture files.

use image::codecs::gif::{GifEncoder, Repeat};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{ExtendedColorType, GenericImageView, ImageEncoder};
use media::{
    ingest, reopen, sniff, variant_height, variant_name, variant_widths, variants, Format, Limits,
    MediaError, Original, Variant, VariantFormat, WIDTHS,
};
use sha2::{Digest, Sha256};

// ---------------------------------------------------------------------------------------------
// Image builders

/// A smooth RGB test card: horizontal and vertical gradients with a diagonal ripple.
fn rgb_pixels(width: u32, height: u32) -> Vec<u8> {
    let mut px = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height {
        for x in 0..width {
            px.push((x * 255 / width.max(1)) as u8);
            px.push((y * 255 / height.max(1)) as u8);
            px.push((((x + y) * 7) % 256) as u8);
        }
    }
    px
}

fn rgba_pixels(width: u32, height: u32) -> Vec<u8> {
    let rgb = rgb_pixels(width, height);
    let mut px = Vec::with_capacity((width * height * 4) as usize);
    for (i, c) in rgb.chunks_exact(3).enumerate() {
        let x = i as u32 % width;
        px.extend_from_slice(c);
        // Left half fully transparent, right half opaque.
        px.push(if x < width / 2 { 0 } else { 255 });
    }
    px
}

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    jpeg_from(&rgb_pixels(width, height), width, height)
}

fn jpeg_from(rgb: &[u8], width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 90)
        .encode(rgb, width, height, ExtendedColorType::Rgb8)
        .unwrap();
    out
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(
            &rgb_pixels(width, height),
            width,
            height,
            ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

fn png_rgba(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(
            &rgba_pixels(width, height),
            width,
            height,
            ExtendedColorType::Rgba8,
        )
        .unwrap();
    out
}

fn webp_lossless(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    WebPEncoder::new_lossless(&mut out)
        .encode(
            &rgb_pixels(width, height),
            width,
            height,
            ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

fn webp_lossy(width: u32, height: u32) -> Vec<u8> {
    let px = rgb_pixels(width, height);
    webp::Encoder::from_rgb(&px, width, height)
        .encode(75.0)
        .to_vec()
}

fn gif(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    GifEncoder::new_with_speed(&mut out, 30)
        .encode(
            &rgba_pixels(width, height),
            width,
            height,
            ExtendedColorType::Rgba8,
        )
        .unwrap();
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

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
}

/// A well-formed PNG that declares a `width × height` RGBA canvas but carries only an empty
/// zlib stream as pixel data: a few dozen bytes that would need gigabytes once decoded.
fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8-bit RGBA, deflate, adaptive, no interlace
    png_chunk(&mut out, b"IHDR", &ihdr);
    png_chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    png_chunk(&mut out, b"IEND", &[]);
    out
}

/// Big-endian TIFF block with a single IFD0 entry: Orientation (0x0112) = `orientation`.
fn tiff_orientation(orientation: u16) -> Vec<u8> {
    let mut t = b"MM\x00\x2A".to_vec();
    t.extend_from_slice(&8u32.to_be_bytes()); // IFD0 right after the header
    t.extend_from_slice(&1u16.to_be_bytes()); // one entry
    t.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    t.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    t.extend_from_slice(&1u32.to_be_bytes()); // count
    t.extend_from_slice(&orientation.to_be_bytes());
    t.extend_from_slice(&[0, 0]); // value padding
    t.extend_from_slice(&0u32.to_be_bytes()); // no IFD1
    t
}

/// Inserts an Exif APP1 segment carrying `orientation` right after the JPEG's SOI marker.
fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut payload = b"Exif\x00\x00".to_vec();
    payload.extend_from_slice(&tiff_orientation(orientation));
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// Rewrites the frame size in a JPEG's SOF0 segment, leaving the scan data as it was.
fn jpeg_declaring(jpeg: &[u8], width: u16, height: u16) -> Vec<u8> {
    let mut out = jpeg.to_vec();
    let mut i = 2;
    while i + 4 < out.len() {
        assert_eq!(out[i], 0xFF, "lost sync walking JPEG segments");
        let marker = out[i + 1];
        let len = u16::from_be_bytes([out[i + 2], out[i + 3]]) as usize;
        if marker == 0xC0 {
            out[i + 5..i + 7].copy_from_slice(&height.to_be_bytes());
            out[i + 7..i + 9].copy_from_slice(&width.to_be_bytes());
            return out;
        }
        i += 2 + len;
    }
    panic!("no SOF0 segment");
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn ok(bytes: &[u8]) -> Original {
    ingest(bytes, &Limits::default()).unwrap()
}

fn decoded(bytes: &[u8]) -> image::DynamicImage {
    image::load_from_memory(bytes).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Type detection

#[test]
fn sniffs_every_accepted_format_from_its_bytes() {
    assert_eq!(sniff(&jpeg(8, 8)), Some(Format::Jpeg));
    assert_eq!(sniff(&png(8, 8)), Some(Format::Png));
    assert_eq!(sniff(&webp_lossless(8, 8)), Some(Format::WebP));
    assert_eq!(sniff(&webp_lossy(8, 8)), Some(Format::WebP));
    assert_eq!(sniff(&gif(8, 8)), Some(Format::Gif));
    assert_eq!(sniff(b"GIF87a"), Some(Format::Gif));
    assert_eq!(sniff(b""), None);
    assert_eq!(
        sniff(b"RIFF\x10\x00\x00\x00WAVEfmt "),
        None,
        "a WAV is RIFF too"
    );
    assert_eq!(sniff(b"\x89PNG"), None, "truncated signature");
}

#[test]
fn format_mime_and_extension() {
    let table = [
        (Format::Jpeg, "image/jpeg", "jpg"),
        (Format::Png, "image/png", "png"),
        (Format::WebP, "image/webp", "webp"),
        (Format::Gif, "image/gif", "gif"),
    ];
    for (format, mime, ext) in table {
        assert_eq!(format.mime(), mime);
        assert_eq!(format.ext(), ext);
    }
    assert_eq!(VariantFormat::WebP.mime(), "image/webp");
    assert_eq!(VariantFormat::WebP.ext(), "webp");
    assert_eq!(VariantFormat::Jpeg.mime(), "image/jpeg");
    assert_eq!(VariantFormat::Jpeg.ext(), "jpg");
}

#[test]
fn files_that_are_not_images_are_refused_whatever_their_name() {
    let mut elf = b"\x7fELF\x02\x01\x01\x00".to_vec();
    elf.resize(256, 0);
    let mut pe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec();
    pe.extend_from_slice(b"This program cannot be run in DOS mode.");
    let text = "photo.png — আজকের খবর, ছবি পরে পাঠাব\n".as_bytes().to_vec();
    let html = b"<!doctype html><html><body><img src=x onerror=alert(1)></body></html>".to_vec();
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec();
    let pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let zip = b"PK\x03\x04\x14\x00\x00\x00".to_vec();
    for (name, bytes) in [
        ("elf", elf),
        ("pe", pe),
        ("text", text),
        ("html", html),
        ("svg", svg),
        ("pdf", pdf),
        ("zip", zip),
    ] {
        match ingest(&bytes, &Limits::default()) {
            Err(MediaError::NotAnImage) => {}
            other => panic!("{name}: expected NotAnImage, got {other:?}"),
        }
    }
    assert_eq!(
        MediaError::NotAnImage.to_string(),
        "ফাইলটি ছবি নয়: শুধু JPEG, PNG, WebP বা GIF নেওয়া হয়"
    );
}

#[test]
fn empty_upload_is_refused() {
    assert!(matches!(
        ingest(&[], &Limits::default()),
        Err(MediaError::Empty)
    ));
}

#[test]
fn oversized_upload_is_refused_before_anything_else() {
    let bytes = png(64, 64);
    let limits = Limits {
        max_bytes: bytes.len() - 1,
        ..Limits::default()
    };
    match ingest(&bytes, &limits) {
        Err(MediaError::TooLarge { bytes: b, max }) => {
            assert_eq!(b, bytes.len());
            assert_eq!(max, bytes.len() - 1);
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    // Size comes before type: a large blob of garbage is reported as too large.
    let garbage = vec![0u8; 2048];
    let small = Limits {
        max_bytes: 1024,
        ..Limits::default()
    };
    assert!(matches!(
        ingest(&garbage, &small),
        Err(MediaError::TooLarge {
            bytes: 2048,
            max: 1024
        })
    ));
    // Exactly at the limit is fine.
    let exact = Limits {
        max_bytes: bytes.len(),
        ..Limits::default()
    };
    assert!(ingest(&bytes, &exact).is_ok());
}

#[test]
fn error_messages_are_bengali_and_readable() {
    let e = MediaError::TooManyPixels {
        width: 20000,
        height: 20000,
        max: 40_000_000,
    };
    assert_eq!(
        e.to_string(),
        "ছবিটি খুব বড়: 20000×20000 পিক্সেল; সর্বোচ্চ 40000000 পিক্সেল"
    );
    let e = MediaError::TooLarge {
        bytes: 26_500_000,
        max: 20 * 1024 * 1024,
    };
    assert_eq!(e.to_string(), "ফাইলটি খুব বড়: 25.3 MB; সর্বোচ্চ 20 MB");
    let e = MediaError::TooLarge {
        bytes: 20 * 1024 * 1024 + 1,
        max: 20 * 1024 * 1024,
    };
    assert_eq!(e.to_string(), "ফাইলটি খুব বড়: 20.1 MB; সর্বোচ্চ 20 MB");
    let e = MediaError::TooLarge {
        bytes: 2048,
        max: 1000,
    };
    assert_eq!(e.to_string(), "ফাইলটি খুব বড়: 2 KB; সর্বোচ্চ 1000 বাইট");
    assert_eq!(
        MediaError::Empty.to_string(),
        "ফাইলটি খালি: কোনো ছবি পাওয়া যায়নি"
    );
    let e = MediaError::DimensionsTooLarge {
        width: 13000,
        height: 100,
        max_width: 12000,
        max_height: 12000,
    };
    assert!(e.to_string().starts_with("ছবিটি খুব বড়: 13000×100 পিক্সেল"));
    assert!(MediaError::Corrupt("x".into()).to_string().contains("নষ্ট"));
    let e = MediaError::OverBudget {
        width: 6000,
        height: 6600,
        needed: 6000 * 6600 * 4,
        budget: 100 * 1024 * 1024,
    };
    assert_eq!(
        e.to_string(),
        "ছবিটি খুলতে 151.1 MB মেমরি লাগবে, কিন্তু একটি ছবির জন্য সীমা 100 MB (6000×6600 পিক্সেল): ছবিটি ছোট মাপে সংরক্ষণ করে আবার দিন"
    );
}

// ---------------------------------------------------------------------------------------------
// Decompression bombs: refused from the header, before any pixel is decoded

#[test]
fn png_declaring_20000_by_20000_is_refused_from_its_header() {
    let bomb = png_bomb(20_000, 20_000);
    assert!(bomb.len() < 100, "the bomb is {} bytes", bomb.len());
    // The IDAT holds no pixel rows at all, so any attempt to decode would fail as corrupt:
    // getting TooManyPixels shows the verdict came from the header alone.
    match ingest(&bomb, &Limits::default()) {
        Err(MediaError::TooManyPixels { width, height, max }) => {
            assert_eq!((width, height, max), (20_000, 20_000, 40_000_000));
        }
        other => panic!("expected TooManyPixels, got {other:?}"),
    }
    // The same kind of file within the limits is decoded, and found corrupt.
    assert!(matches!(
        ingest(&png_bomb(100, 100), &Limits::default()),
        Err(MediaError::Corrupt(_))
    ));
}

#[test]
fn jpeg_gif_and_webp_declaring_huge_canvases_are_refused_from_their_headers() {
    let limits = Limits::default();

    let huge_jpeg = jpeg_declaring(&jpeg(16, 16), 20_000, 20_000);
    assert!(matches!(
        ingest(&huge_jpeg, &limits),
        Err(MediaError::TooManyPixels {
            width: 20_000,
            height: 20_000,
            ..
        })
    ));

    let mut huge_gif = gif(8, 8);
    huge_gif[6..8].copy_from_slice(&20_000u16.to_le_bytes());
    huge_gif[8..10].copy_from_slice(&20_000u16.to_le_bytes());
    assert!(matches!(
        ingest(&huge_gif, &limits),
        Err(MediaError::TooManyPixels {
            width: 20_000,
            height: 20_000,
            ..
        })
    ));

    // Lossless WebP: the VP8L header packs width-1 and height-1 into 14 bits each.
    let mut huge_webp = webp_lossless(8, 8);
    assert_eq!(&huge_webp[12..16], b"VP8L");
    let old = u32::from_le_bytes(huge_webp[21..25].try_into().unwrap());
    let bits = (old & !((1 << 28) - 1)) | (16_000 - 1) | ((16_000 - 1) << 14);
    huge_webp[21..25].copy_from_slice(&bits.to_le_bytes());
    assert!(matches!(
        ingest(&huge_webp, &limits),
        Err(MediaError::TooManyPixels {
            width: 16_000,
            height: 16_000,
            ..
        })
    ));
}

#[test]
fn one_side_too_long_is_refused_even_with_few_pixels() {
    match ingest(&png_bomb(13_000, 100), &Limits::default()) {
        Err(MediaError::DimensionsTooLarge {
            width,
            height,
            max_width,
            max_height,
        }) => assert_eq!(
            (width, height, max_width, max_height),
            (13_000, 100, 12_000, 12_000)
        ),
        other => panic!("expected DimensionsTooLarge, got {other:?}"),
    }
    let tight = Limits {
        max_pixels: 63 * 64,
        ..Limits::default()
    };
    assert!(matches!(
        ingest(&png(64, 64), &tight),
        Err(MediaError::TooManyPixels {
            width: 64,
            height: 64,
            max: 4032
        })
    ));
}

/// Found by the image_intake fuzz target: a 35-byte GIF whose logical screen is 2049 × 1793
/// around a single 1 × 1 frame. It is measured by its screen, which decoding fills, so the
/// pixel limit refuses it before any of that work.
#[test]
fn a_tiny_gif_is_measured_by_its_whole_screen() {
    let gif: &[u8] = &[
        71, 73, 70, 56, 57, 97, 1, 8, 1, 7, 128, 0, 0, 0, 0, 0, 255, 255, 0, 44, 0, 0, 0, 0, 1, 0,
        1, 0, 0, 2, 2, 68, 1, 0, 59,
    ];
    let tight = Limits {
        max_pixels: 2049 * 1793 - 1,
        ..Limits::default()
    };
    match ingest(gif, &tight) {
        Err(MediaError::TooManyPixels {
            width: 2049,
            height: 1793,
            ..
        }) => {}
        other => panic!("expected TooManyPixels for 2049 x 1793, got {other:?}"),
    }
}

#[test]
fn truncated_image_is_corrupt() {
    let bytes = png(64, 64);
    let cut = &bytes[..bytes.len() / 2];
    assert!(matches!(
        ingest(cut, &Limits::default()),
        Err(MediaError::Corrupt(_))
    ));
    let header_only = &bytes[..20];
    assert!(matches!(
        ingest(header_only, &Limits::default()),
        Err(MediaError::Corrupt(_))
    ));
}

// ---------------------------------------------------------------------------------------------
// Accepted uploads

fn check_original(o: &Original, format: Format, width: u32, height: u32) {
    assert_eq!(o.format, format);
    assert_eq!((o.width, o.height), (width, height));
    assert_eq!(sniff(&o.bytes), Some(format));
    assert_eq!(o.sha256, hex::encode(Sha256::digest(&o.bytes)));
    assert_eq!(o.sha256.len(), 64);
    assert_eq!(decoded(&o.bytes).dimensions(), (width, height));
}

#[test]
fn each_format_is_accepted_and_reencoded_in_kind() {
    check_original(&ok(&jpeg(120, 80)), Format::Jpeg, 120, 80);
    check_original(&ok(&png(120, 80)), Format::Png, 120, 80);
    check_original(&ok(&webp_lossless(120, 80)), Format::WebP, 120, 80);
    check_original(&ok(&webp_lossy(120, 80)), Format::WebP, 120, 80);
    check_original(&ok(&gif(120, 80)), Format::Gif, 120, 80);
}

#[test]
fn png_keeps_exact_pixels_and_alpha() {
    let src = png_rgba(50, 30);
    let o = ok(&src);
    assert_eq!(decoded(&o.bytes).to_rgba8(), decoded(&src).to_rgba8());
}

#[test]
fn lossless_webp_stays_lossless_and_lossy_stays_lossy() {
    let src = webp_lossless(40, 30);
    let o = ok(&src);
    assert_eq!(&o.bytes[12..16], b"VP8L");
    assert_eq!(decoded(&o.bytes).to_rgb8(), decoded(&src).to_rgb8());

    let o = ok(&webp_lossy(40, 30));
    assert!(contains(&o.bytes, b"VP8 "), "lossy WebP re-encoded as VP8");
}

#[test]
fn gif_without_metadata_is_kept_byte_for_byte() {
    let src = gif(33, 21);
    let o = ok(&src);
    assert_eq!(o.bytes, src);
    assert_eq!((o.width, o.height), (33, 21));
}

#[test]
fn ingest_is_deterministic() {
    let src = jpeg(90, 60);
    assert_eq!(ok(&src), ok(&src));
}

// ---------------------------------------------------------------------------------------------
// EXIF orientation and metadata removal

/// 40×20, left half red and right half blue.
fn red_left_blue_right() -> Vec<u8> {
    let (w, h) = (40u32, 20u32);
    let mut px = Vec::new();
    for _y in 0..h {
        for x in 0..w {
            px.extend_from_slice(if x < w / 2 {
                &[230, 20, 20]
            } else {
                &[20, 20, 230]
            });
        }
    }
    px
}

fn is_red(p: &image::Rgb<u8>) -> bool {
    p[0] > 150 && p[2] < 100
}

fn is_blue(p: &image::Rgb<u8>) -> bool {
    p[2] > 150 && p[0] < 100
}

#[test]
fn jpeg_exif_orientation_is_applied_then_exif_removed() {
    let plain = jpeg_from(&red_left_blue_right(), 40, 20);
    let rotated = with_exif_orientation(&plain, 6);
    assert!(contains(&rotated, b"Exif"));
    // Sanity: the hand-built APP1 is understood by the decoder.
    let mut decoder =
        image::codecs::jpeg::JpegDecoder::new(std::io::Cursor::new(&rotated)).unwrap();
    assert_eq!(
        image::ImageDecoder::orientation(&mut decoder).unwrap(),
        image::metadata::Orientation::Rotate90
    );

    let o = ok(&rotated);
    assert_eq!((o.width, o.height), (20, 40), "width and height swapped");
    assert!(!contains(&o.bytes, b"Exif"), "EXIF must be stripped");
    let img = decoded(&o.bytes).to_rgb8();
    assert_eq!(img.dimensions(), (20, 40));
    // Orientation 6 means "rotate 90° clockwise to display": the stored left edge becomes the
    // top edge, so red is now on top and blue at the bottom.
    assert!(is_red(img.get_pixel(10, 5)), "{:?}", img.get_pixel(10, 5));
    assert!(
        is_blue(img.get_pixel(10, 34)),
        "{:?}",
        img.get_pixel(10, 34)
    );

    // Without the tag nothing turns.
    let o = ok(&plain);
    assert_eq!((o.width, o.height), (40, 20));
}

/// Luma sampling factors from the first frame header of a JPEG.
fn sof_sampling(jpeg: &[u8]) -> (u8, u8) {
    let mut i = 2;
    loop {
        let marker = jpeg[i + 1];
        let len = u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]) as usize;
        if marker == 0xC0 || marker == 0xC2 {
            let f = jpeg[i + 11];
            return (f >> 4, f & 0x0F);
        }
        i += 2 + len;
    }
}

fn jpeg_sampled(width: u32, height: u32, sampling: jpeg_encoder::SamplingFactor) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 92);
    encoder.set_sampling_factor(sampling);
    encoder
        .encode(
            &rgb_pixels(width, height),
            width as u16,
            height as u16,
            jpeg_encoder::ColorType::Rgb,
        )
        .unwrap();
    out
}

#[test]
fn jpeg_original_keeps_the_uploads_chroma_subsampling() {
    use jpeg_encoder::SamplingFactor as S;
    for (sampling, factors) in [(S::F_2_2, (2, 2)), (S::F_1_1, (1, 1)), (S::F_2_1, (2, 1))] {
        let src = jpeg_sampled(96, 64, sampling);
        assert_eq!(sof_sampling(&src), factors);
        assert_eq!(sof_sampling(&ok(&src).bytes), factors);
    }
    // Turned a quarter by EXIF, 4:2:2 (halved horizontally) becomes halved vertically.
    let src = with_exif_orientation(&jpeg_sampled(96, 64, S::F_2_1), 6);
    let o = ok(&src);
    assert_eq!((o.width, o.height), (64, 96));
    assert_eq!(sof_sampling(&o.bytes), (1, 2));
    // Variants are always 4:2:0.
    let vs = variants(&ok(&jpeg_sampled(700, 400, S::F_1_1)), &Limits::default()).unwrap();
    for v in vs.iter().filter(|v| v.format == VariantFormat::Jpeg) {
        assert_eq!(sof_sampling(&v.bytes), (2, 2));
    }
}

#[test]
fn png_exif_orientation_is_applied_and_metadata_chunks_dropped() {
    let plain = {
        let mut out = Vec::new();
        PngEncoder::new(&mut out)
            .write_image(&red_left_blue_right(), 40, 20, ExtendedColorType::Rgb8)
            .unwrap();
        out
    };
    // Insert eXIf (orientation 8: rotate 90° counter-clockwise) and a tEXt chunk after IHDR.
    let ihdr_end = 8 + 4 + 4 + 13 + 4;
    let mut tagged = plain[..ihdr_end].to_vec();
    png_chunk(&mut tagged, b"eXIf", &tiff_orientation(8));
    png_chunk(&mut tagged, b"tEXt", b"Author\x00Khobor photo desk");
    tagged.extend_from_slice(&plain[ihdr_end..]);
    assert!(ok(&plain).width == 40);

    let o = ok(&tagged);
    assert_eq!((o.width, o.height), (20, 40));
    assert!(!contains(&o.bytes, b"eXIf"));
    assert!(!contains(&o.bytes, b"tEXt"));
    assert!(!contains(&o.bytes, b"Khobor photo desk"));
    let img = decoded(&o.bytes).to_rgb8();
    // Counter-clockwise: the stored left edge ends up at the bottom.
    assert!(is_blue(img.get_pixel(10, 5)));
    assert!(is_red(img.get_pixel(10, 34)));
}

// ---------------------------------------------------------------------------------------------
// GIF: metadata blocks dropped, frames kept

/// `data` as GIF sub-blocks: length-prefixed runs of at most 255 bytes, then the terminator.
fn sub_blocks(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for run in data.chunks(255) {
        out.push(run.len() as u8);
        out.extend_from_slice(run);
    }
    out.push(0);
    out
}

/// A two-frame animated GIF, looping forever, as the image crate encodes it.
fn animated_gif(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new_with_speed(&mut out, 30);
        encoder.set_repeat(Repeat::Infinite).unwrap();
        for shade in [30u8, 220] {
            let frame =
                image::RgbaImage::from_pixel(width, height, image::Rgba([shade, 90, 160, 255]));
            encoder
                .encode_frame(image::Frame::from_parts(
                    frame,
                    0,
                    0,
                    image::Delay::from_numer_denom_ms(250, 1),
                ))
                .unwrap();
        }
    }
    out
}

/// Where a GIF's first block after the header, screen descriptor and global colour table is.
fn gif_first_block(gif: &[u8]) -> usize {
    let flags = gif[10];
    13 + if flags & 0x80 != 0 {
        3 << ((flags & 7) + 1)
    } else {
        0
    }
}

#[test]
fn gif_comment_text_and_xmp_blocks_are_dropped_frames_and_loop_kept() {
    let clean = animated_gif(24, 16);
    let start = gif_first_block(&clean);
    assert_eq!(
        clean[start..start + 3],
        [0x21, 0xFF, 0x0B],
        "loop block first"
    );

    // Up front: a comment with a position, and an XMP packet naming the photographer.
    let mut comment = vec![0x21, 0xFE];
    comment.extend(sub_blocks(
        b"GPS 23.8103 N 90.4125 E, camera serial KHB-4471",
    ));
    let mut xmp = vec![0x21, 0xFF, 0x0B];
    xmp.extend_from_slice(b"XMP DataXMP");
    xmp.extend(sub_blocks(
        b"<x:xmpmeta><tiff:Artist>Khobor Staff Photographer</tiff:Artist></x:xmpmeta>",
    ));
    let mut icc = vec![0x21, 0xFF, 0x0B];
    icc.extend_from_slice(b"ICCRGBG1012");
    icc.extend(sub_blocks(b"profile by KHB-4471"));
    // Before the trailer: a plain-text block with its own control block, and a comment.
    let mut text = vec![0x21, 0xF9, 0x04, 0x00, 0x0A, 0x00, 0x00, 0x00, 0x21, 0x01];
    text.extend(sub_blocks(&[0u8; 12]).split_last().unwrap().1); // the 12-byte grid header
    text.extend(sub_blocks(b"shot by KHB-4471"));
    let mut tagged = clean[..start].to_vec();
    tagged.extend(&comment);
    tagged.extend(&xmp);
    tagged.extend(&icc);
    let trailer = clean.len() - 1;
    assert_eq!(clean[trailer], 0x3B);
    tagged.extend_from_slice(&clean[start..trailer]);
    tagged.extend(&text);
    tagged.extend(&comment);
    tagged.push(0x3B);
    // And after the trailer, where no reader looks but the bytes are served all the same.
    tagged.extend_from_slice(b"KHB-4471 Khobor Staff Photographer");
    assert!(
        image::load_from_memory(&tagged).is_ok(),
        "the tagged GIF is valid"
    );

    let o = ok(&tagged);
    assert_eq!(o.format, Format::Gif);
    assert_eq!((o.width, o.height), (24, 16));
    for secret in [
        &b"KHB-4471"[..],
        b"Khobor Staff",
        b"23.8103",
        b"XMP Data",
        b"ICCRGBG1",
    ] {
        assert!(
            !contains(&o.bytes, secret),
            "{:?} survived",
            String::from_utf8_lossy(secret)
        );
    }
    // What is left is exactly the animation as it was encoded: frames, delays, loop block.
    assert_eq!(o.bytes, clean);
    let frames: Vec<image::Frame> = image::AnimationDecoder::into_frames(
        image::codecs::gif::GifDecoder::new(std::io::Cursor::new(&o.bytes)).unwrap(),
    )
    .collect::<Result<_, _>>()
    .unwrap();
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[1].delay().numer_denom_ms(), (250, 1));
    assert_ne!(
        frames[0].buffer().get_pixel(0, 0),
        frames[1].buffer().get_pixel(0, 0)
    );
}

#[test]
fn gif_loop_block_keeps_only_its_loop_count() {
    let clean = animated_gif(8, 8);
    let start = gif_first_block(&clean);
    // A NETSCAPE2.0 block with a second sub-block smuggling bytes after the loop field.
    let mut tagged = clean.clone();
    let loop_end = start + 3 + 11 + 4; // introducer, identifier, loop sub-block (size, id, u16)
    assert_eq!(tagged[loop_end], 0, "the loop block's terminator");
    let smuggled = sub_blocks(b"KHB-4471");
    tagged.splice(loop_end..loop_end + 1, smuggled);
    let o = ok(&tagged);
    assert!(!contains(&o.bytes, b"KHB-4471"));
    assert_eq!(o.bytes, clean);
}

#[test]
fn gif_cut_short_keeps_its_whole_frames() {
    let clean = animated_gif(8, 8);
    // Without its trailer and the last few bytes of the second frame.
    let cut = &clean[..clean.len() - 4];
    let o = ok(cut);
    assert_eq!(*o.bytes.last().unwrap(), 0x3B);
    let frames = image::AnimationDecoder::into_frames(
        image::codecs::gif::GifDecoder::new(std::io::Cursor::new(&o.bytes)).unwrap(),
    )
    .collect::<Result<Vec<_>, _>>()
    .unwrap();
    assert_eq!(frames.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// The decode memory budget

/// A 16-bit RGBA PNG whose samples are `v * 257 + k`, so the top byte is `v`.
fn png_rgba16(width: u32, height: u32) -> Vec<u8> {
    let rgba = rgba_pixels(width, height);
    let wide: Vec<u16> = rgba
        .iter()
        .enumerate()
        .map(|(i, &v)| (u16::from(v) * 257) ^ (i as u16 & 0x7F))
        .collect();
    let img = image::ImageBuffer::<image::Rgba<u16>, _>::from_raw(width, height, wide).unwrap();
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgba16(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

#[test]
fn png_16_bit_is_decoded_to_8_bits_within_the_budget() {
    let (w, h) = (300u32, 200u32);
    let src = png_rgba16(w, h);
    assert_eq!(src[24], 16, "the source is 16 bits a sample");
    let eight_bit = u64::from(w * h * 4);

    // Counted at 8-bit RGBA (4 bytes a pixel), not at the 8 bytes a 16-bit decode would hold.
    let exact = Limits {
        max_decode_bytes: eight_bit,
        ..Limits::default()
    };
    let o = ingest(&src, &exact).unwrap();
    assert_eq!(o.bytes[24], 8, "the original is stored at 8 bits a sample");
    let got = decoded(&o.bytes).to_rgba8();
    assert_eq!(
        got.as_raw(),
        &rgba_pixels(w, h),
        "each sample is its top byte"
    );
    assert_eq!(
        variants(&o, &exact).unwrap().len(),
        2,
        "one width, WebP and JPEG"
    );

    let short = Limits {
        max_decode_bytes: eight_bit - 1,
        ..Limits::default()
    };
    match ingest(&src, &short) {
        Err(MediaError::OverBudget {
            width,
            height,
            needed,
            budget,
        }) => assert_eq!(
            (width, height, needed, budget),
            (w, h, eight_bit, eight_bit - 1)
        ),
        other => panic!("expected OverBudget, got {other:?}"),
    }
    // Variants are held to the same budget.
    assert!(matches!(
        variants(&o, &short),
        Err(MediaError::OverBudget { .. })
    ));
}

#[test]
fn a_quarter_turn_counts_the_second_buffer() {
    let plain = jpeg(60, 40);
    let turned = with_exif_orientation(&plain, 6);
    let pixels = 60 * 40 * 3;
    let just = Limits {
        max_decode_bytes: pixels,
        ..Limits::default()
    };
    assert!(ingest(&plain, &just).is_ok());
    assert!(matches!(
        ingest(&turned, &just),
        Err(MediaError::OverBudget { needed, .. }) if needed == 2 * pixels
    ));
    let twice = Limits {
        max_decode_bytes: 2 * pixels,
        ..Limits::default()
    };
    assert_eq!(ingest(&turned, &twice).unwrap().width, 40);
}

#[test]
fn progressive_jpeg_counts_its_coefficients_against_the_budget() {
    let (w, h) = (640u32, 480u32);
    let encode = |progressive: bool| {
        let mut out = Vec::new();
        let mut e = jpeg_encoder::Encoder::new(&mut out, 85);
        e.set_progressive(progressive);
        e.set_sampling_factor(jpeg_encoder::SamplingFactor::F_1_1);
        e.encode(
            &rgb_pixels(w, h),
            w as u16,
            h as u16,
            jpeg_encoder::ColorType::Rgb,
        )
        .unwrap();
        out
    };
    let pixels = u64::from(w * h * 3);
    // 4:4:4: three components of 80×60 blocks, 64 two-byte coefficients each.
    let coefficients = 3 * 80 * 60 * 64 * 2;
    let budget = |bytes: u64| Limits {
        max_decode_bytes: bytes,
        ..Limits::default()
    };
    assert!(
        ingest(&encode(false), &budget(pixels)).is_ok(),
        "baseline: pixels only"
    );
    let progressive = encode(true);
    assert!(ingest(&progressive, &budget(pixels + coefficients)).is_ok());
    assert!(matches!(
        ingest(&progressive, &budget(pixels + coefficients - 1)),
        Err(MediaError::OverBudget { needed, .. }) if needed == pixels + coefficients
    ));
}

#[test]
fn the_default_budget_holds_40_megapixels_of_8_bit_rgba() {
    let l = Limits::default();
    assert!(l.max_decode_bytes >= l.max_pixels * 4);
    assert!(
        l.max_decode_bytes < l.max_pixels * 8,
        "but not of 16-bit RGBA"
    );
}

// ---------------------------------------------------------------------------------------------
// Responsive variants

#[test]
fn variant_widths_never_upscale() {
    assert_eq!(variant_widths(4000), vec![320, 640, 1024, 1600]);
    assert_eq!(variant_widths(1600), vec![320, 640, 1024, 1600]);
    assert_eq!(variant_widths(1599), vec![320, 640, 1024, 1599]);
    assert_eq!(variant_widths(1024), vec![320, 640, 1024]);
    assert_eq!(variant_widths(500), vec![320, 500]);
    assert_eq!(variant_widths(320), vec![320]);
    assert_eq!(variant_widths(200), vec![200]);
    assert_eq!(WIDTHS, [320, 640, 1024, 1600]);
    assert_eq!(variant_height(4000, 3000, 1600), 1200);
    assert_eq!(variant_height(1000, 333, 320), 107); // 106.56 rounds up
    assert_eq!(variant_height(5000, 2, 320), 1, "never zero");
}

/// Checks the set of variants: sizes, aspect ratio, both formats present and decodable.
fn check_variants(o: &Original, expected_widths: &[u32]) -> Vec<Variant> {
    let vs = variants(o, &Limits::default()).unwrap();
    assert_eq!(vs.len(), expected_widths.len() * 2);
    for (pair, &w) in vs.chunks(2).zip(expected_widths) {
        assert_eq!(pair[0].format, VariantFormat::WebP);
        assert_eq!(pair[1].format, VariantFormat::Jpeg);
        for v in pair {
            assert_eq!(v.width, w);
            assert!(v.width <= o.width, "no upscaling");
            assert_eq!(v.height, variant_height(o.width, o.height, w));
            let aspect_in = o.width as f64 / o.height as f64;
            let aspect_out = v.width as f64 / v.height as f64;
            // Within rounding of one pixel of height.
            let tolerance = aspect_out / v.height as f64;
            assert!(
                (aspect_in - aspect_out).abs() <= tolerance,
                "{}×{} vs {}×{}",
                o.width,
                o.height,
                v.width,
                v.height
            );
            let expect = match v.format {
                VariantFormat::WebP => Format::WebP,
                VariantFormat::Jpeg => Format::Jpeg,
            };
            assert_eq!(sniff(&v.bytes), Some(expect));
            assert_eq!(decoded(&v.bytes).dimensions(), (v.width, v.height));
        }
    }
    if let Some(webp) = vs.iter().find(|v| v.format == VariantFormat::WebP) {
        assert!(contains(&webp.bytes, b"VP8 "), "variants are lossy WebP");
    }
    vs
}

#[test]
fn large_original_gets_all_four_widths() {
    let o = ok(&jpeg(2000, 1000));
    check_variants(&o, &[320, 640, 1024, 1600]);
}

#[test]
fn portrait_original_keeps_its_aspect_ratio() {
    let o = ok(&jpeg(1100, 1650));
    let vs = check_variants(&o, &[320, 640, 1024, 1100]);
    assert_eq!(vs[0].height, 480);
    assert_eq!(vs[6].height, 1650);
}

#[test]
fn small_original_gets_its_own_width_and_is_never_upscaled() {
    let o = ok(&png(500, 300));
    let vs = check_variants(&o, &[320, 500]);
    assert_eq!(vs[0].height, 192);
    assert_eq!(vs[2].height, 300);

    let o = ok(&png(200, 150));
    check_variants(&o, &[200]);

    let o = ok(&webp_lossy(640, 480));
    check_variants(&o, &[320, 640]);
}

#[test]
fn variants_of_transparent_and_animated_sources() {
    // Transparent PNG: WebP keeps the alpha channel, JPEG is flattened onto white.
    let o = ok(&png_rgba(400, 200));
    let vs = check_variants(&o, &[320, 400]);
    let webp = decoded(&vs[0].bytes).to_rgba8();
    assert!(
        webp.get_pixel(10, 10)[3] < 10,
        "transparent corner stays transparent"
    );
    assert!(webp.get_pixel(300, 10)[3] > 245);
    let jpeg = decoded(&vs[1].bytes).to_rgb8();
    let corner = jpeg.get_pixel(10, 10);
    assert!(
        corner.0.iter().all(|&c| c > 240),
        "flattened onto white: {corner:?}"
    );

    // GIF: variants come from the first frame.
    let o = ok(&gif(360, 240));
    check_variants(&o, &[320, 360]);
}

#[test]
fn variants_refuse_an_original_whose_bytes_do_not_match_its_record() {
    let mut o = ok(&png(100, 80));
    o.width = 50;
    assert!(variants(&o, &Limits::default()).is_err());
}

#[test]
fn variant_names_are_content_hashed_and_stable() {
    let o = ok(&jpeg(700, 400));
    let first = variants(&o, &Limits::default()).unwrap();
    let second = variants(&o, &Limits::default()).unwrap();
    assert_eq!(first, second, "encoding is deterministic");

    let names: Vec<String> = first.iter().map(variant_name).collect();
    let again: Vec<String> = second.iter().map(variant_name).collect();
    assert_eq!(names, again);
    for (v, name) in first.iter().zip(&names) {
        let digest = hex::encode(Sha256::digest(&v.bytes));
        let expected = format!("{}-{}.{}", &digest[..16], v.width, v.format.ext());
        assert_eq!(name, &expected);
        let (hash, rest) = name.split_once('-').unwrap();
        assert_eq!(hash.len(), 16);
        assert!(hash
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert!(rest == format!("{}.webp", v.width) || rest == format!("{}.jpg", v.width));
    }
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "every variant has its own name");

    // Different content, different name.
    let other = variants(&ok(&jpeg(700, 401)), &Limits::default()).unwrap();
    assert_ne!(variant_name(&other[0]), names[0]);
}

#[test]
fn flat_colours_survive_every_jpeg_path() {
    // A plain red card, the kind of flat graphic that trips JPEG entropy coders.
    let (w, h) = (1100u32, 700u32);
    let px: Vec<u8> = (0..w * h).flat_map(|_| [230u8, 20, 20]).collect();
    let mut src = Vec::new();
    PngEncoder::new(&mut src)
        .write_image(&px, w, h, ExtendedColorType::Rgb8)
        .unwrap();
    let o = ok(&jpeg_from(&px, w, h));
    let check = |bytes: &[u8]| {
        let img = decoded(bytes).to_rgb8();
        for (x, y) in [(0, 0), (img.width() / 2, img.height() / 2)] {
            let p = img.get_pixel(x, y);
            assert!(
                p[0].abs_diff(230) < 8 && p[1].abs_diff(20) < 8 && p[2].abs_diff(20) < 8,
                "{p:?}"
            );
        }
    };
    check(&o.bytes);
    for v in variants(&o, &Limits::default()).unwrap() {
        check(&v.bytes);
    }
    for v in variants(&ok(&src), &Limits::default()).unwrap() {
        check(&v.bytes);
    }
}

#[test]
fn reopen_rebuilds_the_record_of_a_stored_original_without_reencoding() {
    let uploads = [
        jpeg(300, 200),
        with_exif_orientation(&jpeg_from(&red_left_blue_right(), 40, 20), 6),
        png_rgba(120, 90),
        webp_lossy(160, 90),
        webp_lossless(64, 48),
        gif(50, 40),
    ];
    for upload in uploads {
        let original = ok(&upload);
        let again = reopen(&original.bytes, &Limits::default()).unwrap();
        assert_eq!(again, original, "{:?}", original.format);
        assert_eq!(
            variants(&again, &Limits::default()).unwrap(),
            variants(&original, &Limits::default()).unwrap()
        );
    }
    // EXIF still present (bytes stored by other means): the record reports the turned size,
    // which is what variants produce.
    let tagged = with_exif_orientation(&jpeg(48, 32), 6);
    let o = reopen(&tagged, &Limits::default()).unwrap();
    assert_eq!((o.width, o.height), (32, 48));
    assert_eq!(o.bytes, tagged);
    assert_eq!(variants(&o, &Limits::default()).unwrap()[0].width, 32);
    // The same gatekeeping as ingest.
    assert!(matches!(
        reopen(&png_bomb(20_000, 20_000), &Limits::default()),
        Err(MediaError::TooManyPixels { .. })
    ));
    assert!(matches!(
        reopen(b"just text", &Limits::default()),
        Err(MediaError::NotAnImage)
    ));
    assert!(matches!(
        reopen(&[], &Limits::default()),
        Err(MediaError::Empty)
    ));
}
