//! Image intake for Khobor's media library.
//!
//! Reporters and editors upload photos from phones, cameras and agency feeds. Before anything is
//! stored this crate:
//!
//! 1. decides the type from the bytes themselves ([`sniff`]), never from the file name;
//! 2. enforces the byte, width, height and pixel limits ([`Limits`]) from the image header,
//!    before any pixel is decoded, so a tiny file declaring a gigantic canvas (a decompression
//!    bomb) is rejected without allocating it;
//! 3. refuses an image whose decoded pixels would not fit in the memory budget
//!    ([`Limits::max_decode_bytes`], worked out from the header), decodes 16-bit PNG straight to
//!    8 bits a sample, applies the EXIF orientation and re-encodes without metadata, so GPS
//!    positions and camera serials never reach the public site; a GIF keeps its frames and
//!    loop count and loses every comment, text and application block ([`ingest`]);
//! 4. produces the responsive WebP and JPEG renditions used by article pages ([`variants`]),
//!    named by content hash so they can be cached forever ([`variant_name`]).
//!
//! Everything here is pure: bytes in, bytes out, no file system and no database (`variants`
//! borrows a second thread for encoding).

use std::borrow::Cow;
use std::fmt;
use std::io::Cursor;
use std::sync::atomic::{AtomicUsize, Ordering};

use fast_image_resize as fr;
use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader};
use sha2::{Digest, Sha256};

/// An upload format the newsroom accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Jpeg,
    Png,
    WebP,
    Gif,
}

impl Format {
    /// The MIME type to serve the original with.
    pub fn mime(&self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::WebP => "image/webp",
            Format::Gif => "image/gif",
        }
    }

    /// The file extension (without the dot) for a stored original.
    pub fn ext(&self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::WebP => "webp",
            Format::Gif => "gif",
        }
    }

    fn image_format(self) -> ImageFormat {
        match self {
            Format::Jpeg => ImageFormat::Jpeg,
            Format::Png => ImageFormat::Png,
            Format::WebP => ImageFormat::WebP,
            Format::Gif => ImageFormat::Gif,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Jpeg => "JPEG",
            Format::Png => "PNG",
            Format::WebP => "WebP",
            Format::Gif => "GIF",
        })
    }
}

/// Upload limits, all checked before the image is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted upload, in bytes.
    pub max_bytes: usize,
    /// Widest accepted image, in pixels.
    pub max_width: u32,
    /// Tallest accepted image, in pixels.
    pub max_height: u32,
    /// Largest accepted `width × height`.
    pub max_pixels: u64,
    /// Most bytes one decode may hold: the decoded pixels (width × height × bytes per pixel of
    /// the colour type the decoder produces) plus, for progressive JPEG, its coefficients.
    /// Checked from the header before decoding; several uploads decode at once, so this times
    /// the number of decode permits bounds the memory images take.
    pub max_decode_bytes: u64,
}

impl Default for Limits {
    /// 20 MiB, at most 12 000 px on either side and 40 megapixels in total: comfortably above
    /// any camera a Khobor photographer carries, far below what would exhaust the server. The
    /// decode budget, 160 MiB, holds 40 megapixels of 8-bit RGBA (16-bit PNG is decoded to 8
    /// bits, so it fits too); a 40-megapixel progressive JPEG does not (its coefficients take
    /// twice its pixels) and is refused with a message saying so.
    fn default() -> Self {
        Limits {
            max_bytes: 20 * 1024 * 1024,
            max_width: 12_000,
            max_height: 12_000,
            max_pixels: 40_000_000,
            max_decode_bytes: 160 * 1024 * 1024,
        }
    }
}

impl Limits {
    /// Refuses a decode that needs more than [`Limits::max_decode_bytes`].
    fn check_budget(&self, width: u32, height: u32, needed: u64) -> Result<(), MediaError> {
        if needed > self.max_decode_bytes {
            return Err(MediaError::OverBudget {
                width,
                height,
                needed,
                budget: self.max_decode_bytes,
            });
        }
        Ok(())
    }

    fn check_dimensions(&self, width: u32, height: u32) -> Result<(), MediaError> {
        if width == 0 || height == 0 {
            return Err(MediaError::Corrupt(format!(
                "the header declares a {width}×{height} image"
            )));
        }
        // The pixel count is the limit that protects memory; report it first.
        if u64::from(width) * u64::from(height) > self.max_pixels {
            return Err(MediaError::TooManyPixels {
                width,
                height,
                max: self.max_pixels,
            });
        }
        if width > self.max_width || height > self.max_height {
            return Err(MediaError::DimensionsTooLarge {
                width,
                height,
                max_width: self.max_width,
                max_height: self.max_height,
            });
        }
        Ok(())
    }
}

