//! Shaping parity: the card's own shaping path (`card::shape_for_test`, the code `render` draws
//! with) against HarfBuzz's `hb-shape` on the same committed font, glyph for glyph, cluster for
//! cluster and position for position, for the hard cases of Bengali in
//! tests/golden/shaping_cases.txt.
//!
//! `hb-shape` is given Noto Sans Bengali alone, so in mixed text it answers glyph 0 (.notdef)
//! for Latin letters. The card shapes such text with Noto Sans Bengali first and falls back to
//! Noto Sans for the clusters it has no glyph for. So the comparison is: every glyph the card
//! took from Noto Sans Bengali equals HarfBuzz's, in order, and every cluster HarfBuzz left as
//! .notdef is exactly one the card drew from Noto Sans. Text without any Bengali letter (a code,
//! an address, an English name) is shaped by the card with Noto Sans alone, and compared whole
//! with `hb-shape` on Noto Sans (tests/golden/shaping_cases_latin.txt → shaping-latin.txt).
//! Advances and mark offsets are compared too, in font units (a reph's or a ু's placement is
//! part of what HarfBuzz decides).

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use card::{shape_for_test, TestGlyph};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// One glyph: id, cluster (byte offset), x advance, x offset, y offset (font units).
type Glyph = (u16, u32, i32, i32, i32);

struct Case {
    bold: bool,
    text: String,
    hb: Vec<Glyph>,
}

/// `gid=cluster[@x,y]+advance`, as hb-shape prints a glyph.
fn parse_glyph(g: &str) -> Glyph {
    let parse = |v: &str| -> i64 {
        v.parse()
            .unwrap_or_else(|_| panic!("a malformed hb-shape glyph: {g:?}"))
    };
    let (gid, rest) = g.split_once('=').expect("glyph=cluster");
    let (rest, advance) = rest.split_once('+').expect("cluster+advance");
    let (cluster, x, y) = match rest.split_once('@') {
        Some((cluster, offsets)) => {
            let (x, y) = offsets.split_once(',').expect("@x,y");
            (cluster, parse(x), parse(y))
        }
        None => (rest, 0, 0),
    };
    let narrow = |v: i64| i32::try_from(v).expect("a position in range");
    (
        u16::try_from(parse(gid)).expect("a glyph id"),
        u32::try_from(parse(cluster)).expect("a cluster"),
        narrow(parse(advance)),
        narrow(x),
        narrow(y),
    )
}

fn ours_of(g: &TestGlyph) -> Glyph {
    (g.glyph_id, g.cluster, g.x_advance, g.x_offset, g.y_offset)
}

/// Reads a file made by regen.sh: `weight<TAB>text<TAB>[gid=cluster|…]`.
fn read_cases(path: &Path) -> Vec<Case> {
    let content = std::fs::read_to_string(path).expect("read the shaping golden file");
    content
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|line| {
            let mut parts = line.split('\t');
            let (Some(weight), Some(text), Some(hb), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                panic!("a malformed golden line: {line:?}");
            };
            let hb = hb
                .trim()
                .strip_prefix('[')
                .and_then(|s| s.strip_suffix(']'))
                .unwrap_or_else(|| panic!("a malformed hb-shape output: {hb:?}"));
            let hb = hb.split('|').map(parse_glyph).collect();
            Case {
                bold: match weight {
                    "Bold" => true,
                    "Regular" => false,
                    other => panic!("unknown weight {other:?}"),
                },
                text: text.to_owned(),
                hb,
            }
        })
        .collect()
}

