//! The card's photo and logo: limits read from the header before decoding, decoding under
//! `image::Limits`, the crop around the focal point, and the resize into their boxes.

use std::io::Cursor;

use fast_image_resize as fr;
use image::{ImageFormat, ImageReader};
use tiny_skia::{IntSize, Pixmap, PixmapPaint, Transform};

use crate::CardError;

/// A photo's file size limit (the newsroom's upload limit).
pub const MAX_PHOTO_BYTES: usize = 20 * 1024 * 1024;
/// A photo's pixel limit: 40 megapixels, more than any phone or newsroom camera makes.
pub const MAX_PHOTO_PIXELS: u64 = 40_000_000;
/// A logo's file size limit.
pub const MAX_LOGO_BYTES: usize = 2 * 1024 * 1024;
/// A logo's pixel limit.
pub const MAX_LOGO_PIXELS: u64 = 4_000_000;

/// Pixels decoded, RGB or RGBA.
struct Decoded {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
    alpha: bool,
}

enum Which {
    Photo,
    Logo,
}

impl Which {
    fn unreadable(&self, why: String) -> CardError {
        match self {
            Which::Photo => CardError::PhotoUnreadable(why),
            Which::Logo => CardError::LogoUnreadable(why),
        }
    }

    fn too_large(&self, found: String, limit: String) -> CardError {
        match self {
            Which::Photo => CardError::PhotoTooLarge { found, limit },
            Which::Logo => CardError::LogoTooLarge { found, limit },
        }
    }
}

fn megabytes(bytes: usize) -> String {
    format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
}

/// The photo's limits, from its size and header alone.
pub(crate) fn check_photo(bytes: &[u8]) -> Result<(), CardError> {
    probe(bytes, &Which::Photo, MAX_PHOTO_BYTES, MAX_PHOTO_PIXELS).map(drop)
}

/// The logo's limits, from its size and header alone.
pub(crate) fn check_logo(bytes: &[u8]) -> Result<(), CardError> {
    probe(bytes, &Which::Logo, MAX_LOGO_BYTES, MAX_LOGO_PIXELS).map(drop)
}

/// The image's format, width and height from its header, refused over the limits or not a
/// JPEG, PNG or WebP.
fn probe(
    bytes: &[u8],
    which: &Which,
    max_bytes: usize,
    max_pixels: u64,
) -> Result<(ImageFormat, u32, u32), CardError> {
    if bytes.len() > max_bytes {
        return Err(which.too_large(megabytes(bytes.len()), megabytes(max_bytes)));
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| which.unreadable(e.to_string()))?;
    let format = match reader.format() {
        Some(f @ (ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP)) => f,
        _ => return Err(which.unreadable("it is not a JPEG, PNG or WebP image".to_owned())),
    };
    let (width, height) = reader
        .into_dimensions()
        .map_err(|e| which.unreadable(e.to_string()))?;
    let pixels = u64::from(width) * u64::from(height);
    if pixels > max_pixels {
        return Err(which.too_large(
            format!(
                "{width}×{height} pixels ({:.1} megapixels)",
                pixels as f64 / 1e6
            ),
            format!("{} megapixels", max_pixels / 1_000_000),
        ));
    }
    if width == 0 || height == 0 {
        return Err(which.unreadable("it has no pixels".to_owned()));
    }
    Ok((format, width, height))
}

