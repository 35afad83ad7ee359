//! Whole cards: every layout renders the hard headlines, the QR reads back as the card's URL,
//! bad text, oversized inputs and text that cannot fit are refused with their own errors.

mod common;

use card::{check_text, render, shape_for_test, CardError, CardSpec, Layout};
use common::{photo_png, spec, HARD_HEADLINES, URL};

fn decode_rgb(png: &[u8]) -> image::RgbImage {
    image::load_from_memory_with_format(png, image::ImageFormat::Png)
        .expect("the card is a PNG")
        .into_rgb8()
}

/// Reads every QR code in the image: (content, pixels per module).
fn read_qr(img: &image::RgbImage) -> Vec<(String, f64)> {
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        img.width() as usize,
        img.height() as usize,
        |x, y| {
            let p = img.get_pixel(x as u32, y as u32);
            ((u32::from(p[0]) * 3 + u32::from(p[1]) * 6 + u32::from(p[2])) / 10) as u8
        },
    );
    prepared
        .detect_grids()
        .into_iter()
        .map(|grid| {
            let (_, content) = grid.decode().expect("the QR code decodes");
            let b = grid.bounds;
            let side = f64::from(b[1].x - b[0].x).hypot(f64::from(b[1].y - b[0].y));
            (content, side / rqrr::BitGrid::size(&grid.grid) as f64)
        })
        .collect()
}

#[test]
fn the_qr_code_reads_back_as_the_upper_cased_url_in_every_layout() {
    let photo = photo_png(1200, 900);
    for layout in Layout::ALL {
        for with_photo in [true, false] {
            let s = spec(layout, HARD_HEADLINES[1], with_photo.then_some(&photo[..]));
            let card = render(&s).expect("render");
            let img = decode_rgb(&card.png);
            assert_eq!((img.width(), img.height()), layout.size());
            assert_eq!((card.width, card.height), layout.size());
            let codes = read_qr(&img);
            assert_eq!(codes.len(), 1, "{layout:?}: one QR code on the card");
            let (content, module) = &codes[0];
            assert_eq!(content, &URL.to_uppercase(), "{layout:?}");
            assert!(content.eq_ignore_ascii_case(URL));
            assert!(
                *module >= 3.0,
                "{layout:?}: {module:.1} px a module is too small to scan"
            );
        }
    }
}

#[test]
fn a_long_link_still_reads_back() {
    let url = "https://khobor.example/c/K7QM2XPA/2026/12/06/a-longer-path-for-the-card";
    let mut s = spec(Layout::OpenGraph, HARD_HEADLINES[0], None);
    s.qr_url = url;
    let codes = read_qr(&decode_rgb(&render(&s).expect("render").png));
    assert_eq!(codes[0].0, url.to_uppercase());
    assert!(codes[0].1 >= 3.0);
}

#[test]
fn the_hard_headlines_render_without_a_missing_glyph() {
    let photo = photo_png(800, 600);
    for headline in HARD_HEADLINES {
        check_text(headline).expect("a hard headline is drawable");
        for bold in [false, true] {
            let glyphs = shape_for_test(headline, bold);
            assert!(!glyphs.is_empty());
            assert!(
                glyphs.iter().all(|g| g.glyph_id != 0),
                "{headline}: .notdef in {glyphs:?}"
            );
        }
        for layout in Layout::ALL {
            render(&spec(layout, headline, Some(&photo))).expect("render");
        }
    }
}

#[test]
fn a_stray_vowel_sign_is_refused_naming_its_word() {
    match check_text("আজ ািকছু হবে") {
        Err(CardError::MissingGlyph { word }) => assert_eq!(word, "ািকছু"),
        other => panic!("expected MissingGlyph, got {other:?}"),
    }
    let broken = spec(Layout::Square, "নির্বাচন নিয়ে ািকছু বলেনি কমিশন", None);
    match render(&broken) {
        Err(CardError::MissingGlyph { word }) => assert_eq!(word, "ািকছু"),
        other => panic!("expected MissingGlyph, got {other:?}"),
    }
}

