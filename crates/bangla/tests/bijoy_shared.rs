//! Acceptance test of the Bijoy converter and detector against the shared vectors
//! (`/work/shared/fixtures/bijoy/`: `pairs.tsv`, 250 news sentences, and
//! `disagreements.tsv`, 20 judged hard cases). The fixtures live outside the project (their
//! license keeps them out of it), so on a checkout without them each test prints that it
//! was not run and passes. Point `KHOBOR_BIJOY_PAIRS` at another `pairs.tsv` to use a
//! different copy; `disagreements.tsv` is read from the same directory.

use std::path::{Path, PathBuf};

use bangla::bijoy::{detect, looks_like_bijoy, to_unicode, Detected};
use unicode_normalization::UnicodeNormalization;

fn pairs_path() -> PathBuf {
    match std::env::var_os("KHOBOR_BIJOY_PAIRS") {
        Some(path) => PathBuf::from(path),
        None => {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/bijoy/pairs.tsv")
        }
    }
}

/// The rows of a fixture (header skipped, split on tabs), or `None` if it is absent.
fn read_rows(path: &Path) -> Option<Vec<Vec<String>>> {
    let Ok(text) = std::fs::read_to_string(path) else {
        println!("{} not found: shared Bijoy vectors not run", path.display());
        return None;
    };
    let rows = text
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect();
    Some(rows)
}

/// NFC, with র + ZWNJ + ্ + য read as র + ZWJ + ্ + য: the fixtures use ZWNJ (what the
/// other converters emit); Khobor writes the Unicode Standard's ZWJ. They are one spelling.
fn canonical(s: &str) -> String {
    s.nfc()
        .collect::<String>()
        .replace("র\u{200C}\u{09CD}য", "র\u{200D}\u{09CD}য")
}

/// Where two strings first differ, as `…common«expected|got»`.
fn diff(expected: &str, got: &str) -> String {
    let common: usize = expected
        .chars()
        .zip(got.chars())
        .take_while(|(a, b)| a == b)
        .map(|(a, _)| a.len_utf8())
        .sum();
    let tail = |s: &str| s[common..].chars().take(12).collect::<String>();
    let head: String = expected[..common]
        .chars()
        .rev()
        .take(12)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("…{head}«{}|{}»", tail(expected), tail(got))
}

#[test]
fn every_shared_pair_converts_exactly() {
    let Some(rows) = read_rows(&pairs_path()) else {
        return;
    };
    let mut failures = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let (bijoy, expected) = (&row[0], canonical(&row[1]));
        let got = canonical(&to_unicode(bijoy));
        if got != expected {
            failures.push(format!(
                "row {}: {bijoy}\n  expected {expected}\n  got      {got}\n  diff     {}",
                i + 2,
                diff(&expected, &got)
            ));
        }
    }
    println!(
        "shared pairs: {}/{} exact",
        rows.len() - failures.len(),
        rows.len()
    );
    assert!(
        failures.is_empty(),
        "{} rows differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn detector_tells_every_shared_pair_apart() {
    let Some(rows) = read_rows(&pairs_path()) else {
        return;
    };
    let mut failures = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        if !looks_like_bijoy(&row[0]) {
            failures.push(format!(
                "row {}: bijoy column not detected: {}",
                i + 2,
                row[0]
            ));
        }
        if detect(&row[1]) != Detected::Unicode {
            failures.push(format!(
                "row {}: unicode column not Unicode: {}",
                i + 2,
                row[1]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `disagreements.tsv`: `bijoy`, `expected`, `right` (the converters judged right), then
/// the outputs of five converters and the judgement. The expected column is the judgement,
/// also where no converter got it right (`right` = `(none)`).
#[test]
fn judged_disagreements_convert_as_judged() {
    let path = pairs_path().with_file_name("disagreements.tsv");
    let Some(rows) = read_rows(&path) else { return };
    let mut failures = Vec::new();
    for row in &rows {
        let (bijoy, expected) = (&row[0], canonical(&row[1]));
        let got = canonical(&to_unicode(bijoy));
        if got != expected {
            failures.push(format!(
                "{bijoy}: expected {expected}, got {got} ({})",
                row[2]
            ));
        }
    }
    println!(
        "disagreements: {}/{} as judged",
        rows.len() - failures.len(),
        rows.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
