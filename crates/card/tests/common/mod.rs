//! Fixtures shared by the card tests: a photo made on the spot and a spec builder.

#![allow(dead_code)]

use std::io::Cursor;

use card::{CardSpec, Colors, Layout, Photo};

/// A photograph-like PNG: lighting gradients and two soft discs, so a crop around the focal
/// point is visible in the goldens. Made here so no photo file is committed.
pub fn photo_png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        let fx = x as f32 / width as f32;
        let fy = y as f32 / height as f32;
        let mut c = [
            40.0 + 150.0 * fx,
            70.0 + 120.0 * fy,
            180.0 - 110.0 * fx * fy,
        ];
        for (bx, by, r, colour) in [
            (0.3f32, 0.4f32, 0.18f32, [200.0f32, 150.0, 120.0]),
            (0.7, 0.55, 0.22, [60.0, 110.0, 170.0]),
        ] {
            let d = ((fx - bx).powi(2) + (fy - by).powi(2)).sqrt();
            if d < r {
                let t = 1.0 - d / r;
                for k in 0..3 {
                    c[k] = c[k] * (1.0 - t) + colour[k] * t;
                }
            }
        }
        image::Rgb(c.map(|v| v.clamp(0.0, 255.0) as u8))
    });
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("encode the test photo");
    out
}

pub const URL: &str = "https://khobor.example/c/K7QM2XPA";

pub fn spec<'a>(layout: Layout, text: &'a str, photo: Option<&'a [u8]>) -> CardSpec<'a> {
    CardSpec {
        layout,
        site_name: "খবর",
        logo: None,
        photo: photo.map(|bytes| Photo {
            bytes,
            focal_x: 0.3,
            focal_y: 0.4,
        }),
        section: "রাজনীতি",
        text,
        speaker: None,
        date_line: "৬ ডিসেম্বর ২০২৬ · ২১ অগ্রহায়ণ ১৪৩৩",
        site_address: "khobor.example",
        code: "K7QM2XPA",
        qr_url: URL,
        colors: Colors::default(),
    }
}

/// Five headlines with the hard cases of Bengali type: conjuncts stacked below (্র, স্ত্র),
/// reph over a conjunct, ু/ৃ under, ি/ী over, ZWJ and ZWNJ forms, nukta letters in both
/// encodings, the taka sign, a hyphenated English name with a Bengali suffix, and a long line.
pub const HARD_HEADLINES: [&str; 5] = [
    "আকাঙ্ক্ষা আর দ্বন্দ্বের মধ্যে উজ্জ্বল সৌন্দর্যের স্বপ্ন দেখছে রাষ্ট্র",
    "র‍্যাবের ট্র্যাক রেকর্ড নিয়ে প্রশ্ন, BNP-র নেতা বললেন তদন্ত চাই",
    "উদ্‌যাপনে হৃদয় ছুঁয়ে গেল কৃষকের গান; ড়ক্ষেতে ঢাকা -এর মেয়র",
    "ইন্দ্রজিৎ ও স্ত্রী-সন্তানের জন্য ৳৫০০ কোটির প্রকল্প অনুমোদন করল মন্ত্রিসভা, কাজ শুরু আগামী মাসে",
    "জ্ঞানের খোঁজে কৌশলী ক্ষমতা: কর্ণফুলী টানেলে নতুন যুগ",
];