/// `None` when the card's shaping matches HarfBuzz's, else what differs.
fn compare(case: &Case, ours: &[TestGlyph]) -> Option<String> {
    let is_bengali = |g: &TestGlyph| g.font.starts_with("NotoSansBengali-");
    let fallback: BTreeSet<u32> = ours
        .iter()
        .filter(|g| !is_bengali(g))
        .map(|g| g.cluster)
        .collect();
    let notdef: BTreeSet<u32> = case.hb.iter().filter(|g| g.0 == 0).map(|g| g.1).collect();
    let ours_bn: Vec<Glyph> = ours.iter().filter(|g| is_bengali(g)).map(ours_of).collect();
    let hb_bn: Vec<Glyph> = case.hb.iter().copied().filter(|g| g.0 != 0).collect();
    let mut problems = Vec::new();
    if ours_bn != hb_bn {
        problems.push(format!(
            "Bengali glyphs: card {ours_bn:?}, hb-shape {hb_bn:?}"
        ));
    }
    if fallback != notdef {
        problems.push(format!(
            "clusters drawn from Noto Sans {fallback:?}, clusters hb-shape has no Bengali glyph for {notdef:?}"
        ));
    }
    if ours.iter().any(|g| g.glyph_id == 0) {
        problems.push("the card left a .notdef glyph".to_owned());
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}

/// Latin-only text: every glyph from Noto Sans, equal to HarfBuzz's with that font.
fn compare_latin(case: &Case, ours: &[TestGlyph]) -> Option<String> {
    let mut problems: Vec<String> = ours
        .iter()
        .filter(|g| !g.font.starts_with("NotoSans-"))
        .map(|g| format!("glyph {} from {}", g.glyph_id, g.font))
        .collect();
    let ours: Vec<Glyph> = ours.iter().map(ours_of).collect();
    if ours != case.hb {
        problems.push(format!("card {ours:?}, hb-shape {:?}", case.hb));
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}

type Compare = fn(&Case, &[TestGlyph]) -> Option<String>;

/// Compares every case, printing the parity count; panics naming each case that differs.
fn check_parity(cases: &[Case], source: &str, compare: Compare, at_least: usize) {
    assert!(cases.len() >= at_least, "the golden file lost its cases");
    let mut failures = Vec::new();
    for case in cases {
        let ours = shape_for_test(&case.text, case.bold);
        if let Some(problem) = compare(case, &ours) {
            let weight = if case.bold { "bold" } else { "regular" };
            failures.push(format!("{weight} {:?}: {problem}", case.text));
        }
    }
    let same = cases.len() - failures.len();
    // Written past the test harness's capture so that the count shows in every run.
    let _ = writeln!(
        std::io::stderr(),
        "shaping parity with {source}: {same}/{} cases identical",
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "shaping differs from {source}:\n{}",
        failures.join("\n")
    );
}

/// The Bengali cases (at least this many, both weights) and the Latin ones.
const BENGALI_CASES: usize = 100;
const LATIN_CASES: usize = 20;

#[test]
fn shaping_matches_the_committed_harfbuzz_golden() {
    let dir = golden_dir();
    check_parity(
        &read_cases(&dir.join("shaping.txt")),
        "tests/golden/shaping.txt",
        compare,
        BENGALI_CASES,
    );
    check_parity(
        &read_cases(&dir.join("shaping-latin.txt")),
        "tests/golden/shaping-latin.txt",
        compare_latin,
        LATIN_CASES,
    );
}

#[test]
fn shaping_matches_hb_shape_run_now() {
    let installed = Command::new("hb-shape")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        let message = "hb-shape is not installed (Debian package libharfbuzz-bin, which \
                       scripts/setup.sh installs): the live shaping parity check did NOT run; \
                       only the committed golden files were compared";
        // On CI a missing hb-shape is a broken setup, not a pass.
        assert!(std::env::var_os("CI").is_none(), "{message}");
        let _ = writeln!(std::io::stderr(), "WARNING: {message}");
        return;
    }
    let tmp = std::env::temp_dir();
    let pid = std::process::id();
    let out = tmp.join(format!("khobor-card-shaping-{pid}.txt"));
    let latin_out = tmp.join(format!("khobor-card-shaping-latin-{pid}.txt"));
    let status = Command::new("bash")
        .arg(golden_dir().join("regen.sh"))
        .arg(&out)
        .arg(&latin_out)
        .status()
        .expect("run regen.sh");
    assert!(status.success(), "regen.sh failed");
    let live = read_cases(&out);
    let live_latin = read_cases(&latin_out);
    let _ = std::fs::remove_file(&out);
    let _ = std::fs::remove_file(&latin_out);
    check_parity(&live, "hb-shape run now", compare, BENGALI_CASES);
    check_parity(
        &live_latin,
        "hb-shape run now (Latin)",
        compare_latin,
        LATIN_CASES,
    );
    // The committed files are what this HarfBuzz makes (a newer one may differ: regenerate).
    for (live, file) in [(live, "shaping.txt"), (live_latin, "shaping-latin.txt")] {
        let committed = read_cases(&golden_dir().join(file));
        assert_eq!(live.len(), committed.len(), "{file}");
        for (a, b) in live.iter().zip(&committed) {
            assert_eq!(
                (a.bold, &a.text, &a.hb),
                (b.bold, &b.text, &b.hb),
                "tests/golden/{file} is not what this hb-shape makes: run tests/golden/regen.sh"
            );
        }
    }
}
