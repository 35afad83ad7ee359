//! Writes a photograph-like JPEG (gradients, texture and noise, so it compresses like a real
//! photo) for the media benchmarks: `cargo run --release --example photo -- 4000 3000 out.jpg`.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (w, h, out) = match args.as_slice() {
        [_, w, h, out] => (
            w.parse::<u32>().expect("width"),
            h.parse::<u32>().expect("height"),
            out,
        ),
        _ => {
            eprintln!("usage: photo WIDTH HEIGHT OUT.jpg");
            std::process::exit(2);
        }
    };
    let mut seed: u32 = 0x9e37_79b9;
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let noise = (seed >> 27) as i32 - 16;
        let wave = (((x as f32 / 37.0).sin() + (y as f32 / 23.0).cos()) * 30.0) as i32;
        let px = |base: i32| (base + wave + noise).clamp(0, 255) as u8;
        image::Rgb([
            px((x * 200 / w) as i32 + 20),
            px((y * 180 / h) as i32 + 40),
            px(((x + y) * 120 / (w + h)) as i32 + 60),
        ])
    });
    img.save_with_format(out, image::ImageFormat::Jpeg)
        .expect("writes the JPEG");
}