#[test]
fn a_character_the_fonts_lack_is_refused_naming_its_word() {
    match check_text("খবর 中国 থেকে") {
        Err(CardError::MissingGlyph { word }) => assert_eq!(word, "中国"),
        other => panic!("expected MissingGlyph, got {other:?}"),
    }
    let mut s = spec(Layout::Portrait, HARD_HEADLINES[0], None);
    s.section = "রাজনীতি 🗳";
    assert!(matches!(
        render(&s),
        Err(CardError::MissingGlyph { word }) if word == "🗳"
    ));
}

#[test]
fn good_text_passes_the_check() {
    for text in [
        "BNP-র নেতা",
        "উদ্‌যাপন",
        "র‍্যাব",
        "khobor.example",
        "K7QM2XPA",
        "৳৫০০",
    ] {
        check_text(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    }
}

#[test]
fn a_thousand_character_headline_is_refused_with_the_limit() {
    let long = "ক".repeat(1000);
    let err = render(&spec(Layout::Portrait, &long, None)).unwrap_err();
    assert!(matches!(
        err,
        CardError::TextTooLong {
            field: "headline",
            chars: 1000,
            max: 300
        }
    ));
    assert_eq!(
        err.to_string(),
        "The headline is 1000 characters long; a card takes at most 300."
    );
}

#[test]
fn one_word_wider_than_the_card_does_not_fit() {
    let word = "ক".repeat(80);
    assert!(matches!(
        render(&spec(Layout::OpenGraph, &word, None)),
        Err(CardError::DoesNotFit)
    ));
}

#[test]
fn the_longest_headline_allowed_fits_every_layout() {
    let mut text = String::new();
    for word in "এক দুই তিন চার পাঁচ ছয় সাত আট নয় দশ".split(' ').cycle()
    {
        if text.chars().count() + 1 + word.chars().count() > card::MAX_TEXT_CHARS {
            break;
        }
        text.push_str(word);
        text.push(' ');
    }
    let text = text.trim();
    assert!(text.chars().count() > 290);
    let photo = photo_png(400, 300);
    for layout in Layout::ALL {
        let card =
            render(&spec(layout, text, Some(&photo))).unwrap_or_else(|e| panic!("{layout:?}: {e}"));
        if layout == Layout::OpenGraph {
            std::fs::write(
                std::env::temp_dir().join("khobor-card-longest-og.png"),
                &card.png,
            )
            .ok();
        }
    }
}

/// `n` characters of `sample` repeated, cut at a character boundary.
fn chars(sample: &str, n: usize) -> String {
    sample
        .chars()
        .cycle()
        .take(n)
        .collect::<String>()
        .trim()
        .to_owned()
        + "ক"
}

#[test]
fn the_longest_fields_allowed_fit_every_layout() {
    let site = chars("দৈনিক সমকালীন বাংলাদেশ বার্তা ", 59);
    let section = chars("আন্তর্জাতিক বাণিজ্য ও অর্থনীতি ", 39);
    let speaker = chars("মাননীয় স্বরাষ্ট্রমন্ত্রী আসাদুজ্জামান খান ", 79);
    let date = chars("৬ ডিসেম্বর ২০২৬ · ২১ অগ্রহায়ণ ১৪৩৩ · শনিবার · সকাল ১০টা ", 99);
    let address: String = "www.dainik-samakalin-bangladesh-barta.example.com.bd/news/cards/"
        .chars()
        .cycle()
        .take(64)
        .collect();
    let photo = photo_png(400, 300);
    for layout in Layout::ALL {
        let mut s = spec(layout, HARD_HEADLINES[3], Some(&photo));
        s.site_name = &site;
        s.section = &section;
        s.speaker = Some(&speaker);
        s.date_line = &date;
        s.site_address = &address;
        let card = render(&s).unwrap_or_else(|e| panic!("{layout:?}: {e}"));
        let name = format!(
            "khobor-card-longest-fields-{}.png",
            layout.as_str().replace(':', "x")
        );
        std::fs::write(std::env::temp_dir().join(name), &card.png).ok();
    }
}

/// A PNG that declares `width`×`height` and carries no pixels: a decompression bomb's header.
fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    let mut writer = encoder.write_header().expect("header");
    // The first IDAT ends the header as decoders read it; its few bytes are nowhere near the
    // declared pixels.
    writer
        .write_chunk(png::chunk::IDAT, &[0x78, 0x9c, 0x03, 0x00])
        .expect("chunk");
    drop(writer);
    out
}