/// Reads the header, refuses what is over the limits, then decodes with `image::Limits` set to
/// the same bounds, so a file whose header lies cannot make the decoder allocate more.
fn decode(
    bytes: &[u8],
    which: Which,
    max_bytes: usize,
    max_pixels: u64,
    keep_alpha: bool,
    need: Option<(u32, u32)>,
) -> Result<Decoded, CardError> {
    let (format, width, height) = probe(bytes, &which, max_bytes, max_pixels)?;
    if let (ImageFormat::Jpeg, Some((need_w, need_h))) = (format, need) {
        if let Some(decoded) = decode_jpeg_scaled(bytes, width, height, need_w, need_h)? {
            return Ok(decoded);
        }
    }
    let pixels = u64::from(width) * u64::from(height);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    // The decoded frame at 4 bytes a pixel and as much again for the decoder's own buffers.
    limits.max_alloc = Some(pixels * 8 + (1 << 20));
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| which.unreadable(e.to_string()))?;
    reader.limits(limits);
    let image = reader
        .decode()
        .map_err(|e| which.unreadable(e.to_string()))?;
    let alpha = keep_alpha && image.color().has_alpha();
    let pixels = if alpha {
        image.into_rgba8().into_raw()
    } else {
        image.into_rgb8().into_raw()
    };
    Ok(Decoded {
        width,
        height,
        pixels,
        alpha,
    })
}

/// Decodes a JPEG at the smallest DCT scale (1/8, 1/4, 1/2 or 1) that still gives at least
/// `need_w`×`need_h` pixels, when that is smaller than the whole; `None` to decode as usual
/// (full size needed, or a pixel format other than RGB or grey).
fn decode_jpeg_scaled(
    bytes: &[u8],
    width: u32,
    height: u32,
    need_w: u32,
    need_h: u32,
) -> Result<Option<Decoded>, CardError> {
    let (Ok(need_w), Ok(need_h)) = (u16::try_from(need_w), u16::try_from(need_h)) else {
        return Ok(None);
    };
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    let unreadable = |e: jpeg_decoder::Error| CardError::PhotoUnreadable(e.to_string());
    decoder.read_info().map_err(unreadable)?;
    let format = decoder.info().map(|i| i.pixel_format);
    if !matches!(
        format,
        Some(jpeg_decoder::PixelFormat::RGB24 | jpeg_decoder::PixelFormat::L8)
    ) {
        return Ok(None);
    }
    let (w, h) = decoder
        .scale(need_w.max(1), need_h.max(1))
        .map_err(unreadable)?;
    let (w, h) = (u32::from(w), u32::from(h));
    if w >= width || w == 0 || h == 0 {
        return Ok(None);
    }
    // Full-size RGB at most, whatever the file says.
    decoder.set_max_decoding_buffer_size((width as usize) * (height as usize) * 3);
    let raw = decoder.decode().map_err(unreadable)?;
    let pixels = match format {
        Some(jpeg_decoder::PixelFormat::L8) => raw.iter().flat_map(|&l| [l, l, l]).collect(),
        _ => raw,
    };
    if pixels.len() != (w * h * 3) as usize {
        return Err(CardError::PhotoUnreadable(
            "its pixels do not match its size".to_owned(),
        ));
    }
    Ok(Some(Decoded {
        width: w,
        height: h,
        pixels,
        alpha: false,
    }))
}

/// The decoded size a `sw`×`sh` image needs so that its crop for a `bw`×`bh` box is at
/// least the box's size.
fn needed_size(sw: u32, sh: u32, bw: u32, bh: u32) -> (u32, u32) {
    let scale = (f64::from(bw) / f64::from(sw)).max(f64::from(bh) / f64::from(sh));
    (
        ((f64::from(sw) * scale).ceil() as u32).min(sw),
        ((f64::from(sh) * scale).ceil() as u32).min(sh),
    )
}

/// The part of a `sw`×`sh` image that fills a `bw`×`bh` box at the same aspect ratio, as large
/// as it can be, centred on the focal point (0..1 each way) as far as the edges allow.
pub(crate) fn focal_crop(
    sw: u32,
    sh: u32,
    bw: u32,
    bh: u32,
    focal_x: f32,
    focal_y: f32,
) -> (f64, f64, f64, f64) {
    let (sw, sh, bw, bh) = (f64::from(sw), f64::from(sh), f64::from(bw), f64::from(bh));
    let scale = (bw / sw).max(bh / sh);
    let (cw, ch) = ((bw / scale).min(sw), (bh / scale).min(sh));
    let fx = f64::from(if focal_x.is_finite() { focal_x } else { 0.5 }).clamp(0.0, 1.0);
    let fy = f64::from(if focal_y.is_finite() { focal_y } else { 0.5 }).clamp(0.0, 1.0);
    let left = (fx * sw - cw / 2.0).clamp(0.0, sw - cw);
    let top = (fy * sh - ch / 2.0).clamp(0.0, sh - ch);
    (left, top, cw, ch)
}