/// Why an upload was refused or could not be processed. The messages are shown to reporters as
/// they are, so they are in Bengali and say what to do differently.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("ফাইলটি খালি: কোনো ছবি পাওয়া যায়নি")]
    Empty,
    #[error("ফাইলটি খুব বড়: {}; সর্বোচ্চ {}", human_size(*.bytes as u64), human_size(*.max as u64))]
    TooLarge { bytes: usize, max: usize },
    #[error("ফাইলটি ছবি নয়: শুধু JPEG, PNG, WebP বা GIF নেওয়া হয়")]
    NotAnImage,
    #[error("ছবিটি খুব বড়: {width}×{height} পিক্সেল; সর্বোচ্চ {max} পিক্সেল")]
    TooManyPixels { width: u32, height: u32, max: u64 },
    /// One side is longer than [`Limits::max_width`] / [`Limits::max_height`] allow, even though
    /// the total pixel count may be within bounds (a very long panorama, for instance).
    #[error(
        "ছবিটি খুব বড়: {width}×{height} পিক্সেল; প্রস্থ সর্বোচ্চ {max_width} ও উচ্চতা সর্বোচ্চ {max_height} পিক্সেল"
    )]
    DimensionsTooLarge {
        width: u32,
        height: u32,
        max_width: u32,
        max_height: u32,
    },
    /// The pixels would not fit in [`Limits::max_decode_bytes`] once decoded.
    #[error(
        "ছবিটি খুলতে {} মেমরি লাগবে, কিন্তু একটি ছবির জন্য সীমা {} ({width}×{height} পিক্সেল): ছবিটি ছোট মাপে সংরক্ষণ করে আবার দিন",
        human_size(*.needed), human_size(*.budget)
    )]
    OverBudget {
        width: u32,
        height: u32,
        needed: u64,
        budget: u64,
    },
    #[error("ছবিটি নষ্ট বা অসম্পূর্ণ, খোলা যাচ্ছে না ({0})")]
    Corrupt(String),
    #[error("ছবিটি প্রক্রিয়া করা যায়নি ({0})")]
    Encode(String),
}

/// A byte count the way a reporter reads it: "25.3 MB", "512 KB", "900 বাইট". Rounded up, so
/// a file just over the limit never reads as equal to it.
fn human_size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB {
        let tenths = bytes.saturating_mul(10).div_ceil(MIB);
        if tenths % 10 == 0 {
            format!("{} MB", tenths / 10)
        } else {
            format!("{}.{} MB", tenths / 10, tenths % 10)
        }
    } else if bytes >= KIB {
        format!("{} KB", bytes.div_ceil(KIB))
    } else {
        format!("{bytes} বাইট")
    }
}

/// Decides the format from the magic number at the start of the file. Returns `None` for
/// anything that is not JPEG, PNG, WebP or GIF, whatever its name claims.
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Format::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Format::Png)
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some(Format::WebP)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(Format::Gif)
    } else {
        None
    }
}

/// A validated, cleaned original, ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Original {
    pub format: Format,
    /// Width after the EXIF orientation was applied (for GIF: the canvas of the first frame).
    pub width: u32,
    /// Height after the EXIF orientation was applied.
    pub height: u32,
    /// The re-encoded file, without EXIF or other metadata (GIF: the upload as it was).
    pub bytes: Vec<u8>,
    /// Lower-case hex SHA-256 of `bytes`.
    pub sha256: String,
}

/// WebP quality for re-encoded lossy WebP originals.
const ORIGINAL_WEBP_QUALITY: f32 = 90.0;

/// Validates and cleans an upload: type from bytes, limits and the decode budget checked from
/// the header before decoding, apply EXIF orientation, re-encode in the same format without
/// metadata (JPEG quality 90, keeping the upload's chroma subsampling; lossy WebP quality 90;
/// lossless WebP and PNG stay lossless, PNG at 8 bits a sample). GIF: the frames, their timing
/// and the loop count are copied as they are and every other block dropped (see
/// `strip_gif`); dimensions are those of the first frame's canvas.
pub fn ingest(bytes: &[u8], limits: &Limits) -> Result<Original, MediaError> {
    let format = check_upload(bytes, limits)?;
    let (mut image, orientation) = decode(bytes, format, limits)?;
    image.apply_orientation(orientation);
    let (width, height) = (image.width(), image.height());

    let out = match format {
        // Re-encoding an animation would cost every frame's pixels and redo its palettes;
        // copying the blocks that draw it, after the first frame decoded above, is exact.
        Format::Gif => strip_gif(bytes)?,
        Format::Jpeg => encode_original_jpeg(image, jpeg_sampling(bytes, orientation))?,
        Format::Png => {
            let mut out = Vec::new();
            let encoder = PngEncoder::new_with_quality(
                &mut out,
                CompressionType::Default,
                PngFilter::Adaptive,
            );
            image.write_with_encoder(encoder).map_err(encode_error)?;
            out
        }
        Format::WebP => {
            // Keep the kind of compression the uploader chose: a lossless graphic stays exact.
            let lossless = matches!(
                webp::BitstreamFeatures::new(bytes).and_then(|f| f.format()),
                Some(webp::BitstreamFormat::Lossless)
            );
            let quality = if lossless {
                WebPQuality::Lossless
            } else {
                WebPQuality::Lossy(ORIGINAL_WEBP_QUALITY)
            };
            encode_webp(&Pixels::from_image(image), quality)?
        }
    };

    Ok(Original {
        format,
        width,
        height,
        sha256: hex::encode(Sha256::digest(&out)),
        bytes: out,
    })
}

