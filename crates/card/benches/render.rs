//! Times a photocard from spec to PNG in each layout with a hard headline: with a photo
//! (decoded, cropped and resized each time) as the media library's largest variant (1600 px
//! wide JPEG) and as a camera original (4000×3000), then without a photo.
//! Run with `cargo bench -p khobor-card`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use card::{render, CardSpec, Colors, Layout, Photo};

const RUNS: usize = 20;

/// A photograph-like frame: lighting gradients, soft discs and per-pixel noise from a fixed
/// LCG, so the decoder and the PNG encoder face realistic entropy.
fn photo(width: u32, height: u32) -> Vec<u8> {
    let mut state: u64 = 0x4b48_4f42_4f52;
    let mut noise = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) % 25) as i32 - 12
    };
    let blobs = [
        (0.30f32, 0.40f32, 0.18f32, [200i32, 150, 120]),
        (0.70, 0.55, 0.22, [60, 110, 170]),
        (0.50, 0.80, 0.12, [90, 160, 70]),
    ];
    let mut px = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height {
        let fy = y as f32 / height as f32;
        for x in 0..width {
            let fx = x as f32 / width as f32;
            let mut c = [
                (40.0 + 150.0 * fx) as i32,
                (70.0 + 120.0 * fy) as i32,
                (180.0 - 110.0 * fx * fy) as i32,
            ];
            for (bx, by, r, colour) in blobs {
                let d = ((fx - bx).powi(2) + (fy - by).powi(2)).sqrt();
                if d < r {
                    let t = 1.0 - d / r;
                    for k in 0..3 {
                        c[k] = (c[k] as f32 * (1.0 - t) + colour[k] as f32 * t) as i32;
                    }
                }
            }
            for v in c {
                px.push((v + noise()).clamp(0, 255) as u8);
            }
        }
    }
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 88)
        .encode(&px, width, height, image::ExtendedColorType::Rgb8)
        .expect("encode the test photo");
    jpeg
}

fn stats(label: &str, mut times: Vec<Duration>, png_bytes: usize) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label:<22} min {:>6.1} ms   median {:>6.1} ms   max {:>6.1} ms   {:>5.0} KB",
        ms(times[0]),
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1]),
        png_bytes as f64 / 1e3
    );
}

fn main() {
    // `cargo test --all-targets` runs bench targets too, without `--bench`: measure only under
    // `cargo bench`.
    if !std::env::args().any(|a| a == "--bench") {
        println!("render benchmark: run it with `cargo bench -p khobor-card`");
        return;
    }
    let photos = [
        ("1600 variant", photo(1600, 1067)),
        ("4000 original", photo(4000, 3000)),
    ];
    println!("{RUNS} runs each, after one warm-up");
    for (label, jpeg) in &photos {
        // The share of a photo card that is only decoding the JPEG.
        let mut times = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let start = Instant::now();
            black_box(image::load_from_memory(black_box(jpeg)).expect("decode"));
            times.push(start.elapsed());
        }
        stats(&format!("decode {label}"), times, jpeg.len());
    }
    let cases = photos
        .iter()
        .map(|(label, jpeg)| (*label, Some(&jpeg[..])))
        .chain([("no photo", None)]);
    for (label, jpeg) in cases {
        for layout in Layout::ALL {
            let spec = CardSpec {
                layout,
                site_name: "খবর",
                logo: None,
                photo: jpeg.map(|bytes| Photo {
                    bytes,
                    focal_x: 0.3,
                    focal_y: 0.4,
                }),
                section: "রাজনীতি",
                text: "র‍্যাবের ট্র্যাক রেকর্ড নিয়ে প্রশ্ন, BNP-র নেতা বললেন উজ্জ্বল সৌন্দর্যের আকাঙ্ক্ষা আর দ্বন্দ্বের তদন্ত চাই",
                speaker: None,
                date_line: "৬ ডিসেম্বর ২০২৬ · ২১ অগ্রহায়ণ ১৪৩৩",
                site_address: "khobor.example",
                code: "K7QM2XPA",
                qr_url: "https://khobor.example/c/K7QM2XPA",
                colors: Colors::default(),
            };
            let mut png_bytes = render(&spec).expect("render").png.len();
            let mut times = Vec::with_capacity(RUNS);
            for _ in 0..RUNS {
                let start = Instant::now();
                let card = render(black_box(&spec)).expect("render");
                times.push(start.elapsed());
                png_bytes = card.png.len();
            }
            stats(&format!("{} {label}", layout.as_str()), times, png_bytes);
        }
    }
}