#[test]
fn a_photo_over_forty_megapixels_is_refused_from_its_header() {
    let bomb = png_header(8000, 6000);
    assert!(
        bomb.len() < 200,
        "the file is tiny; only the header is large"
    );
    let err = render(&spec(Layout::Square, HARD_HEADLINES[0], Some(&bomb))).unwrap_err();
    assert!(matches!(err, CardError::PhotoTooLarge { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "The photo is too large: 8000×6000 pixels (48.0 megapixels); a card takes at most 40 megapixels."
    );
}

#[test]
fn a_photo_file_over_twenty_megabytes_is_refused() {
    let big = vec![0u8; card::MAX_PHOTO_BYTES + 1];
    let err = render(&spec(Layout::Square, HARD_HEADLINES[0], Some(&big))).unwrap_err();
    assert!(matches!(err, CardError::PhotoTooLarge { .. }), "{err:?}");
    assert!(err.to_string().contains("at most 20.0 MB"), "{err}");
}

#[test]
fn a_photo_that_is_not_an_image_is_unreadable() {
    let err = render(&spec(
        Layout::Square,
        HARD_HEADLINES[0],
        Some(b"%PDF-1.7 not a photo"),
    ))
    .unwrap_err();
    assert!(matches!(err, CardError::PhotoUnreadable(_)), "{err:?}");
    // A PNG header promising pixels that are not there.
    let truncated = png_header(640, 480);
    let err = render(&spec(Layout::Square, HARD_HEADLINES[0], Some(&truncated))).unwrap_err();
    assert!(matches!(err, CardError::PhotoUnreadable(_)), "{err:?}");
}

#[test]
fn a_bad_code_and_a_long_link_are_refused() {
    let mut s = spec(Layout::Square, HARD_HEADLINES[0], None);
    s.code = "k7qm2xpa";
    assert!(matches!(render(&s), Err(CardError::InvalidCode { .. })));
    s.code = "K7QM2XP1";
    assert!(matches!(render(&s), Err(CardError::InvalidCode { .. })));
    let mut s = spec(Layout::Square, HARD_HEADLINES[0], None);
    let long = format!("https://khobor.example/{}", "a".repeat(200));
    s.qr_url = &long;
    assert!(matches!(render(&s), Err(CardError::LinkTooLong { .. })));
}

#[test]
fn a_quote_with_its_speaker_renders_in_every_layout() {
    let photo = photo_png(900, 1200);
    for layout in Layout::ALL {
        let mut s = spec(
            layout,
            "গণতন্ত্র মানে কেবল ভোট নয়, প্রতিদিনের জবাবদিহি",
            Some(&photo),
        );
        s.speaker = Some("প্রধান নির্বাচন কমিশনার");
        let card = render(&s).expect("render");
        assert_eq!(read_qr(&decode_rgb(&card.png))[0].0, URL.to_uppercase());
    }
}

#[test]
fn a_logo_replaces_the_site_name() {
    // A green logo with a transparent border.
    let logo = image::RgbaImage::from_fn(300, 100, |x, y| {
        if (10..290).contains(&x) && (10..90).contains(&y) {
            image::Rgba([0, 160, 60, 255])
        } else {
            image::Rgba([0, 0, 0, 0])
        }
    });
    let mut bytes = Vec::new();
    logo.write_to(
        &mut std::io::Cursor::new(&mut bytes),
        image::ImageFormat::Png,
    )
    .expect("encode logo");
    let mut s: CardSpec = spec(Layout::Portrait, HARD_HEADLINES[2], None);
    s.logo = Some(&bytes);
    let img = decode_rgb(&render(&s).expect("render").png);
    // The logo is scaled into the masthead band (120 px tall, 20 px padding) at the margin.
    let p = img.get_pixel(60 + 100, 60);
    assert_eq!(p.0, [0, 160, 60], "the logo's colour in the masthead");
    s.logo = Some(b"not a logo");
    assert!(matches!(render(&s), Err(CardError::LogoUnreadable(_))));
}

#[test]
fn layouts_parse_from_their_names() {
    for layout in Layout::ALL {
        assert_eq!(Layout::parse(layout.as_str()), Some(layout));
    }
    assert_eq!(Layout::parse("4:5").map(Layout::size), Some((1080, 1350)));
    assert_eq!(Layout::parse("1:1").map(Layout::size), Some((1080, 1080)));
    assert_eq!(Layout::parse("og").map(Layout::size), Some((1200, 630)));
    assert_eq!(Layout::parse("16:9"), None);
}

#[test]
fn the_card_takes_its_colours() {
    let mut s = spec(Layout::Square, HARD_HEADLINES[4], None);
    s.colors = card::Colors {
        background: [250, 245, 230],
        accent: [0, 90, 160],
        text: [30, 30, 30],
    };
    let img = decode_rgb(&render(&s).expect("render").png);
    assert_eq!(img.get_pixel(1070, 50).0, [0, 90, 160], "masthead band");
    assert_eq!(img.get_pixel(1070, 860).0, [250, 245, 230], "background");
}

fn mean_difference(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let sum: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    sum as f64 / a.as_raw().len() as f64 / 255.0
}

/// A large JPEG is decoded at a reduced DCT scale; the card must show the same picture, crop and
/// all, as from the same photo decoded whole (here from a lossless PNG).
#[test]
fn a_large_jpeg_decoded_at_a_smaller_scale_shows_the_same_picture() {
    let png = photo_png(3200, 2400);
    let pixels = image::load_from_memory(&png).expect("decode").into_rgb8();
    let grey = image::DynamicImage::ImageRgb8(pixels.clone()).into_luma8();
    let encode = |img: &dyn Fn(&mut Vec<u8>)| {
        let mut out = Vec::new();
        img(&mut out);
        out
    };
    let jpeg = encode(&|out| {
        image::codecs::jpeg::JpegEncoder::new_with_quality(out, 95)
            .encode_image(&pixels)
            .expect("encode");
    });
    let grey_jpeg = encode(&|out| {
        image::codecs::jpeg::JpegEncoder::new_with_quality(out, 95)
            .encode_image(&grey)
            .expect("encode");
    });
    let grey_png = encode(&|out| {
        grey.write_to(&mut std::io::Cursor::new(out), image::ImageFormat::Png)
            .expect("encode");
    });
    for layout in Layout::ALL {
        for (whole, scaled) in [(&png, &jpeg), (&grey_png, &grey_jpeg)] {
            let a = decode_rgb(
                &render(&spec(layout, HARD_HEADLINES[0], Some(whole)))
                    .expect("render")
                    .png,
            );
            let b = decode_rgb(
                &render(&spec(layout, HARD_HEADLINES[0], Some(scaled)))
                    .expect("render")
                    .png,
            );
            let d = mean_difference(&a, &b);
            assert!(d < 0.01, "{layout:?}: mean difference {:.3}%", d * 100.0);
        }
        // And not the same as another crop of it.
        let mut other = spec(layout, HARD_HEADLINES[0], Some(&jpeg));
        other.photo = other.photo.map(|p| card::Photo {
            focal_x: 0.9,
            focal_y: 0.9,
            ..p
        });
        let a = decode_rgb(
            &render(&spec(layout, HARD_HEADLINES[0], Some(&png)))
                .expect("render")
                .png,
        );
        let c = decode_rgb(&render(&other).expect("render").png);
        assert!(
            mean_difference(&a, &c) > 0.01,
            "{layout:?}: the focal point moved nothing"
        );
    }
}

/// Renders on several threads at once (the app's CPU pool) give the very same bytes as one
/// render alone: each thread shapes with an engine of its own over the same fonts.
#[test]
fn concurrent_renders_are_identical() {
    let photo = photo_png(800, 600);
    let alone = render(&spec(Layout::Portrait, HARD_HEADLINES[1], Some(&photo)))
        .expect("render")
        .png;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    render(&spec(Layout::Portrait, HARD_HEADLINES[1], Some(&photo)))
                        .expect("render")
                        .png
                })
            })
            .collect();
        for handle in handles {
            assert!(handle.join().expect("thread") == alone, "a different card");
        }
    });
}