/// Rebuilds the [`Original`] record for bytes that [`ingest`] produced earlier, read back from
/// storage, without decoding the pixels or re-encoding them (a second `ingest` would cost a
/// full decode and, for JPEG and lossy WebP, another generation of compression loss). The type
/// is sniffed, the header checked against `limits` and the hash recomputed; the result is ready
/// for [`variants`], which decodes the pixels under exactly these dimensions.
pub fn reopen(bytes: &[u8], limits: &Limits) -> Result<Original, MediaError> {
    let format = check_upload(bytes, limits)?;
    let (mut decoder, width, height) = open_decoder(bytes, format, limits)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let (width, height) = if turns(orientation) {
        (height, width)
    } else {
        (width, height)
    };
    Ok(Original {
        format,
        width,
        height,
        bytes: bytes.to_vec(),
        sha256: hex::encode(Sha256::digest(bytes)),
    })
}

/// Copies a GIF keeping only what draws it: header, screen descriptor and colour tables, each
/// frame with its graphic control block (delay, disposal, transparency), and the loop count
/// (the NETSCAPE2.0 / ANIMEXTS1.0 block, rebuilt from its loop field alone). Dropped: comment
/// blocks, plain-text blocks (which no browser draws), every other application block (XMP,
/// ICC profiles, editors' private data) and anything after the trailer, all of which can carry
/// an author, a place or a camera serial. A file cut short after at least one whole frame
/// keeps its whole frames, as browsers show it.
fn strip_gif(bytes: &[u8]) -> Result<Vec<u8>, MediaError> {
    let bad = |what: &str| MediaError::Corrupt(format!("GIF: {what}"));
    // Header (6 bytes), logical screen descriptor (7), global colour table if flagged.
    let flags = *bytes.get(10).ok_or_else(|| bad("no screen descriptor"))?;
    let mut i = 13 + colour_table_len(flags);
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(
        bytes
            .get(..i)
            .ok_or_else(|| bad("colour table cut short"))?,
    );

    // A graphic control block applies to the next image or plain-text block; it is written
    // out with its image, and dropped with a plain-text block.
    let mut control: Option<[u8; 4]> = None;
    let mut frames = 0usize;
    loop {
        match bytes.get(i) {
            Some(0x2C) => {
                // Image descriptor (10 bytes), local colour table, LZW code size, data.
                let Some(&flags) = bytes.get(i + 9) else {
                    break;
                };
                let data = i + 10 + colour_table_len(flags) + 1;
                let Some(end) = skip_sub_blocks(bytes, data) else {
                    break;
                };
                if let Some(gce) = control.take() {
                    out.extend_from_slice(&[0x21, 0xF9, 0x04]);
                    out.extend_from_slice(&gce);
                    out.push(0x00);
                }
                out.extend_from_slice(&bytes[i..end]);
                frames += 1;
                i = end;
            }
            Some(0x21) => {
                let Some(&label) = bytes.get(i + 1) else {
                    break;
                };
                let Some(end) = skip_sub_blocks(bytes, i + 2) else {
                    break;
                };
                let body = &bytes[i + 2..end];
                match label {
                    0xF9 => {
                        control = match body {
                            [4, a, b, c, d, ..] => Some([*a, *b, *c, *d]),
                            _ => None,
                        }
                    }
                    0xFF => {
                        if let Some(count) = loop_count(body) {
                            out.extend_from_slice(&[0x21, 0xFF, 0x0B]);
                            out.extend_from_slice(&body[1..12]);
                            out.extend_from_slice(&[0x03, 0x01]);
                            out.extend_from_slice(&count);
                            out.push(0x00);
                        }
                    }
                    0x01 => control = None,
                    _ => {} // comments and unknown extensions
                }
                i = end;
            }
            // The trailer, or the end of a file that lacks one.
            Some(0x3B) | None => break,
            Some(other) => return Err(bad(&format!("unknown block 0x{other:02X}"))),
        }
    }
    if frames == 0 {
        return Err(bad("no complete frame"));
    }
    out.push(0x3B);
    Ok(out)
}

/// Bytes of the colour table a GIF screen or image descriptor's packed field announces.
fn colour_table_len(flags: u8) -> usize {
    if flags & 0x80 == 0 {
        0
    } else {
        3 << ((flags & 0x07) + 1)
    }
}

