//! Throughput of the Bijoy → Unicode converter and of the detector.
//!
//! `CARGO_TARGET_DIR=… cargo bench -p bangla --bench bijoy`
//!
//! Input: the `bijoy` column of the shared `pairs.tsv` (path from `KHOBOR_BIJOY_PAIRS`,
//! default `/work/shared/fixtures/bijoy/pairs.tsv` as seen from this crate) if present,
//! else a few Bijoy sentences of our own; repeated to about 10 MB. Throughput is counted
//! in MB (10^6 bytes) of input as UTF-8, which is how the text reaches us; the cp1252
//! size, one byte a glyph, is printed as well.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

use bangla::bijoy::{detect, to_unicode, Detected};

const TARGET_BYTES: usize = 10_000_000;
const RUNS: usize = 5;

/// Bijoy sentences of our own (not from the shared fixtures), with the features the golden
/// tests of `bangla::bijoy` cover: reph, phalas, split o/au-kar, conjuncts, র‍্য, digits.
const OWN_SENTENCES: &[&str] = &[
    "Avgvi ‡mvbvi evsjv, Avwg ‡Zvgvq fvjevwm|",
    "evsjv‡`‡ki ivRavbx XvKvq Av‡Rv e„wó n‡q‡Q|",
    "wZwb e‡jb, Ò‡`‡k wbe©vPb n‡e|Ó",
    "miKvi bZyb wbqg Rvwi K‡i‡Q; Kvh©µg ïi“ n‡e 1971 mv‡ji ga¨ w`‡q|",
    "‡¯^”QvPvwiZvi wei“‡× Aš—f©y³ mKj ag©xq ‡bZv GKgZ n‡qwQ‡jb|",
    "¯^vaxbZvi ci c«_g i¨ve ‡K›`« ¯’vcb Kiv nq ‡eŠ× gw›`‡ii cv‡k|",
];

fn pairs_path() -> PathBuf {
    match std::env::var_os("KHOBOR_BIJOY_PAIRS") {
        Some(path) => PathBuf::from(path),
        None => {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/bijoy/pairs.tsv")
        }
    }
}

/// One pass over the sample sentences, newline-separated, and where they came from.
fn sample() -> (String, String) {
    let path = pairs_path();
    if let Ok(text) = std::fs::read_to_string(&path) {
        let lines: Vec<&str> = text
            .lines()
            .skip(1)
            .filter_map(|l| l.split('\t').next())
            .filter(|s| !s.is_empty())
            .collect();
        if !lines.is_empty() {
            return (
                lines.join("\n"),
                format!("{} ({} sentences)", path.display(), lines.len()),
            );
        }
    }
    (
        OWN_SENTENCES.join("\n"),
        format!(
            "own sentences ({}; {} not found)",
            OWN_SENTENCES.len(),
            path.display()
        ),
    )
}

/// Best of `RUNS` timings of `f`, in seconds.
fn best_of(mut f: impl FnMut()) -> f64 {
    (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this once without it, as
    // a smoke test: one copy of the text instead of ten megabytes.
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let (one_pass, source) = sample();
    let copies = if benchmarking {
        TARGET_BYTES / (one_pass.len() + 1) + 1
    } else {
        1
    };
    let text = vec![one_pass.as_str(); copies].join("\n");
    let mb = text.len() as f64 / 1e6;
    let glyph_mb = text.chars().count() as f64 / 1e6;
    println!(
        "input: {source}, repeated {copies}× = {mb:.1} MB as UTF-8 ({glyph_mb:.1} MB as cp1252)"
    );

    let out_len = to_unicode(&text).len();
    let secs = best_of(|| {
        black_box(to_unicode(black_box(&text)));
    });
    println!(
        "to_unicode, whole text: {:.1} MB/s ({:.1} MB/s of cp1252), {:.1} MB of Unicode out, best of {RUNS}: {:.0} ms",
        mb / secs,
        glyph_mb / secs,
        out_len as f64 / 1e6,
        secs * 1e3
    );

    let lines: Vec<&str> = text.lines().collect();
    let secs = best_of(|| {
        for line in &lines {
            black_box(to_unicode(black_box(line)));
        }
    });
    println!(
        "to_unicode, line by line ({} calls): {:.1} MB/s",
        lines.len(),
        mb / secs
    );

    let secs = best_of(|| {
        let bijoy = lines
            .iter()
            .filter(|l| detect(l) == Detected::Bijoy)
            .count();
        assert_eq!(bijoy, lines.len(), "every sample line is Bijoy");
    });
    println!("detect, line by line: {:.1} MB/s", mb / secs);
}
