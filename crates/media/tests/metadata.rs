//! Nothing a camera, phone or editor wrote about a photo survives intake: files of every accepted
//! type are given a GPS position, an author, a camera serial, a comment and XMP by `exiftool`
//! (the reference reader of image metadata), ingested, and read back by `exiftool`, the original
//! and every variant. These tests need `exiftool` (Debian: libimage-exiftool-perl, installed by
//! `scripts/setup.sh`) and fail, rather than skip, without it.

use std::path::Path;
use std::process::Command;

use image::codecs::gif::{GifEncoder, Repeat};
use image::{DynamicImage, ExtendedColorType, Frame, ImageEncoder, RgbImage, RgbaImage};
use media::{ingest, variants, Format, Limits};

/// Values written into every fixture; none may be found in what Khobor serves.
const MARKERS: [&str; 6] = [
    "Khobor-Artist",
    "KHOBOR-SN-4471",
    "Khobor-Comment",
    "Khobor-Creator",
    "23 deg 48",
    "90 deg 24",
];

/// Tag names that give away a person, a place, a device or a time.
const TELLING_TAGS: [&str; 8] = [
    "GPS",
    "Artist",
    "SerialNumber",
    "Comment",
    "Creator",
    "ModifyDate",
    "DateTimeOriginal",
    "XMPToolkit",
];

/// Runs exiftool, failing the test with a clear message when it is not installed.
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

/// Gives `file` a GPS position, an author, a camera serial, a comment and XMP, in whatever
/// blocks its format holds them (EXIF, XMP, PNG text and time chunks, GIF comment and
/// application blocks, JPEG COM), and checks exiftool reads them back.
fn add_metadata(file: &Path) {
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
            "the fixture {path} lacks {marker}:\n{read}"
        );
    }
}

/// Asserts that exiftool finds nothing telling in `bytes` (written to `file` to be read).
fn assert_clean(bytes: &[u8], file: &Path, what: &str) {
    std::fs::write(file, bytes).unwrap();
    let read = exiftool(&["-a", "-G1", "-s", file.to_str().unwrap()]);
    for line in read.lines() {
        // "[Group]  TagName  : value"; the System and ExifTool groups describe the file on disk.
        let (group, rest) = line.split_once(']').unwrap_or(("", line));
        let group = group.trim_start_matches('[');
        if group == "System" || group == "ExifTool" {
            continue;
        }
        let tag = rest.split(':').next().unwrap_or("").trim();
        assert!(
            !group.starts_with("XMP")
                && !matches!(group, "IFD0" | "IFD1" | "ExifIFD" | "GPS" | "MakerNotes")
                && !TELLING_TAGS.iter().any(|t| tag.contains(t)),
            "{what} still carries {line}\nexiftool read:\n{read}"
        );
    }
    for marker in MARKERS {
        assert!(
            !read.contains(marker),
            "{what} still says {marker}:\n{read}"
        );
    }
    for marker in ["Khobor-", "KHOBOR-SN", "xmpmeta"] {
        assert!(
            !bytes.windows(marker.len()).any(|w| w == marker.as_bytes()),
            "{what} holds the bytes {marker:?}"
        );
    }
}

fn photo(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, 90])
    })
}

fn encoded(image: DynamicImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// A three-frame animated GIF that loops forever, 100 ms a frame.
fn animated_gif(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new_with_speed(&mut out, 30);
        encoder.set_repeat(Repeat::Infinite).unwrap();
        for shade in [40u8, 140, 240] {
            let frame = RgbaImage::from_pixel(width, height, image::Rgba([shade, 60, 200, 255]));
            encoder
                .encode_frame(Frame::from_parts(
                    frame,
                    0,
                    0,
                    image::Delay::from_numer_denom_ms(100, 1),
                ))
                .unwrap();
        }
    }
    out
}

fn fixtures() -> Vec<(&'static str, Format, Vec<u8>)> {
    let lossless_webp = {
        let mut out = Vec::new();
        image::codecs::webp::WebPEncoder::new_lossless(&mut out)
            .write_image(photo(300, 200).as_raw(), 300, 200, ExtendedColorType::Rgb8)
            .unwrap();
        out
    };
    let lossy_webp = webp::Encoder::from_rgb(photo(300, 200).as_raw(), 300, 200)
        .encode(80.0)
        .to_vec();
    vec![
        (
            "jpg",
            Format::Jpeg,
            encoded(
                DynamicImage::ImageRgb8(photo(700, 500)),
                image::ImageFormat::Jpeg,
            ),
        ),
        (
            "png",
            Format::Png,
            encoded(
                DynamicImage::ImageRgb8(photo(500, 300)),
                image::ImageFormat::Png,
            ),
        ),
        ("webp", Format::WebP, lossy_webp),
        ("webp", Format::WebP, lossless_webp),
        ("gif", Format::Gif, animated_gif(400, 300)),
    ]
}

#[test]
fn gps_author_serial_comment_and_xmp_never_survive_intake_in_any_format() {
    let dir = tempfile::tempdir().unwrap();
    for (n, (ext, format, bytes)) in fixtures().into_iter().enumerate() {
        let upload = dir.path().join(format!("upload-{n}.{ext}"));
        std::fs::write(&upload, &bytes).unwrap();
        add_metadata(&upload);
        let tagged = std::fs::read(&upload).unwrap();

        let original = ingest(&tagged, &Limits::default())
            .unwrap_or_else(|e| panic!("{ext} with metadata refused: {e}"));
        assert_eq!(original.format, format);
        let out = dir.path().join(format!("original-{n}.{ext}"));
        assert_clean(&original.bytes, &out, &format!("the {ext} original"));

        for v in variants(&original, &Limits::default()).unwrap() {
            let out = dir
                .path()
                .join(format!("variant-{n}-{}.{}", v.width, v.format.ext()));
            assert_clean(
                &v.bytes,
                &out,
                &format!("the {} px {:?} variant of the {ext}", v.width, v.format),
            );
        }
    }
}

#[test]
fn a_cleaned_gif_still_animates_and_loops() {
    let dir = tempfile::tempdir().unwrap();
    let upload = dir.path().join("animated.gif");
    std::fs::write(&upload, animated_gif(120, 80)).unwrap();
    add_metadata(&upload);
    let original = ingest(&std::fs::read(&upload).unwrap(), &Limits::default()).unwrap();

    let out = dir.path().join("clean.gif");
    std::fs::write(&out, &original.bytes).unwrap();
    let read = exiftool(&[
        "-a",
        "-G1",
        "-s",
        "-FrameCount",
        "-AnimationIterations",
        out.to_str().unwrap(),
    ]);
    assert!(read.contains("FrameCount"), "{read}");
    assert!(read.contains(": 3"), "three frames: {read}");
    assert!(read.contains("Infinite"), "loops forever: {read}");
}