/// The index just past the sub-block chain starting at `i` (its zero-length terminator
/// included); `None` if the file ends first.
fn skip_sub_blocks(bytes: &[u8], mut i: usize) -> Option<usize> {
    loop {
        let len = usize::from(*bytes.get(i)?);
        i += 1 + len;
        if len == 0 {
            return (i <= bytes.len()).then_some(i);
        }
    }
}

/// The loop count of an application block's sub-blocks if it is the looping block browsers
/// read (NETSCAPE2.0, or ANIMEXTS1.0 which means the same).
fn loop_count(body: &[u8]) -> Option<[u8; 2]> {
    let (size, id, rest) = (body.first()?, body.get(1..12)?, body.get(12..)?);
    if *size != 11 || (id != b"NETSCAPE2.0" && id != b"ANIMEXTS1.0") {
        return None;
    }
    // Any sub-blocks after the loop field (buffering hints, or smuggled data) are dropped.
    match rest {
        [3, 1, lo, hi, ..] => Some([*lo, *hi]),
        _ => None,
    }
}

/// The checks that need no parsing: not empty, not too many bytes, a known magic number.
fn check_upload(bytes: &[u8], limits: &Limits) -> Result<Format, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::Empty);
    }
    if bytes.len() > limits.max_bytes {
        return Err(MediaError::TooLarge {
            bytes: bytes.len(),
            max: limits.max_bytes,
        });
    }
    sniff(bytes).ok_or(MediaError::NotAnImage)
}

/// Parses only the header and enforces `limits` on the declared size, then hands the decoder
/// the decode budget as a second guard. Returns the decoder, ready to decode, and the size.
fn open_decoder<'a>(
    bytes: &'a [u8],
    format: Format,
    limits: &Limits,
) -> Result<(impl ImageDecoder + 'a, u32, u32), MediaError> {
    let budget = limits.max_decode_bytes;

    // No dimension limit yet (the declared size is checked below, with an error that names
    // it); the allocation cap bounds the metadata buffers read with the header.
    let mut header_limits = image::Limits::no_limits();
    header_limits.max_alloc = Some(budget);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
    reader.limits(header_limits);
    let mut decoder = reader.into_decoder().map_err(corrupt)?;

    let (width, height) = decoder.dimensions();
    limits.check_dimensions(width, height)?;

    // Second guard: the decoder itself refuses anything beyond the limits.
    let mut strict = image::Limits::default();
    strict.max_image_width = Some(limits.max_width);
    strict.max_image_height = Some(limits.max_height);
    strict.max_alloc = Some(budget);
    match decoder.set_limits(strict) {
        Ok(()) => {}
        Err(ImageError::Limits(_)) => {
            let needed = decoder.total_bytes();
            return Err(over_budget(width, height, needed, limits));
        }
        Err(other) => return Err(corrupt(other)),
    }
    Ok((decoder, width, height))
}

/// The error for a decode the budget cannot hold. `needed` is at least one byte over the
/// budget: a decoder that gives up under its own accounting is reported as over, not under.
fn over_budget(width: u32, height: u32, needed: u64, limits: &Limits) -> MediaError {
    MediaError::OverBudget {
        width,
        height,
        needed: needed.max(limits.max_decode_bytes.saturating_add(1)),
        budget: limits.max_decode_bytes,
    }
}

/// Whether applying `orientation` turns the image a quarter, which makes a second buffer the
/// size of the first (a flip or half turn is done in place).
fn turns(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

/// Reads the header, enforces `limits` on the declared size and the memory the decode needs,
/// then decodes. Returns the pixels (8 bits a sample) and the EXIF orientation to apply.
fn decode(
    bytes: &[u8],
    format: Format,
    limits: &Limits,
) -> Result<(DynamicImage, Orientation), MediaError> {
    if format == Format::Png {
        return decode_png(bytes, limits);
    }
    let (mut decoder, width, height) = open_decoder(bytes, format, limits)?;
    // A damaged EXIF block is no reason to refuse a photo; it is dropped either way.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut needed = decoder.total_bytes();
    if format == Format::Jpeg {
        needed = needed.saturating_add(jpeg_frame(bytes).map_or(0, |f| f.coefficient_bytes()));
    }
    if turns(orientation) {
        needed = needed.saturating_add(decoder.total_bytes());
    }
    limits.check_budget(width, height, needed)?;
    let image = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        ImageError::Limits(_) => over_budget(width, height, needed, limits),
        other => corrupt(other),
    })?;
    Ok((image, orientation))
}

/// Most bytes the PNG decoder may allocate besides the pixels: row buffers and the chunks it
/// keeps (the eXIf block, for the orientation). Text and colour-profile chunks are skipped.
const PNG_METADATA_BYTES: usize = 16 * 1024 * 1024;

