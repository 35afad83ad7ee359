//! Times Khobor's photo intake on a typical camera upload: a 4000×3000 JPEG goes through
//! `ingest` (decode, orientation, metadata-free re-encode) and `variants` (four widths, WebP and
//! JPEG each). Run with `cargo bench -p khobor-media`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use media::{ingest, variant_name, variants, Limits};

const WIDTH: u32 = 4000;
const HEIGHT: u32 = 3000;
const RUNS: usize = 5;

/// A photograph-like frame: smooth lighting gradients, a few soft circular "objects" and
/// per-pixel sensor noise from a deterministic LCG, so the encoders face realistic entropy.
fn photo(width: u32, height: u32) -> Vec<u8> {
    let mut state: u64 = 0x4b48_4f42_4f52; // fixed seed
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
    px
}

fn stats(label: &str, mut times: Vec<Duration>) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label:<9} min {:>8.1} ms   median {:>8.1} ms   max {:>8.1} ms",
        ms(times[0]),
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1])
    );
}

fn main() {
    // `cargo test --all-targets` runs bench targets too, without `--bench`: measure only under
    // `cargo bench`.
    if !std::env::args().any(|a| a == "--bench") {
        println!("variants benchmark: run it with `cargo bench -p khobor-media`");
        return;
    }
    let pixels = photo(WIDTH, HEIGHT);
    // Like a phone or camera file: quality 92, 4:2:0 chroma subsampling.
    let mut upload = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut upload, 92);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    encoder
        .encode(
            &pixels,
            WIDTH as u16,
            HEIGHT as u16,
            jpeg_encoder::ColorType::Rgb,
        )
        .expect("encode the test photo");
    drop(pixels);
    println!(
        "upload: {WIDTH}×{HEIGHT} JPEG, {:.1} MB; {RUNS} runs each",
        upload.len() as f64 / 1e6
    );

    let limits = Limits::default();
    let mut ingest_times = Vec::with_capacity(RUNS);
    let mut variant_times = Vec::with_capacity(RUNS);
    let mut last = None;
    for _ in 0..RUNS {
        let start = Instant::now();
        let original = ingest(black_box(&upload), &limits).expect("ingest");
        ingest_times.push(start.elapsed());

        let start = Instant::now();
        let vs = variants(black_box(&original), &Limits::default()).expect("variants");
        variant_times.push(start.elapsed());
        last = Some((original, vs));
    }
    stats("ingest", ingest_times);
    stats("variants", variant_times);

    if let Some((original, vs)) = last {
        println!(
            "original: {}×{} {}, {:.1} MB",
            original.width,
            original.height,
            original.format.ext(),
            original.bytes.len() as f64 / 1e6
        );
        for v in &vs {
            println!(
                "  {:<28} {:>4}×{:<4} {:>7.1} KB",
                variant_name(v),
                v.width,
                v.height,
                v.bytes.len() as f64 / 1e3
            );
        }
    }
}