fn resize(
    src: &Decoded,
    crop: (f64, f64, f64, f64),
    width: u32,
    height: u32,
) -> Result<Vec<u8>, String> {
    let kind = if src.alpha {
        fr::PixelType::U8x4
    } else {
        fr::PixelType::U8x3
    };
    let view = fr::images::ImageRef::new(src.width, src.height, &src.pixels, kind)
        .map_err(|e| e.to_string())?;
    let mut dst = fr::images::Image::new(width, height, kind);
    let options = fr::ResizeOptions::new()
        .resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::CatmullRom))
        .crop(crop.0, crop.1, crop.2, crop.3);
    fr::Resizer::new()
        .resize(&view, &mut dst, &options)
        .map_err(|e| e.to_string())?;
    Ok(dst.into_vec())
}

/// Decodes the photo and fills the `width`×`height` box at (`x`, `y`) with it, cropped around
/// the focal point.
#[allow(clippy::too_many_arguments)]
pub(crate) fn draw_photo(
    canvas: &mut Pixmap,
    bytes: &[u8],
    focal_x: f32,
    focal_y: f32,
    x: u32,
    y: u32,
    width: u32,
    height: u32,
) -> Result<(), CardError> {
    let (_, sw, sh) = probe(bytes, &Which::Photo, MAX_PHOTO_BYTES, MAX_PHOTO_PIXELS)?;
    let need = needed_size(sw, sh, width, height);
    let photo = decode(
        bytes,
        Which::Photo,
        MAX_PHOTO_BYTES,
        MAX_PHOTO_PIXELS,
        false,
        Some(need),
    )?;
    let crop = focal_crop(photo.width, photo.height, width, height, focal_x, focal_y);
    let rgb = resize(&photo, crop, width, height).map_err(CardError::PhotoUnreadable)?;
    drop(photo);
    let stride = canvas.width() as usize * 4;
    let data = canvas.data_mut();
    for row in 0..height as usize {
        let at = (y as usize + row) * stride + x as usize * 4;
        let line = &rgb[row * width as usize * 3..(row + 1) * width as usize * 3];
        for (dst, src) in data[at..at + width as usize * 4]
            .chunks_exact_mut(4)
            .zip(line.chunks_exact(3))
        {
            dst.copy_from_slice(&[src[0], src[1], src[2], 255]);
        }
    }
    Ok(())
}

/// Decodes the logo and draws it as large as fits `max_width`×`height`, its left edge at `x`
/// and vertically centred on the box at `y`; returns the drawn width.
pub(crate) fn draw_logo(
    canvas: &mut Pixmap,
    bytes: &[u8],
    x: u32,
    y: u32,
    max_width: u32,
    height: u32,
) -> Result<u32, CardError> {
    let logo = decode(
        bytes,
        Which::Logo,
        MAX_LOGO_BYTES,
        MAX_LOGO_PIXELS,
        true,
        None,
    )?;
    let scale = (f64::from(max_width) / f64::from(logo.width))
        .min(f64::from(height) / f64::from(logo.height));
    let w = ((f64::from(logo.width) * scale).round() as u32).max(1);
    let h = ((f64::from(logo.height) * scale).round() as u32).max(1);
    let crop = (0.0, 0.0, f64::from(logo.width), f64::from(logo.height));
    let pixels = resize(&logo, crop, w, h).map_err(CardError::LogoUnreadable)?;
    // tiny-skia wants premultiplied RGBA.
    let rgba: Vec<u8> = if logo.alpha {
        pixels
            .chunks_exact(4)
            .flat_map(|p| {
                let a = u16::from(p[3]);
                let m = |c: u8| ((u16::from(c) * a + 127) / 255) as u8;
                [m(p[0]), m(p[1]), m(p[2]), p[3]]
            })
            .collect()
    } else {
        pixels
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect()
    };
    let size = IntSize::from_wh(w, h)
        .ok_or_else(|| CardError::LogoUnreadable("it has no pixels".to_owned()))?;
    let pixmap = Pixmap::from_vec(rgba, size)
        .ok_or_else(|| CardError::LogoUnreadable("it has no pixels".to_owned()))?;
    let top = y + (height - h) / 2;
    canvas.draw_pixmap(
        x as i32,
        top as i32,
        pixmap.as_ref(),
        &PixmapPaint::default(),
        Transform::identity(),
        None,
    );
    Ok(w)
}