/// PNG through the `png` crate itself, because the `image` crate's decoder returns 16-bit
/// files as 16-bit pixels: 8 bytes a pixel for RGBA, twice what the site can ever show. Here
/// samples are cut to 8 bits row by row while decoding (and palettes expanded), so the only
/// large buffer is the 8-bit image, and the budget is checked against its size before it is
/// allocated.
fn decode_png(bytes: &[u8], limits: &Limits) -> Result<(DynamicImage, Orientation), MediaError> {
    let corrupt_png = |e: png::DecodingError| MediaError::Corrupt(e.to_string());
    let mut decoder = png::Decoder::new_with_limits(
        Cursor::new(bytes),
        png::Limits {
            bytes: PNG_METADATA_BYTES,
        },
    );
    decoder.set_ignore_text_chunk(true);
    decoder.set_ignore_iccp_chunk(true);
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let (width, height) = decoder.read_header_info().map_err(corrupt_png)?.size();
    limits.check_dimensions(width, height)?;
    let mut reader = decoder.read_info().map_err(corrupt_png)?;
    let pixels = reader.output_buffer_size().map_or(u64::MAX, |n| n as u64);
    let orientation = reader
        .info()
        .exif_metadata
        .as_deref()
        .and_then(Orientation::from_exif_chunk)
        .unwrap_or(Orientation::NoTransforms);
    let needed = if turns(orientation) {
        pixels.saturating_mul(2)
    } else {
        pixels
    };
    limits.check_budget(width, height, needed)?;
    let size = usize::try_from(pixels).map_err(|_| over_budget(width, height, needed, limits))?;
    let mut buf = vec![0; size];
    reader.next_frame(&mut buf).map_err(corrupt_png)?;
    let image = match reader.output_color_type() {
        (png::ColorType::Grayscale, png::BitDepth::Eight) => {
            image::GrayImage::from_raw(width, height, buf).map(DynamicImage::ImageLuma8)
        }
        (png::ColorType::GrayscaleAlpha, png::BitDepth::Eight) => {
            image::GrayAlphaImage::from_raw(width, height, buf).map(DynamicImage::ImageLumaA8)
        }
        (png::ColorType::Rgb, png::BitDepth::Eight) => {
            image::RgbImage::from_raw(width, height, buf).map(DynamicImage::ImageRgb8)
        }
        (png::ColorType::Rgba, png::BitDepth::Eight) => {
            image::RgbaImage::from_raw(width, height, buf).map(DynamicImage::ImageRgba8)
        }
        _ => None,
    };
    let image =
        image.ok_or_else(|| MediaError::Corrupt("PNG pixel layout not understood".into()))?;
    Ok((image, orientation))
}

fn corrupt(e: ImageError) -> MediaError {
    MediaError::Corrupt(e.to_string())
}

fn encode_error(e: ImageError) -> MediaError {
    MediaError::Encode(e.to_string())
}

/// JPEG quality for re-encoded originals: visually lossless, they are the archive copy.
const ORIGINAL_JPEG_QUALITY: u8 = 90;
/// JPEG quality for variants, the fallback for browsers without WebP.
const VARIANT_JPEG_QUALITY: u8 = 82;

/// Baseline JPEG, no metadata segments besides JFIF. `sampling` is the luma sampling factor
/// relative to chroma: `F_1_1` keeps full colour resolution, `F_2_2` is 4:2:0.
fn encode_jpeg(
    data: &[u8],
    width: u32,
    height: u32,
    color: jpeg_encoder::ColorType,
    quality: u8,
    sampling: jpeg_encoder::SamplingFactor,
) -> Result<Vec<u8>, MediaError> {
    let side = |v: u32| {
        u16::try_from(v).map_err(|_| MediaError::Encode(format!("JPEG cannot be {v} pixels long")))
    };
    let (w, h) = (side(width)?, side(height)?);
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    encoder.set_sampling_factor(sampling);
    encoder.set_chroma_subsampling_method(jpeg_encoder::ChromaSubsamplingMethod::Average);
    // Standard Huffman tables on purpose: with optimised tables, flat areas (a plain poster
    // background, a white page) come back green from the `image` crate's JPEG decoder, which
    // `variants` itself uses to read originals. About 15% larger files, always decodable.
    encoder.set_optimized_huffman_tables(false);
    encoder
        .encode(data, w, h, color)
        .map_err(|e| MediaError::Encode(format!("JPEG: {e}")))?;
    Ok(out)
}

