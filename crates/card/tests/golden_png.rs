//! Golden cards: the five hard headlines in the three layouts, compared with the PNGs in
//! tests/golden/ within a tolerance (glyph rasterising and resizing may differ by a level here
//! and there between CPUs and library versions; a moved line, a lost glyph or a changed layout
//! does not pass). `KHOBOR_CARD_BLESS=1 cargo test -p khobor-card --test golden_png` rewrites
//! them; look at the diff before committing.

mod common;

use std::path::{Path, PathBuf};

use card::{render, Layout};
use common::{photo_png, spec, HARD_HEADLINES};

/// Mean absolute difference over every channel of every pixel, as a fraction of 255.
const MAX_MEAN_DIFF: f64 = 0.01;
/// Pixels any channel of which differs by more than `BIG_DIFF`, as a fraction of all pixels.
const MAX_BIG_DIFF_PIXELS: f64 = 0.005;
const BIG_DIFF: u8 = 32;

fn golden_path(layout: Layout, n: usize) -> PathBuf {
    let name = match layout {
        Layout::Portrait => "portrait",
        Layout::Square => "square",
        Layout::OpenGraph => "og",
    };
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("card-{name}-{}.png", n + 1))
}

fn rgb(png: &[u8]) -> image::RgbImage {
    image::load_from_memory_with_format(png, image::ImageFormat::Png)
        .expect("a PNG")
        .into_rgb8()
}

/// (mean difference, share of pixels differing by more than `BIG_DIFF`).
fn difference(a: &image::RgbImage, b: &image::RgbImage) -> (f64, f64) {
    assert_eq!(a.dimensions(), b.dimensions());
    let mut sum = 0u64;
    let mut big = 0u64;
    for (p, q) in a.pixels().zip(b.pixels()) {
        let mut worst = 0u8;
        for k in 0..3 {
            let d = p[k].abs_diff(q[k]);
            sum += u64::from(d);
            worst = worst.max(d);
        }
        if worst > BIG_DIFF {
            big += 1;
        }
    }
    let pixels = u64::from(a.width()) * u64::from(a.height());
    (
        sum as f64 / (pixels * 3) as f64 / 255.0,
        big as f64 / pixels as f64,
    )
}

/// Goldens are stored recompressed at the PNG encoder's best level: the card's own fast
/// encoding is for serving, this keeps the repository small; the test compares pixels.
fn store(path: &Path, img: &image::RgbImage) {
    let file = std::fs::File::create(path).expect("write golden");
    let encoder = image::codecs::png::PngEncoder::new_with_quality(
        file,
        image::codecs::png::CompressionType::Best,
        image::codecs::png::FilterType::Adaptive,
    );
    img.write_with_encoder(encoder).expect("encode golden");
}

#[test]
fn cards_match_their_goldens() {
    let bless = std::env::var_os("KHOBOR_CARD_BLESS").is_some_and(|v| v == "1");
    let photo = photo_png(1200, 900);
    let mut failures = Vec::new();
    for (n, headline) in HARD_HEADLINES.iter().enumerate() {
        for layout in Layout::ALL {
            let card = render(&spec(layout, headline, Some(&photo))).expect("render");
            let now = rgb(&card.png);
            let path = golden_path(layout, n);
            if bless {
                store(&path, &now);
                continue;
            }
            let bytes = std::fs::read(&path).unwrap_or_else(|e| {
                panic!("{}: {e} (KHOBOR_CARD_BLESS=1 makes it)", path.display())
            });
            let (mean, big) = difference(&now, &rgb(&bytes));
            if mean >= MAX_MEAN_DIFF || big >= MAX_BIG_DIFF_PIXELS {
                let seen = std::env::temp_dir().join(path.file_name().expect("name"));
                store(&seen, &now);
                failures.push(format!(
                    "{}: mean difference {:.3}%, {:.3}% of pixels off by more than {BIG_DIFF} \
                     (limits {}% and {}%); this render is at {}",
                    path.display(),
                    mean * 100.0,
                    big * 100.0,
                    MAX_MEAN_DIFF * 100.0,
                    MAX_BIG_DIFF_PIXELS * 100.0,
                    seen.display()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The tolerance is not so loose that another headline on the same card passes.
#[test]
fn another_headline_fails_the_comparison() {
    let photo = photo_png(1200, 900);
    let a = rgb(
        &render(&spec(Layout::Square, HARD_HEADLINES[0], Some(&photo)))
            .expect("render")
            .png,
    );
    let b = rgb(
        &render(&spec(Layout::Square, HARD_HEADLINES[4], Some(&photo)))
            .expect("render")
            .png,
    );
    let (mean, big) = difference(&a, &b);
    assert!(
        mean >= MAX_MEAN_DIFF || big >= MAX_BIG_DIFF_PIXELS,
        "another headline passed as the same card: {mean} {big}"
    );
    assert_eq!(difference(&a, &a), (0.0, 0.0));
}