#[cfg(test)]
mod tests {
    use super::{focal_crop, needed_size};

    #[test]
    fn a_large_jpeg_is_decoded_at_the_smallest_scale_that_covers_the_need() {
        let img = image::RgbImage::from_fn(3200, 2400, |x, y| {
            image::Rgb([(x / 13) as u8, (y / 10) as u8, 90])
        });
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
            .encode_image(&img)
            .expect("encode");
        let (w, h) = needed_size(3200, 2400, 1080, 560);
        let d = super::decode_jpeg_scaled(&jpeg, 3200, 2400, w, h)
            .expect("decode")
            .expect("scaled");
        assert_eq!(
            (d.width, d.height),
            (1600, 1200),
            "half scale covers 1080×810"
        );
        assert_eq!(d.pixels.len(), 1600 * 1200 * 3);
        // A quarter (800×600) would not cover 840×630.
        let (w, h) = needed_size(3200, 2400, 500, 630);
        let d = super::decode_jpeg_scaled(&jpeg, 3200, 2400, w, h)
            .expect("decode")
            .expect("scaled");
        assert_eq!((d.width, d.height), (1600, 1200));
        let (w, h) = needed_size(3200, 2400, 400, 300);
        let d = super::decode_jpeg_scaled(&jpeg, 3200, 2400, w, h)
            .expect("decode")
            .expect("scaled");
        assert_eq!((d.width, d.height), (400, 300), "an eighth");
        // Nothing smaller covers it: decoded whole, the usual way.
        assert!(super::decode_jpeg_scaled(&jpeg, 3200, 2400, 3000, 2000)
            .expect("decode")
            .is_none());
    }

    #[test]
    fn the_needed_size_covers_the_box() {
        // 4000×3000 into 1080×560: the width decides, 1080×810.
        assert_eq!(needed_size(4000, 3000, 1080, 560), (1080, 810));
        // Into a tall 500×630 box: the height decides.
        assert_eq!(needed_size(4000, 3000, 500, 630), (840, 630));
        // Never more than the image.
        assert_eq!(needed_size(800, 600, 1080, 560), (800, 600));
    }

    #[test]
    fn the_crop_centres_on_the_focal_point_within_the_edges() {
        // A 4000×3000 photo into a 1000×500 box: the crop is 4000×2000, full width.
        let (l, t, w, h) = focal_crop(4000, 3000, 1000, 500, 0.5, 0.2);
        assert_eq!((l, w, h), (0.0, 4000.0, 2000.0));
        assert_eq!(t, 0.0, "a focal point near the top clamps to the top edge");
        let (_, t, _, _) = focal_crop(4000, 3000, 1000, 500, 0.5, 0.5);
        assert_eq!(t, 500.0);
        // A tall box takes a narrow crop around x.
        let (l, _, w, _) = focal_crop(4000, 3000, 500, 1000, 0.75, 0.5);
        assert_eq!(w, 1500.0);
        assert_eq!(l, 3000.0 - 750.0);
        let (l, _, _, _) = focal_crop(4000, 3000, 500, 1000, 1.0, 0.5);
        assert_eq!(l, 2500.0);
    }
}