/// Re-encodes an oriented original as JPEG: grey photos stay grey, anything else becomes RGB
/// (alpha, which JPEG uploads never have, would be flattened onto white). The chroma
/// subsampling of the upload is kept, so a phone's 4:2:0 photo does not grow into 4:4:4.
fn encode_original_jpeg(
    image: DynamicImage,
    sampling: jpeg_encoder::SamplingFactor,
) -> Result<Vec<u8>, MediaError> {
    let (width, height) = (image.width(), image.height());
    if !image.color().has_color() && !image.color().has_alpha() {
        let luma = image.into_luma8();
        return encode_jpeg(
            luma.as_raw(),
            width,
            height,
            jpeg_encoder::ColorType::Luma,
            ORIGINAL_JPEG_QUALITY,
            jpeg_encoder::SamplingFactor::F_1_1,
        );
    }
    let pixels = Pixels::from_image(image);
    encode_jpeg(
        &pixels.rgb(),
        width,
        height,
        jpeg_encoder::ColorType::Rgb,
        ORIGINAL_JPEG_QUALITY,
        sampling,
    )
}

/// The chroma subsampling of a JPEG upload, as the luma component's sampling factors in its
/// frame header, turned to match the pixels after `orientation`. Full resolution when the
/// header cannot be read or uses factors the encoder does not offer.
fn jpeg_sampling(bytes: &[u8], orientation: Orientation) -> jpeg_encoder::SamplingFactor {
    let full = jpeg_encoder::SamplingFactor::F_1_1;
    let Some(frame) = jpeg_frame(bytes) else {
        return full;
    };
    // Colour photos only: a grey JPEG is re-encoded as grey, where sampling means nothing.
    let Some(&(h, v)) = frame.sampling.first().filter(|_| frame.sampling.len() >= 3) else {
        return full;
    };
    let (h, v) = if turns(orientation) { (v, h) } else { (h, v) };
    jpeg_encoder::SamplingFactor::from_factors(h, v).unwrap_or(full)
}

/// What the memory of a JPEG decode depends on, from its frame header (SOFn).
struct JpegFrame {
    progressive: bool,
    width: u32,
    height: u32,
    /// Horizontal and vertical sampling factors of each component, in order.
    sampling: Vec<(u8, u8)>,
}

impl JpegFrame {
    /// The coefficients a progressive decode keeps for the whole image until its last scan:
    /// 64 two-byte values per 8×8 block of every component, over whole MCUs (as the decoder
    /// allocates them). Zero for baseline, which decodes a row of blocks at a time.
    fn coefficient_bytes(&self) -> u64 {
        if !self.progressive {
            return 0;
        }
        let h_max = u64::from(self.sampling.iter().map(|s| s.0).max().unwrap_or(1).max(1));
        let v_max = u64::from(self.sampling.iter().map(|s| s.1).max().unwrap_or(1).max(1));
        let mcus_x = u64::from(self.width).div_ceil(8 * h_max);
        let mcus_y = u64::from(self.height).div_ceil(8 * v_max);
        self.sampling
            .iter()
            .map(|&(h, v)| mcus_x * mcus_y * u64::from(h) * u64::from(v) * 64 * 2)
            .sum()
    }
}

/// The first frame header of a JPEG. Walks the marker segments; `None` if there is none
/// before the first scan.
fn jpeg_frame(bytes: &[u8]) -> Option<JpegFrame> {
    let mut i = 2; // after SOI
    while i + 4 <= bytes.len() {
        if bytes[i] != 0xFF {
            return None;
        }
        let marker = bytes[i + 1];
        if marker == 0xFF {
            i += 1; // fill byte
            continue;
        }
        if marker == 0x01 || (0xD0..=0xD9).contains(&marker) {
            i += 2; // markers without a length
            continue;
        }
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        let is_frame = (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_frame {
            // precision, height (2), width (2), component count, then id, sampling, table.
            let segment = bytes.get(i + 4..i + 2 + len)?;
            let height = u16::from_be_bytes([*segment.get(1)?, *segment.get(2)?]);
            let width = u16::from_be_bytes([*segment.get(3)?, *segment.get(4)?]);
            let count = usize::from(*segment.get(5)?);
            let sampling = (0..count)
                .map(|c| segment.get(7 + 3 * c).map(|f| (f >> 4, f & 0x0F)))
                .collect::<Option<Vec<_>>>()?;
            return Some(JpegFrame {
                // SOF2, SOF6, SOF10 and SOF14 are the progressive ones.
                progressive: marker & 0x03 == 0x02,
                width: u32::from(width),
                height: u32::from(height),
                sampling,
            });
        }
        if marker == 0xDA {
            return None; // scan data before any frame header
        }
        i += 2 + len;
    }
    None
}

/// Composites RGBA pixels onto a white page and returns packed RGB.
fn flatten_on_white(rgba: &[u8]) -> Vec<u8> {
    let mut rgb = Vec::with_capacity(rgba.len() / 4 * 3);
    for px in rgba.chunks_exact(4) {
        let a = u32::from(px[3]);
        for &c in &px[..3] {
            // c·a + 255·(255 − a), divided by 255 with rounding.
            let v = u32::from(c) * a + 255 * (255 - a);
            rgb.push(((v + 127) / 255) as u8);
        }
    }
    rgb
}

/// Packed 8-bit pixels, RGB or RGBA: the working form for resizing and encoding.
struct Pixels {
    width: u32,
    height: u32,
    alpha: bool,
    data: Vec<u8>,
}

impl Pixels {
    /// Takes the decoded buffer over without copying when it is already 8-bit RGB(A).
    fn from_image(image: DynamicImage) -> Pixels {
        let (width, height) = (image.width(), image.height());
        let alpha = image.color().has_alpha();
        let data = if alpha {
            image.into_rgba8().into_raw()
        } else {
            image.into_rgb8().into_raw()
        };
        Pixels {
            width,
            height,
            alpha,
            data,
        }
    }

    fn pixel_type(&self) -> fr::PixelType {
        if self.alpha {
            fr::PixelType::U8x4
        } else {
            fr::PixelType::U8x3
        }
    }

    /// Packed RGB for JPEG: borrowed when there is no alpha, flattened onto white otherwise.
    fn rgb(&self) -> Cow<'_, [u8]> {
        if self.alpha {
            Cow::Owned(flatten_on_white(&self.data))
        } else {
            Cow::Borrowed(&self.data)
        }
    }
}

#[derive(Clone, Copy)]
enum WebPQuality {
    Lossy(f32),
    Lossless,
}

fn encode_webp(pixels: &Pixels, quality: WebPQuality) -> Result<Vec<u8>, MediaError> {
    let layout = if pixels.alpha {
        webp::PixelLayout::Rgba
    } else {
        webp::PixelLayout::Rgb
    };
    let encoder = webp::Encoder::new(&pixels.data, layout, pixels.width, pixels.height);
    // libwebp's defaults otherwise (method 4), as cwebp uses them.
    let (lossless, q) = match quality {
        WebPQuality::Lossy(q) => (false, q),
        WebPQuality::Lossless => (true, 75.0),
    };
    let memory = encoder
        .encode_simple(lossless, q)
        .map_err(|e| MediaError::Encode(format!("WebP: {e:?}")))?;
    Ok(memory.to_vec())
}

/// Encoding of a responsive variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VariantFormat {
    WebP,
    Jpeg,
}

impl VariantFormat {
    /// The MIME type to serve the variant with.
    pub fn mime(&self) -> &'static str {
        match self {
            VariantFormat::WebP => "image/webp",
            VariantFormat::Jpeg => "image/jpeg",
        }
    }

    /// The file extension (without the dot).
    pub fn ext(&self) -> &'static str {
        match self {
            VariantFormat::WebP => "webp",
            VariantFormat::Jpeg => "jpg",
        }
    }
}

/// One responsive rendition of an original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    pub width: u32,
    pub height: u32,
    pub format: VariantFormat,
    pub bytes: Vec<u8>,
}

/// Widths, in CSS pixels, that article pages request through `srcset`.
pub const WIDTHS: [u32; 4] = [320, 640, 1024, 1600];

/// Lossy WebP quality for variants: the size most readers on mobile data download.
const VARIANT_WEBP_QUALITY: f32 = 80.0;
/// Downscaling filter. Each progressive step shrinks by at least 1.5×, where Lanczos3 keeps
/// text in photographed banners and placards crisp.
const RESIZE_FILTER: fr::FilterType = fr::FilterType::Lanczos3;

/// The widths, ascending, that [`variants`] produces for an original `width` pixels wide:
/// every entry of [`WIDTHS`] up to `width` (never upscaled), plus `width` itself when it is
/// narrower than the largest entry and not already listed. A 500 px image gets 320 and 500; a
/// 1024 px image gets 320, 640 and 1024; a 4000 px image gets all four.
pub fn variant_widths(width: u32) -> Vec<u32> {
    let mut widths: Vec<u32> = WIDTHS.iter().copied().filter(|&w| w <= width).collect();
    if width < WIDTHS[WIDTHS.len() - 1] && !widths.contains(&width) {
        widths.push(width);
    }
    widths
}

/// Height of a `width`-wide variant of a `orig_width × orig_height` original, keeping the
/// aspect ratio (rounded to the nearest pixel, at least 1).
pub fn variant_height(orig_width: u32, orig_height: u32, width: u32) -> u32 {
    if orig_width == 0 {
        return 0;
    }
    let (ow, oh, w) = (
        u64::from(orig_width),
        u64::from(orig_height),
        u64::from(width),
    );
    let h = (2 * oh * w + ow) / (2 * ow);
    u32::try_from(h.max(1)).unwrap_or(u32::MAX)
}

/// Every variant for an ingested original: for each width of [`variant_widths`], one lossy WebP
/// and one JPEG (the fallback for browsers without WebP), ordered by width, WebP first. Only
/// `limits.max_decode_bytes` is used; the size limits are the record's own.
///
/// The original is decoded once and resized progressively from the largest variant down, each
/// level from the one above it; the encodings are then shared out, largest first, between up to
/// [`ENCODE_THREADS`] threads.
pub fn variants(original: &Original, limits: &Limits) -> Result<Vec<Variant>, MediaError> {
    let (ow, oh) = (original.width, original.height);
    // The record says how big the image is; the decoder is held to exactly that, and to the
    // same memory budget as an upload.
    let longest = ow.max(oh);
    let limits = Limits {
        max_bytes: usize::MAX,
        max_width: longest,
        max_height: longest,
        max_pixels: u64::from(ow) * u64::from(oh),
        max_decode_bytes: limits.max_decode_bytes,
    };
    let (mut image, orientation) = decode(&original.bytes, original.format, &limits)?;
    // Ingested originals carry no EXIF; this only matters for bytes stored by other means.
    image.apply_orientation(orientation);
    if (image.width(), image.height()) != (ow, oh) {
        return Err(MediaError::Corrupt(format!(
            "the file is {}×{}, the record says {ow}×{oh}",
            image.width(),
            image.height()
        )));
    }
    let mut full = Some(Pixels::from_image(image));

    // Largest first, each level resized from the one above it.
    let widths = variant_widths(ow);
    let mut resizer = fr::Resizer::new();
    let mut levels: Vec<Pixels> = Vec::with_capacity(widths.len());
    for &w in widths.iter().rev() {
        let level = if w == ow {
            // Only ever the first (largest) level, so the full image is still there.
            full.take()
                .ok_or_else(|| MediaError::Encode("full-size level requested twice".into()))?
        } else {
            let src = levels
                .last()
                .or(full.as_ref())
                .ok_or_else(|| MediaError::Encode("no source level to resize".into()))?;
            resize(&mut resizer, src, w, variant_height(ow, oh, w))?
        };
        levels.push(level);
    }
    drop(full);

    // Jobs in falling order of cost, so the big encodes start first and the small ones fill in.
    let jobs: Vec<(usize, VariantFormat)> = (0..levels.len())
        .flat_map(|i| [(i, VariantFormat::WebP), (i, VariantFormat::Jpeg)])
        .collect();
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        while let Some(&(level, format)) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
            let pixels = &levels[level];
            let bytes = match format {
                VariantFormat::WebP => {
                    encode_webp(pixels, WebPQuality::Lossy(VARIANT_WEBP_QUALITY))
                }
                VariantFormat::Jpeg => encode_jpeg(
                    &pixels.rgb(),
                    pixels.width,
                    pixels.height,
                    jpeg_encoder::ColorType::Rgb,
                    VARIANT_JPEG_QUALITY,
                    // 4:2:0: invisible at these sizes and much smaller.
                    jpeg_encoder::SamplingFactor::F_2_2,
                ),
            };
            done.push((level, format, bytes));
        }
        done
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, ENCODE_THREADS);
    let mut done = std::thread::scope(|s| {
        let helpers: Vec<_> = (1..threads).map(|_| s.spawn(work)).collect();
        let mut done = work();
        for helper in helpers {
            done.extend(
                helper
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
        }
        done
    });

    // Narrowest first, WebP before JPEG.
    done.sort_by_key(|&(level, format, _)| (std::cmp::Reverse(level), format));
    done.into_iter()
        .map(|(level, format, bytes)| {
            Ok(Variant {
                width: levels[level].width,
                height: levels[level].height,
                format,
                bytes: bytes?,
            })
        })
        .collect()
}

/// Most threads one [`variants`] call uses for encoding. Two already halve the wait on the
/// newsroom's two-core servers; more would only crowd out concurrent uploads.
pub const ENCODE_THREADS: usize = 2;

fn resize(
    resizer: &mut fr::Resizer,
    src: &Pixels,
    width: u32,
    height: u32,
) -> Result<Pixels, MediaError> {
    let resize_error = |e: &dyn fmt::Display| MediaError::Encode(format!("resize: {e}"));
    let src_view = fr::images::ImageRef::new(src.width, src.height, &src.data, src.pixel_type())
        .map_err(|e| resize_error(&e))?;
    let mut dst = fr::images::Image::new(width, height, src.pixel_type());
    let options = fr::ResizeOptions::new().resize_alg(fr::ResizeAlg::Convolution(RESIZE_FILTER));
    resizer
        .resize(&src_view, &mut dst, &options)
        .map_err(|e| resize_error(&e))?;
    Ok(Pixels {
        width,
        height,
        alpha: src.alpha,
        data: dst.into_vec(),
    })
}

/// Content-hashed file name for a variant: the first 16 hex digits of the SHA-256 of its bytes,
/// its width and its extension, e.g. `3fa9c1d2e4b5a6f7-640.webp`. The same bytes always get the
/// same name, so variants can be served with an immutable cache lifetime.
pub fn variant_name(v: &Variant) -> String {
    let digest = hex::encode(Sha256::digest(&v.bytes));
    format!("{}-{}.{}", &digest[..16], v.width, v.format.ext())
}
