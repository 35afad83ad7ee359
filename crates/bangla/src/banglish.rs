//! Romanised Bengali ("Banglish") query words → Bengali search terms.
//!
//! This module owns [`is_latin_word`], [`transliterate`], [`phonetic_regex`],
//! [`suggestions`], [`split_suffix`], [`aliases`] / [`ALIASES`], [`candidates`] and
//! [`Transliterator`] (candidates with an extra alias table from the caller). It imports
//! `okkhor` (the Avro phonetic rules and Avro's regex rules) and `upodesh` (OpenBangla's
//! word list), both compiled into the binary, and this crate's `normalise`: no I/O, no
//! async, nothing read at run time.
//!
//! People type Bengali on phones in Latin letters, loosely: `nirbachon`, `shikkha`,
//! `boithok`, `ramzan` (রমজান: the inherent vowel typed as `a`), `dhakay`, `putiner`.
//! The search engine turns such a word into Bengali index terms two ways, both from here,
//! and ranks what it finds by document frequency:
//!
//! 1. [`phonetic_regex`]: a regular expression matching the Bengali spellings the word
//!    may stand for, with or without an inflection suffix. The engine runs it over its
//!    own term dictionary, so it also finds words no dictionary knows (names, new words).
//!    This is the main recall path.
//! 2. [`candidates`]: concrete Bengali words, best first — the alias table
//!    ([`aliases`]), the Avro transliteration ([`transliterate`]) and `upodesh`'s
//!    dictionary suggestions ([`suggestions`]), also for the word with its Latin
//!    inflection split off ([`split_suffix`]) and the Bengali suffix put back.
//!
//! Every Bengali string that leaves this module, regexes included, is in the form index
//! terms have ([`normalise_for_search`]: single-code-point ড় ঢ় য়, no ZWJ/ZWNJ, ASCII
//! digits), except [`transliterate`], which returns the display form ([`normalise`]).
//!
//! In this file ড় ঢ় য় inside string literals are written `\u{9DC}` `\u{9DD}` `\u{9DF}`:
//! editors that NFC-normalise would otherwise silently split them into letter + nukta.

use std::collections::HashMap;
use std::sync::LazyLock;

use okkhor::parser::Parser;
use okkhor::regex_suggestion::RegexSuggestion;

use crate::normalise::{normalise, normalise_for_search};

/// Longest Latin word, in letters, that [`phonetic_regex`] and [`suggestions`] handle
/// (longer input gives `None` and nothing). Real words are far shorter; the bound keeps
/// the regex, and the automaton the engine builds from it, small.
pub const MAX_LETTERS: usize = 24;

static PHONETIC: LazyLock<Parser> = LazyLock::new(Parser::new_phonetic);
static REGEX: LazyLock<RegexRules> = LazyLock::new(RegexRules::new);
static SUGGEST: LazyLock<upodesh::avro::Suggest> = LazyLock::new(upodesh::avro::Suggest::new);

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '\u{02BC}')
}

/// Whether a query word is Latin-script (ASCII letters, maybe apostrophes) and so a
/// Banglish candidate. Digits, other scripts and other punctuation make it not one.
pub fn is_latin_word(word: &str) -> bool {
    word.chars().any(|c| c.is_ascii_alphabetic())
        && word
            .chars()
            .all(|c| c.is_ascii_alphabetic() || is_apostrophe(c))
}

/// The ASCII letters of `word`, lower-cased (apostrophes and everything else dropped).
fn latin_letters(word: &str) -> String {
    word.chars()
        .filter(char::is_ascii_alphabetic)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The deterministic Avro conversion of the word (`okkhor`), in [`normalise`] form.
///
/// The word is lower-cased first: Avro gives capitals a meaning (`D` ড, `T` ট, `O` ও)
/// that people typing on phones do not intend (an auto-capitalised `Dhaka` would become
/// ঢাকা but `dhaka` ধাকা). Runs of ASCII letters and digits are converted, other
/// characters (a Bengali suffix typed after a Latin word, `dhakaর`) are kept, and ASCII
/// punctuation such as apostrophes is dropped, so Avro's punctuation rules (`.` → `।`)
/// never apply. Use [`candidates`] for search terms; this is one of them.
pub fn transliterate(word: &str) -> String {
    let mut out = String::with_capacity(word.len() * 3);
    let mut run = String::new();
    for c in word.chars() {
        if c.is_ascii_alphanumeric() {
            run.push(c.to_ascii_lowercase());
            continue;
        }
        if is_apostrophe(c) {
            // putin'er is one word: the apostrophe only marks the suffix.
            continue;
        }
        if !run.is_empty() {
            // okkhor steps through its input byte by byte where no pattern matches, so
            // it is only ever given ASCII.
            out.push_str(&PHONETIC.convert(&run));
            run.clear();
        }
        if !c.is_ascii() {
            out.push(c);
        }
    }
    if !run.is_empty() {
        out.push_str(&PHONETIC.convert(&run));
    }
    normalise(&out)
}

// ---------------------------------------------------------------------------------------
// Phonetic regex
// ---------------------------------------------------------------------------------------

/// A regex matching the Bengali spellings a Latin word may stand for, or `None` when the
/// word is not Latin ([`is_latin_word`]) or longer than [`MAX_LETTERS`] letters.
///
/// **Syntax**: that of the `regex` and `tantivy-fst` crates, using only groups,
/// alternation, character classes and `?` (no anchors, lookaround, backreferences or
/// repetition). **Anchoring**: implicit — the caller matches whole terms (tantivy's
/// `RegexQuery` does; with the `regex` crate wrap it as `^(?:…)$`). **Form**: the Bengali
/// in it is in index-term form ([`normalise_for_search`]): single-code-point ড় ঢ় য়, no
/// ZWJ or ZWNJ.
///
/// **What it matches**: the word's Avro readings, loosened the way people type, then an
/// optional inflection suffix (ের র য় কে তে রা দের গুলো টি …), and also the base of the
/// word where [`split_suffix`] finds a Latin suffix (`putiner` matches পুতিনের and পুতিন;
/// `shakir` matches শাকির and the stem শাকি), so it suits a dictionary of unstemmed
/// tokens and one of stems alike. On the corpus vocabulary it matches a handful of terms
/// per word (about 8 on average, mostly inflected forms of one or two words).
///
/// **How**: `okkhor`'s regex for the word is `^` + (fragment + EXTRA)* + `$`, one
/// fragment per Avro pattern (`dh`, `a`, `k`, `a`) and EXTRA = `(্[যবম])?(্?)([ঃঁ]?)`
/// after each. It is split into its fragments (recognised by comparing with okkhor's own
/// output for single patterns, read once at start-up), and each is rewritten:
///
/// - ZWJ and ZWNJ are removed with the `?` or class that made them optional, since index
///   terms never contain them; okkhor writes ড় ঢ় য় as single code points already;
/// - the `^…$` anchors go (tantivy-fst rejects them);
/// - looser readings: a non-initial `a` may be the inherent vowel (no sign: ramzan
///   রমজান, padma পদ্মা) and an initial one অ; an initial `u` is also ও, an initial `o`
///   also উ, and `u` also ো (dua/doa দোয়া); an initial `e` is also ই; `ai` is also
///   া + য় (obaidul ওবায়দুল); `e` before a final `r` is also া or nothing (English -er:
///   poster পোস্টার); a lone `c` is ক or স too; `x` is also ক্ষ; a final `h` after a
///   vowel may be silent (surah সূরা); unaspirated letters also match their aspirates
///   (`t` থ ঠ, `d` ধ ঢ, `k` খ, `g` ঘ, `p` ফ, `b` ভ, `j` ঝ; `dd` দ্ধ, `kk` ক্ষ) and
///   aspirate spellings the plain letter (`gh` গ, `th` ত ট, `dh` দ ড, …: baghdad
///   বাগদাদ); okkhor's `au` is fixed (it lacks a `|` and never matches ৌ alone);
/// - EXTRA becomes `(?:্(?:[যবম]্?)?)?ঁ?` after consonants (the same strings but no
///   ঃ, which `h` gives, and with no two branches starting alike) and `ঁ?` after vowels;
///   okkhor's `হ|ঃ|হ্` becomes `[হঃ]`. These keep the byte-level automaton tantivy-fst
///   builds small: it refuses regexes needing more than 1,000 states. Measured on
///   real words: 170 states on average, at most about 470 for 15–18-letter compounds.
///   Letter salad (`aeaeaeaeaeae…`) can still exceed it, so the caller should treat a
///   compile error as "no regex" (the [`candidates`] still apply).
///
/// Before conversion some English spellings are respelled the Avro way: `gy` → `gg`
/// (জ্ঞ: gyan জ্ঞান), `ow` before a consonant or at the end → `ou` (chowdhury চৌধুরী),
/// `c` before e/i/y → `s` (francis ফ্রান্সিস), `y` between consonants or final after one
/// → `i` (sylhet, chowdhury), and a letter repeated more than twice counts twice
/// (dhakaaa).
pub fn phonetic_regex(word: &str) -> Option<String> {
    if !is_latin_word(word) {
        return None;
    }
    let letters = latin_letters(word);
    if letters.len() > MAX_LETTERS {
        return None;
    }
    let latin = prepare_latin(&letters);
    let Some(pieces) = REGEX.pieces(&latin) else {
        return Some(format!("{}{SUFFIX_REGEX}", REGEX.fallback(&latin)));
    };
    // Where the word may stop because a Latin suffix follows (putin|er): the pieces of
    // the base are then a prefix of the word's pieces. A base that does not line up
    // (okkhor reads dhakai as dh-a-k-ai, dhaka as dh-a-k-a) becomes an alternative.
    let mut stops: Vec<usize> = Vec::new();
    let mut alternatives: Vec<String> = Vec::new();
    for (base, suffix) in split_suffix(word) {
        if suffix.is_none() {
            continue;
        }
        let base = prepare_latin(&base);
        match REGEX.pieces(&base) {
            Some(b) if b.len() < pieces.len() && pieces.starts_with(&b) => stops.push(b.len()),
            Some(b) => alternatives.push(b.concat()),
            None => alternatives.push(REGEX.fallback(&base)),
        }
    }
    stops.sort_unstable();
    stops.dedup();
    // pieces[..s1] (?: pieces[s1..s2] (?: … pieces[sk..] )? )?
    let mut main = String::new();
    let mut at = 0;
    for &stop in &stops {
        main.push_str(&pieces[at..stop].concat());
        main.push_str("(?:");
        at = stop;
    }
    main.push_str(&pieces[at..].concat());
    main.push_str(&")?".repeat(stops.len()));
    alternatives.retain(|a| a != &main);
    alternatives.dedup();
    let mut out = if alternatives.is_empty() {
        main
    } else {
        format!("(?:{main}|{})", alternatives.join("|"))
    };
    out.push_str(SUFFIX_REGEX);
    Some(out)
}

/// Optional Bengali inflection suffixes after the word, so that `dhaka` also matches the
/// terms ঢাকার, ঢাকায়, ঢাকাকে …
const SUFFIX_REGEX: &str = "(?:ে|ের|র|\u{9DF}|\u{9DF}ে|\u{9DF}ের|কে|তে|রা|েরা|দের|েদের|গুলো|গুলোর|\
                            গুলোতে|গুলি|টি|টির|টা|টার|ও|ই|েও|েই|রও|সহ)?";

/// What may follow a consonant fragment: a ya/ba/ma-phala or a hasanta (for a conjunct
/// the Latin spelling does not show), then ঁ. See [`phonetic_regex`].
const EXTRA_CONSONANT: &str = "(?:\u{9CD}(?:[যবম]\u{9CD}?)?)?ঁ?";

/// What may follow a vowel fragment: ঁ (chand চাঁদ).
const EXTRA_VOWEL: &str = "ঁ?";

/// okkhor's vowel patterns: their fragments take [`EXTRA_VOWEL`].
const VOWELS: &[&str] = &[
    "a", "aa", "ai", "au", "e", "ee", "ey", "i", "ia", "o", "oi", "oo", "ou", "u", "uu",
];

/// The other okkhor patterns whose fragments [`RegexRules::rewrite`] changes.
const REWRITTEN: &[&str] = &[
    "b", "bh", "c", "d", "dd", "dh", "g", "gh", "h", "j", "jh", "k", "kh", "kk", "p", "ph", "r",
    "t", "th", "x", "y",
];

/// Where a fragment stands in the word.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Position {
    Initial,
    Inner,
    /// Followed by a final `r` (English -er).
    BeforeFinalR,
    /// Last, after a vowel.
    Final,
}

/// okkhor's regex converter and what is needed to take its output apart.
struct RegexRules {
    converter: RegexSuggestion,
    /// okkhor's EXTRA, as it writes it.
    extra: String,
    /// okkhor's fragment → the Latin pattern it stands for, for [`VOWELS`] and
    /// [`REWRITTEN`].
    kinds: HashMap<String, &'static str>,
}

impl RegexRules {
    fn new() -> Self {
        let converter = RegexSuggestion::new();
        let body = |latin: &str| -> String {
            let r = converter.convert_regex(latin);
            r.strip_prefix('^')
                .and_then(|s| s.strip_suffix('$'))
                .unwrap_or_default()
                .to_string()
        };
        // "b" has the plain fragment "ব": the rest of its regex is EXTRA.
        let extra = body("b").strip_prefix('ব').unwrap_or_default().to_string();
        let mut kinds = HashMap::new();
        if !extra.is_empty() {
            for &latin in VOWELS.iter().chain(REWRITTEN) {
                // Initial and inner fragments differ for "o" (optional inside a word).
                let initial = body(latin);
                let inner = body(&format!("b{latin}"));
                let inner = inner
                    .strip_prefix('ব')
                    .and_then(|s| s.strip_prefix(extra.as_str()));
                for fragment in [initial.as_str(), inner.unwrap_or_default()] {
                    if let Some(fragment) = fragment.strip_suffix(extra.as_str()) {
                        kinds.entry(fragment.to_string()).or_insert(latin);
                    }
                }
            }
        }
        RegexRules {
            converter,
            extra,
            kinds,
        }
    }

    /// The rewritten regex of lower-case Latin letters, one piece per okkhor fragment
    /// (each with its EXTRA), or `None` when okkhor's output is not of the shape this
    /// module knows (a future okkhor?), for which [`RegexRules::fallback`] is used.
    fn pieces(&self, latin: &str) -> Option<Vec<String>> {
        let raw = self.converter.convert_regex(latin);
        let body = raw.strip_prefix('^')?.strip_suffix('$')?;
        if self.kinds.is_empty() || !body.ends_with(self.extra.as_str()) {
            return None;
        }
        let fragments: Vec<&str> = body.split(self.extra.as_str()).collect();
        // The last piece is the empty string after the final EXTRA.
        let n = fragments.len() - 1;
        let kind = |i: usize| self.kinds.get(fragments[i]).copied();
        let pieces = (0..n)
            .map(|i| {
                let position = if i == 0 {
                    Position::Initial
                } else if i + 2 == n && kind(i + 1) == Some("r") {
                    Position::BeforeFinalR
                } else if i + 1 == n && kind(i - 1).is_some_and(|k| VOWELS.contains(&k)) {
                    Position::Final
                } else {
                    Position::Inner
                };
                let (fragment, extra) = match kind(i) {
                    Some(latin) if VOWELS.contains(&latin) => {
                        (Self::rewrite(latin, fragments[i], position), EXTRA_VOWEL)
                    }
                    Some(latin) => (
                        Self::rewrite(latin, fragments[i], position),
                        EXTRA_CONSONANT,
                    ),
                    None => (fragments[i].to_string(), EXTRA_CONSONANT),
                };
                // okkhor's h, alone and inside every aspirate, is হ, ঃ or হ্; the
                // hasanta is EXTRA_CONSONANT's business.
                let fragment = clean_joiners(&fragment).replace("(হ|ঃ|(হ\u{9CD}))", "[হঃ]");
                format!("{fragment}{extra}")
            })
            .collect();
        Some(pieces)
    }

    /// okkhor's regex as it is, without anchors and joiners.
    fn fallback(&self, latin: &str) -> String {
        let raw = self.converter.convert_regex(latin);
        clean_joiners(raw.trim_start_matches('^').trim_end_matches('$'))
    }

    /// The replacement for okkhor's `fragment` of the Latin pattern `latin`. The
    /// examples are of what each rule lets through.
    fn rewrite(latin: &str, fragment: &str, position: Position) -> String {
        use Position::*;
        match (latin, position) {
            // The inherent vowel is typed "a" as often as "o" (ramzan রমজান, parishad
            // পরিষদ, padma পদ্মা); an initial "a" is also অ (agyan অজ্ঞান). okkhor's
            // ্যা and য়া readings stay (after a consonant, EXTRA gives the ্য).
            ("a", Initial) => "(?:[অআএ]|[অএ]\u{9CD}য\u{9BE}?)".to_string(),
            ("a", _) => "(?:[আাএ]|\u{9DF}\u{9BE})?".to_string(),
            // okkhor's optional inner "o": ও ো অ য় য়ো (its rare অ্য is dropped).
            ("o", Inner | BeforeFinalR | Final) => "(?:[ওোঅ]|\u{9DF}ো?)?".to_string(),
            // Arabic words swing between u and o (dua/doa দোয়া, ummat/ommat উম্মত,
            // ustad ওস্তাদ).
            ("o", Initial) => format!("(?:উ|{fragment})"),
            ("u", Initial) => format!("(?:ও|{fragment})"),
            ("u", _) => format!("(?:ো|{fragment})"),
            // ebadat ইবাদত.
            ("e", Initial) => format!("(?:[ইঈ]|{fragment})"),
            // English -er is -ার or -র (poster পোস্টার, master মাস্টার).
            ("e", BeforeFinalR) => format!("(?:া|{fragment})?"),
            // obaidul ওবায়দুল: "ai" is also া + য়.
            ("ai", _) => format!("(?:{fragment}|[আা]\u{9DF})"),
            // saudi সৌদি: okkhor's "au" reads ঔ|ৌ(a)(u), a missing "|".
            ("au", _) => "(?:ঔ|ৌ|(?:[আা]|\u{9DF}া)?(?:[উঊুূ]|\u{9DF}[ুূ]))".to_string(),
            // yuddho যুদ্ধ: an initial "y" is also য.
            ("y", Initial) => format!("(?:য|{fragment})"),
            // surah সূরা: a final h after a vowel may be silent.
            ("h", Final) => format!("(?:{fragment})?"),
            // laxmi লক্ষ্মী.
            ("x", _) => format!("(?:ক্ষ|{fragment})"),
            // "c" alone is Avro's চ, but in loanwords and names ক or স (carbon কার্বন).
            ("c", _) => "[চছকস]".to_string(),
            // Plain letters typed for aspirates (kotha/kota কথা, ghor/gor ঘর) ...
            ("t", _) => "[তটৎথঠ]".to_string(),
            ("d", _) => "[দডধঢ]".to_string(),
            ("k", _) => "[কখ]".to_string(),
            ("p", _) => "[পফ]".to_string(),
            ("b", _) => "[বভ]".to_string(),
            ("g", _) => format!("(?:ঘ|{fragment})"),
            ("j", _) => format!("(?:ঝ|{fragment})"),
            ("dd", _) => format!("(?:দ্ধ|{fragment})"),
            ("kk", _) => format!("(?:ক্ষ|{fragment})"),
            // ... and English spellings with an h that Bengali does not have (baghdad
            // বাগদাদ, thailand থাইল্যান্ড/টাইল্যান্ড, grephtar গ্রেপ্তার).
            ("th", _) => format!("(?:[তট]|{fragment})"),
            ("dh", _) => format!("(?:[দড]|{fragment})"),
            ("kh", _) => format!("(?:ক|{fragment})"),
            ("gh", _) => format!("(?:গ|{fragment})"),
            ("bh", _) => format!("(?:ব|{fragment})"),
            ("jh", _) => format!("(?:জ|{fragment})"),
            ("ph", _) => format!("(?:প|{fragment})"),
            _ => fragment.to_string(),
        }
    }
}

/// Removes ZWJ and ZWNJ from a regex, with the `?` or `[…]` that made them optional:
/// index terms never contain them ([`normalise_for_search`] drops both).
fn clean_joiners(regex: &str) -> String {
    const ZW: [char; 2] = ['\u{200C}', '\u{200D}'];
    let mut out = regex
        .replace("[\u{200C}\u{200D}]?", "")
        .replace("[\u{200D}\u{200C}]?", "")
        .replace("\u{200C}?", "")
        .replace("\u{200D}?", "");
    out.retain(|c| !ZW.contains(&c));
    out
}

/// Respells lower-case Latin letters the Avro way where phone typing follows English
/// spelling instead (see [`phonetic_regex`]).
fn prepare_latin(letters: &str) -> String {
    let b = letters.as_bytes();
    let is_vowel = |c: u8| matches!(c, b'a' | b'e' | b'i' | b'o' | b'u');
    let mut out = String::with_capacity(letters.len() + 2);
    let mut i = 0;
    while i < b.len() {
        // A letter typed three times or more is elongation (dhakaaa), never spelling.
        if out.len() >= 2 && out.bytes().rev().take(2).all(|c| c == b[i]) {
            i += 1;
            continue;
        }
        let next = b.get(i + 1).copied();
        let after_consonant = i > 0 && !is_vowel(b[i - 1]);
        match (b[i], next) {
            // gyan জ্ঞান, bigyan বিজ্ঞান (or গ্য, which "gg" plus the ্য of EXTRA gives).
            (b'g', Some(b'y')) => {
                out.push_str("gg");
                i += 1;
            }
            // chowdhury চৌধুরী, but not bhowal ভাওয়াল.
            (b'o', Some(b'w')) if b.get(i + 2).is_none_or(|&n| !is_vowel(n)) => {
                out.push_str("ou");
                i += 1;
            }
            // francis ফ্রান্সিস, cinema সিনেমা.
            (b'c', Some(b'e' | b'i' | b'y')) => out.push('s'),
            // sylhet সিলেট, chowdhury চৌধুরী.
            (b'y', Some(n)) if after_consonant && !is_vowel(n) && n != b'y' => out.push('i'),
            (b'y', None) if after_consonant => out.push('i'),
            (c, _) => out.push(char::from(c)),
        }
        i += 1;
    }
    out
}

// ---------------------------------------------------------------------------------------
// Dictionary suggestions
// ---------------------------------------------------------------------------------------

/// Dictionary suggestions from `upodesh` (OpenBangla's word list and Avro patterns,
/// compiled in), in [`normalise_for_search`] form, deduplicated, at most `max`.
///
/// `upodesh` returns them in no particular order; they are sorted here so the output is
/// deterministic: the Avro transliteration first if it is among them, then by how close
/// the length is to it, then in byte order. Non-Latin words and words longer than
/// [`MAX_LETTERS`] letters give none.
pub fn suggestions(word: &str, max: usize) -> Vec<String> {
    if max == 0 || !is_latin_word(word) {
        return Vec::new();
    }
    let letters = latin_letters(word);
    if letters.len() > MAX_LETTERS {
        return Vec::new();
    }
    let reference = normalise_for_search(&transliterate(&letters));
    let ref_len = reference.chars().count();
    let mut found: Vec<String> = SUGGEST
        .suggest(&letters)
        .iter()
        .map(|s| normalise_for_search(s))
        .collect();
    found.sort_by(|a, b| {
        let key = |s: &String| (s != &reference, s.chars().count().abs_diff(ref_len));
        key(a).cmp(&key(b)).then_with(|| a.cmp(b))
    });
    found.dedup();
    found.truncate(max);
    found
}

// ---------------------------------------------------------------------------------------
// Inflection suffixes
// ---------------------------------------------------------------------------------------

/// Which Latin bases a suffix may follow.
#[derive(Clone, Copy)]
enum After {
    Any,
    /// The base ends in a vowel letter (dhaka + r).
    Vowel,
    /// The base ends in a consonant letter (putin + er).
    Consonant,
    /// The base ends in `a` (dhaka + i).
    LetterA,
}

/// Latin inflection suffixes and the Bengali suffix each stands for, longest first.
const SUFFIXES: &[(&str, &str, After)] = &[
    ("gulote", "গুলোতে", After::Any),
    ("guloke", "গুলোকে", After::Any),
    ("gulor", "গুলোর", After::Any),
    ("gulo", "গুলো", After::Any),
    ("guli", "গুলি", After::Any),
    ("yer", "\u{9DF}ের", After::Vowel),
    ("ier", "\u{9DF}ের", After::Vowel),
    ("der", "দের", After::Any),
    ("iyo", "ী\u{9DF}", After::Consonant),
    ("io", "ী\u{9DF}", After::Consonant),
    ("era", "েরা", After::Consonant),
    ("ra", "রা", After::Any),
    ("er", "ের", After::Consonant),
    ("ke", "কে", After::Any),
    ("te", "তে", After::Any),
    ("r", "র", After::Vowel),
    ("y", "\u{9DF}", After::Vowel),
    ("i", "\u{9DF}", After::LetterA),
    ("e", "ে", After::Consonant),
];

/// Shortest base, in letters, that a suffix may leave.
const MIN_BASE_LETTERS: usize = 3;

fn ends_in_vowel(latin: &str) -> bool {
    latin.ends_with(['a', 'e', 'i', 'o', 'u'])
}

/// Latin inflection suffixes people type after a word: `putiner` → (`putin`, ের),
/// `dhakay`/`dhakai` → (`dhaka`, য়), `dhakar` → (`dhaka`, র), `bangladesher` →
/// (`bangladesh`, ের), `manushera` → (`manush`, েরা), `chhatrora` → (`chhatro`, রা),
/// `-der` দের, `-ke` কে, `-te` তে, `-gulo` গুলো (and গুলোর, গুলোতে, গুলোকে), `-yer` য়ের,
/// `-e` ে, and the adjective `-iyo`/`-io` ীয় (`bharotiyo` → (`bharot`, ীয়)).
///
/// Returns every reading as (lower-case Latin base, Bengali suffix), the unsplit word
/// first as (`word`, `None`); the caller tries them all, since a word may only look
/// inflected (`bochor`, `nodi`). A suffix is only split off when the base keeps at least
/// three letters, and `-er`, `-era`, `-iyo` and `-e` only after a consonant, `-r`, `-y` and
/// `-yer` only after a vowel. An apostrophe marks the split (`putin'er`): then that split
/// is the only one. Non-Latin input gives an empty list.
pub fn split_suffix(word: &str) -> Vec<(String, Option<&'static str>)> {
    if !is_latin_word(word) {
        return Vec::new();
    }
    let letters = latin_letters(word);
    let mut out = vec![(letters.clone(), None)];
    let fits = |base: &str, after: After| {
        base.len() >= MIN_BASE_LETTERS
            && match after {
                After::Any => true,
                After::Vowel => ends_in_vowel(base),
                After::Consonant => !ends_in_vowel(base),
                After::LetterA => base.ends_with('a'),
            }
    };
    if let Some(pos) = word.rfind(is_apostrophe) {
        let base = latin_letters(&word[..pos]);
        let tail = latin_letters(&word[pos..]);
        if let Some(&(_, bengali, _)) = SUFFIXES
            .iter()
            .find(|&&(latin, _, after)| tail == latin && fits(&base, after))
        {
            out.push((base, Some(bengali)));
        }
        return out;
    }
    for &(latin, bengali, after) in SUFFIXES {
        if let Some(base) = letters.strip_suffix(latin) {
            if fits(base, after) {
                out.push((base.to_string(), Some(bengali)));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Aliases
// ---------------------------------------------------------------------------------------

/// Latin spellings whose Bengali is not what the phonetic rules give: names, places,
/// loanwords, English words and religious terms common in the news. Keys are lower-case
/// ASCII letters, sorted by byte order (lookup is a binary search); values are in
/// [`normalise_for_search`] form, most common spelling first. The tests check all of
/// this. Edit freely; for a table that changes at run time see [`Transliterator`].
pub const ALIASES: &[(&str, &[&str])] = &[
    ("afghanistan", &["আফগানিস্তান"]),
    ("allah", &["আল্লাহ"]),
    ("america", &["যুক্তরাষ্ট্র", "আমেরিকা"]),
    ("army", &["সেনাবাহিনী"]),
    ("awami", &["আও\u{9DF}ামী"]),
    ("bangabandhu", &["বঙ্গবন্ধু"]),
    ("bangladesh", &["বাংলাদেশ"]),
    ("biden", &["বাইডেন"]),
    ("bnp", &["বিএনপি"]),
    ("bogra", &["বগু\u{9DC}া"]),
    ("bogura", &["বগু\u{9DC}া"]),
    ("britain", &["ব্রিটেন", "যুক্তরাজ্য"]),
    ("buddha", &["বুদ্ধ"]),
    ("calcutta", &["কলকাতা"]),
    ("chattogram", &["চট্টগ্রাম"]),
    ("china", &["চীন"]),
    ("chittagong", &["চট্টগ্রাম"]),
    ("christian", &["খ্রিষ্টান", "খ্রিস্টান"]),
    ("christmas", &["ব\u{9DC}দিন", "ক্রিসমাস"]),
    ("church", &["গির্জা", "চার্চ"]),
    ("comilla", &["কুমিল্লা"]),
    ("corona", &["করোনা"]),
    ("court", &["আদালত"]),
    ("covid", &["কোভিড", "করোনা"]),
    ("cricket", &["ক্রিকেট"]),
    ("cumilla", &["কুমিল্লা"]),
    ("delhi", &["দিল্লি"]),
    ("dhaka", &["ঢাকা"]),
    ("dollar", &["ডলার"]),
    ("durga", &["দুর্গা"]),
    ("eid", &["ঈদ"]),
    ("election", &["নির্বাচন"]),
    ("erdogan", &["এরদো\u{9DF}ান"]),
    ("football", &["ফুটবল"]),
    ("gaza", &["গাজা"]),
    ("gazipur", &["গাজীপুর"]),
    ("government", &["সরকার"]),
    ("hadis", &["হাদিস"]),
    ("hadith", &["হাদিস"]),
    ("haj", &["হজ", "হজ্জ"]),
    ("hajj", &["হজ", "হজ্জ"]),
    ("hasina", &["হাসিনা"]),
    ("hindu", &["হিন্দু"]),
    ("hospital", &["হাসপাতাল"]),
    ("india", &["ভারত"]),
    ("iran", &["ইরান"]),
    ("iraq", &["ইরাক"]),
    ("islam", &["ইসলাম"]),
    ("israel", &["ইসরা\u{9DF}েল", "ইসরাইল"]),
    ("jamaat", &["জামা\u{9DF}াত"]),
    ("jamat", &["জামা\u{9DF}াত"]),
    ("japan", &["জাপান"]),
    ("jashore", &["যশোর"]),
    ("jerusalem", &["জেরুজালেম"]),
    ("jessore", &["যশোর"]),
    ("jesus", &["যিশু", "যীশু"]),
    ("jumma", &["জুমা", "জুমআ"]),
    ("jummah", &["জুমা", "জুমআ"]),
    ("kaba", &["কাবা"]),
    ("khaleda", &["খালেদা"]),
    ("khulna", &["খুলনা"]),
    ("kolkata", &["কলকাতা"]),
    ("koran", &["কোরআন", "কুরআন"]),
    ("kurbani", &["কোরবানি"]),
    ("league", &["লীগ", "লিগ"]),
    ("madina", &["মদিনা"]),
    ("madrasa", &["মাদ্রাসা"]),
    ("madrasah", &["মাদ্রাসা"]),
    ("madrasha", &["মাদ্রাসা"]),
    ("makka", &["মক্কা"]),
    ("makkah", &["মক্কা"]),
    ("masjid", &["মসজিদ"]),
    ("mecca", &["মক্কা"]),
    ("medina", &["মদিনা"]),
    ("minister", &["মন্ত্রী"]),
    ("modi", &["মোদি", "মোদী"]),
    ("mohammad", &["মুহাম্মদ", "মোহাম্মদ"]),
    ("mohammed", &["মুহাম্মদ", "মোহাম্মদ"]),
    ("mosjid", &["মসজিদ"]),
    ("mosque", &["মসজিদ"]),
    ("muhammad", &["মুহাম্মদ", "মোহাম্মদ"]),
    ("mujib", &["মুজিব"]),
    ("muslim", &["মুসলিম", "মুসলমান"]),
    ("myanmar", &["মি\u{9DF}ানমার"]),
    ("mymensingh", &["ম\u{9DF}মনসিংহ"]),
    ("namaj", &["নামাজ"]),
    ("namaz", &["নামাজ"]),
    ("narayanganj", &["নারা\u{9DF}ণগঞ্জ"]),
    ("netanyahu", &["নেতানি\u{9DF}াহু"]),
    ("obama", &["ওবামা"]),
    ("pakistan", &["পাকিস্তান"]),
    ("palestine", &["ফিলিস্তিন"]),
    ("police", &["পুলিশ"]),
    ("pooja", &["পূজা"]),
    ("president", &["রাষ্ট্রপতি", "প্রেসিডেন্ট"]),
    ("puja", &["পূজা"]),
    ("putin", &["পুতিন"]),
    ("quran", &["কোরআন", "কুরআন"]),
    ("qurbani", &["কোরবানি"]),
    ("rajshahi", &["রাজশাহী"]),
    ("ramadan", &["রমজান", "রমাদান"]),
    ("ramjan", &["রমজান"]),
    ("ramzan", &["রমজান"]),
    ("rangpur", &["রংপুর"]),
    ("romjan", &["রমজান"]),
    ("russia", &["রাশি\u{9DF}া"]),
    ("saudi", &["সৌদি"]),
    ("school", &["স্কুল", "বিদ্যাল\u{9DF}"]),
    ("sylhet", &["সিলেট"]),
    ("syria", &["সিরি\u{9DF}া"]),
    ("tarek", &["তারেক"]),
    ("tarique", &["তারেক"]),
    ("temple", &["মন্দির"]),
    ("trump", &["ট্রাম্প"]),
    ("uk", &["যুক্তরাজ্য"]),
    ("ukraine", &["ইউক্রেন"]),
    ("umra", &["ওমরাহ", "উমরাহ"]),
    ("umrah", &["ওমরাহ", "উমরাহ"]),
    ("university", &["বিশ্ববিদ্যাল\u{9DF}"]),
    ("usa", &["যুক্তরাষ্ট্র"]),
    ("vaccine", &["টিকা"]),
    ("waz", &["ও\u{9DF}াজ"]),
    ("yunus", &["ইউনূস"]),
    ("zakat", &["যাকাত", "জাকাত"]),
    ("zelensky", &["জেলেনস্কি"]),
    ("zia", &["জি\u{9DF}া"]),
];

/// The built-in aliases ([`ALIASES`]) of a Latin word, matched case-insensitively with
/// apostrophes ignored, or an empty slice. The values are in [`normalise_for_search`]
/// form.
pub fn aliases(word: &str) -> &'static [&'static str] {
    if !is_latin_word(word) {
        return &[];
    }
    let key = latin_letters(word);
    ALIASES
        .binary_search_by(|(k, _)| k.cmp(&key.as_str()))
        .map_or(&[], |i| ALIASES[i].1)
}

// ---------------------------------------------------------------------------------------
// Candidates
// ---------------------------------------------------------------------------------------

/// Makes [`candidates`], optionally with an extra alias table on top of [`ALIASES`]
/// (names an editor adds, say, loaded by the caller).
///
/// ```
/// use std::collections::HashMap;
/// use bangla::banglish::Transliterator;
///
/// let t = Transliterator::with_aliases(HashMap::from([(
///     "Khobor".to_string(),
///     vec!["খবর".to_string()],
/// )]));
/// assert_eq!(t.candidates("khobor", 5)[0], "খবর");
/// assert_eq!(Transliterator::new().candidates("dhaka", 5)[0], "ঢাকা");
/// ```
#[derive(Debug, Clone, Default)]
pub struct Transliterator {
    /// Lower-case Latin key → Bengali values in [`normalise_for_search`] form.
    extra_aliases: HashMap<String, Vec<String>>,
}

impl Transliterator {
    /// No extra aliases: the same as the free functions.
    pub fn new() -> Self {
        Self::default()
    }

    /// With an extra alias table: Latin word (matched case-insensitively, apostrophes
    /// ignored) → Bengali spellings, most common first. The spellings are normalised
    /// here, once, and come before the built-in aliases.
    pub fn with_aliases(map: HashMap<String, Vec<String>>) -> Self {
        let extra_aliases = map
            .into_iter()
            .map(|(latin, bengali)| {
                let bengali = bengali.iter().map(|b| normalise_for_search(b)).collect();
                (latin_letters(&latin), bengali)
            })
            .filter(|(latin, _)| !latin.is_empty())
            .collect();
        Transliterator { extra_aliases }
    }

    /// The extra aliases of `word`, then the built-in ones ([`aliases`]).
    pub fn aliases(&self, word: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        if is_latin_word(word) {
            if let Some(extra) = self.extra_aliases.get(&latin_letters(word)) {
                out.extend(extra.iter().cloned());
            }
        }
        out.extend(aliases(word).iter().map(|s| s.to_string()));
        out
    }

    /// All Bengali candidates for one Latin query word; see [`candidates`].
    pub fn candidates(&self, word: &str, max: usize) -> Vec<String> {
        let mut out = Candidates {
            list: Vec::new(),
            max,
        };
        if max == 0 || !is_latin_word(word) {
            return out.list;
        }
        let letters = latin_letters(word);
        let splits = split_suffix(word);
        // 1. Aliases, of the word and of each base with its suffix.
        for (base, suffix) in &splits {
            let suffix = suffix.unwrap_or("");
            out.extend(self.aliases(base).iter().map(|a| format!("{a}{suffix}")));
        }
        // 2. The Avro transliteration, of the word and of each base with its suffix.
        for (base, suffix) in &splits {
            out.push(format!("{}{}", transliterate(base), suffix.unwrap_or("")));
        }
        // 3. Dictionary suggestions, for the word as typed and for Avro respellings of
        //    it (upodesh knows borishal, not barishal). upodesh's search grows with the
        //    word's ambiguity (sh-o-ng-kh-a-l-o-gh-u takes it half a millisecond), so
        //    long words are looked up once.
        out.extend(suggestions(&letters, max));
        if letters.len() <= MAX_VARIANT_LETTERS {
            for variant in avro_variants(&letters) {
                out.extend(suggestions(&variant, 3));
            }
        }
        // 4. A final "o"/"a" that stands for the inherent vowel (dhormo ধর্ম).
        for (base, suffix) in &splits {
            if let Some(short) = drop_final_vowel(base) {
                out.push(format!("{}{}", transliterate(short), suffix.unwrap_or("")));
            }
        }
        // 5. Suggestions for each base, with its suffix.
        for (base, suffix) in &splits {
            if let Some(suffix) = suffix {
                let found = suggestions(base, 3);
                out.extend(found.into_iter().map(|s| format!("{s}{suffix}")));
            }
        }
        out.list
    }
}

/// All Bengali candidates for one Latin query word, best first, deduplicated, at most
/// `max`, in [`normalise_for_search`] form: the aliases ([`aliases`]), the Avro
/// transliteration ([`transliterate`]) and dictionary suggestions ([`suggestions`], also
/// for Avro respellings such as `barishal` → `borishal`), each for the word and for every
/// base of [`split_suffix`] with its Bengali suffix put back (`putiner` → পুতিন + ের),
/// then the transliteration without a final inherent-vowel letter (`dhormo` → ধর্ম).
/// Only plausible Bengali words are kept (no Latin left over, no two vowel signs in a
/// row). Non-Latin words give none. Uses no extra aliases; see [`Transliterator`].
pub fn candidates(word: &str, max: usize) -> Vec<String> {
    Transliterator::new().candidates(word, max)
}

/// An ordered, deduplicated, bounded list of candidates in search form.
struct Candidates {
    list: Vec<String>,
    max: usize,
}

impl Candidates {
    fn push(&mut self, candidate: String) {
        if self.list.len() >= self.max {
            return;
        }
        let candidate = normalise_for_search(&candidate);
        if is_plausible(&candidate) && !self.list.contains(&candidate) {
            self.list.push(candidate);
        }
    }

    fn extend(&mut self, candidates: impl IntoIterator<Item = String>) {
        for c in candidates {
            self.push(c);
        }
    }
}

/// At most this many Avro respellings are asked about ([`avro_variants`]).
const MAX_VARIANTS: usize = 3;

/// Longest word, in letters, whose Avro respellings are asked about.
const MAX_VARIANT_LETTERS: usize = 10;

/// Avro respellings of lower-case Latin letters, other than the letters themselves:
/// with the rewrites of [`phonetic_regex`] (`gyan` → `ggan`), then with non-initial
/// `a`s read as the inherent vowel `o` (`barishal` → `borishol`, `borishal`, …).
fn avro_variants(letters: &str) -> Vec<String> {
    let prepared = prepare_latin(letters);
    // Single "a"s after the first letter and not part of ai/au/aa.
    let positions: Vec<usize> = prepared
        .bytes()
        .enumerate()
        .filter(|&(i, c)| c == b'a' && i > 0 && !prepared[..i].ends_with('a'))
        .filter(|&(i, _)| !prepared[i + 1..].starts_with(['a', 'i', 'u']))
        .map(|(i, _)| i)
        .collect();
    let with_o = |at: &[usize]| -> String {
        let mut bytes = prepared.clone().into_bytes();
        for &i in at {
            bytes[i] = b'o';
        }
        String::from_utf8(bytes).unwrap_or_default()
    };
    let mut out: Vec<String> = Vec::new();
    let mut add = |v: String| {
        if v != letters && !out.contains(&v) && out.len() < MAX_VARIANTS {
            out.push(v);
        }
    };
    add(prepared.clone());
    if !positions.is_empty() {
        add(with_o(&positions));
        for &i in &positions {
            add(with_o(&[i]));
        }
    }
    out
}

/// `base` without a final `o` or `a` after a consonant, if at least three letters remain.
fn drop_final_vowel(base: &str) -> Option<&str> {
    let short = base.strip_suffix(['o', 'a'])?;
    (short.len() >= MIN_BASE_LETTERS && !ends_in_vowel(short)).then_some(short)
}

/// A Bengali vowel sign (kar).
fn is_vowel_sign(c: char) -> bool {
    matches!(
        c,
        '\u{09BE}'..='\u{09C4}' | '\u{09C7}' | '\u{09C8}' | '\u{09CB}' | '\u{09CC}'
    )
}

/// Whether a candidate is a Bengali word that could be written: only Bengali, not
/// starting with a sign, no vowel sign or hasanta right after a vowel sign. Suggestions
/// for partial inputs sometimes break these rules (পুটিেং).
fn is_plausible(word: &str) -> bool {
    let mut prev: Option<char> = None;
    for c in word.chars() {
        if !('\u{0980}'..='\u{09FF}').contains(&c) {
            return false;
        }
        let mark =
            is_vowel_sign(c) || matches!(c, '\u{0981}'..='\u{0983}' | '\u{09BC}' | '\u{09CD}');
        let after_sign_ok = matches!(c, '\u{0981}'..='\u{0983}');
        match prev {
            None if mark => return false,
            Some(p) if mark && is_vowel_sign(p) && !after_sign_ok => return false,
            _ => {}
        }
        prev = Some(c);
    }
    prev.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the regex of `word` matches the whole `term`.
    fn matches(word: &str, term: &str) -> bool {
        let re = phonetic_regex(word).unwrap_or_else(|| panic!("no regex for {word}"));
        let re = regex::Regex::new(&format!("^(?:{re})$"))
            .unwrap_or_else(|e| panic!("bad regex for {word}: {e}"));
        re.is_match(&normalise_for_search(term))
    }

    fn is_search_form(s: &str) -> bool {
        normalise_for_search(s) == s
    }

    #[test]
    fn latin_words() {
        for w in ["dhaka", "Dhaka", "PUTIN", "putin'er", "putin’er", "a"] {
            assert!(is_latin_word(w), "{w}");
        }
        for w in [
            "",
            "'",
            "''",
            "123",
            "5g",
            "ঢাকা",
            "dhakaর",
            "dhaka-r",
            "dha ka",
            "café",
        ] {
            assert!(!is_latin_word(w), "{w}");
        }
    }

    #[test]
    fn transliteration() {
        assert_eq!(transliterate("ami"), "আমি");
        assert_eq!(transliterate("bangladesh"), "বাংলাদেশ");
        assert_eq!(transliterate("Ami"), "আমি", "lower-cased first");
        assert_eq!(transliterate("putin'er"), "পুতিনের", "apostrophe dropped");
        assert_eq!(transliterate("dhakaর"), "ধাকার", "Bengali kept");
        assert_eq!(transliterate(""), "");
        // য় comes out as one code point, the form normalise gives.
        let t = transliterate("dhakay");
        assert_eq!(t, "ধাকা\u{9DF}");
        assert_eq!(normalise(&t), t);
    }

    #[test]
    fn regex_matches_the_intended_words() {
        for (word, term) in [
            ("dhaka", "ঢাকা"),
            ("putin", "পুতিন"),
            ("boithok", "বৈঠক"),
            ("shikkha", "শিক্ষা"),
            ("nirbachon", "নির্বাচন"),
            ("bangladesh", "বাংলাদেশ"),
            ("ami", "আমি"),
            // Loose typing.
            ("sorkar", "সরকার"),
            ("sarkar", "সরকার"),
            ("ramzan", "রমজান"),
            ("shadhinota", "স্বাধীনতা"),
            ("gyan", "জ্ঞান"),
            ("chowdhury", "চৌধুরী"),
            ("dua", "দো\u{9DF}া"),
            ("kota", "কথা"),
            ("poster", "পোস্টার"),
            ("master", "মাস্টার"),
            ("saudi", "সৌদি"),
            ("chand", "চাঁদ"),
            ("juddho", "যুদ্ধ"),
            ("Dhaka", "ঢাকা"),
            ("dhakaaa", "ঢাকা"),
        ] {
            assert!(matches(word, term), "{word} should match {term}");
        }
    }

    #[test]
    fn regex_matches_inflected_forms_and_bases() {
        for (word, term) in [
            ("dhaka", "ঢাকার"),
            ("dhaka", "ঢাকা\u{9DF}"),
            ("dhakay", "ঢাকা\u{9DF}"),
            ("dhakai", "ঢাকা\u{9DF}"),
            ("dhakai", "ঢাকা"),
            ("putiner", "পুতিনের"),
            ("putiner", "পুতিন"),
            ("bangladesher", "বাংলাদেশ"),
            ("manushera", "মানুষ"),
            ("chhatrora", "ছাত্ররা"),
            ("putin'er", "পুতিনের"),
        ] {
            assert!(matches(word, term), "{word} should match {term}");
        }
    }

    #[test]
    fn regex_is_selective() {
        for (word, term) in [
            ("putin", "পাকিস্তান"),
            ("dhaka", "ঢাকনা"),
            ("boithok", "বৈশাখ"),
            ("shikkha", "শিশু"),
        ] {
            assert!(!matches(word, term), "{word} should not match {term}");
        }
    }

    #[test]
    fn regex_is_in_index_form() {
        for word in [
            "dhakay", "boier", "ramgarh", "rapper", "zz", "y", "nixon", "rawza",
        ] {
            let re = phonetic_regex(word).unwrap();
            assert!(
                !re.contains(['\u{200C}', '\u{200D}']),
                "{word}: joiner in {re}"
            );
            for decomposed in ["য\u{9BC}", "ড\u{9BC}", "ঢ\u{9BC}"] {
                assert!(!re.contains(decomposed), "{word}: decomposed nukta in {re}");
            }
            assert!(!re.contains(['^', '$']), "{word}: anchor in {re}");
        }
        // Terms with a single-code-point য় match; their decomposed spelling is not an
        // index term.
        assert!(matches("dhakay", "ঢাকা\u{9DF}"));
        let re = regex::Regex::new(&format!("^(?:{})$", phonetic_regex("dhakay").unwrap()));
        assert!(!re.unwrap().is_match("ঢাকায\u{9BC}"));
    }

    #[test]
    fn regex_for_odd_input() {
        assert_eq!(phonetic_regex(""), None);
        assert_eq!(phonetic_regex("123"), None);
        assert_eq!(phonetic_regex("'"), None);
        assert_eq!(phonetic_regex("dhakaর"), None);
        assert_eq!(phonetic_regex("ঢাকা"), None);
        assert_eq!(phonetic_regex(&"a".repeat(200)), None);
        assert_eq!(phonetic_regex(&"ab".repeat(100)), None);
        assert!(phonetic_regex(&"k".repeat(MAX_LETTERS)).is_some());
        // Every Latin input of up to MAX_LETTERS letters gives a regex that compiles.
        let mut words: Vec<String> = ('a'..='z').map(String::from).collect();
        words.extend(
            [
                "'a", "a'", "o'", "x'er", "qqq", "ngkkh", "rri", "tth", "zzh", "aaa",
            ]
            .map(String::from),
        );
        words.push("abcdefghijklmnopqrstuvwx".to_string());
        words.push("shohojogitamulok".to_string());
        for w in words {
            let re = phonetic_regex(&w).unwrap();
            regex::Regex::new(&format!("^(?:{re})$")).unwrap_or_else(|e| panic!("{w}: {e}"));
        }
    }

    #[test]
    fn suffix_splitting() {
        let split = |w: &str| split_suffix(w);
        let has = |w: &str, base: &str, suffix: &str| {
            split(w)
                .iter()
                .any(|(b, s)| b == base && *s == Some(suffix))
        };
        assert_eq!(split("putiner")[0], ("putiner".to_string(), None));
        assert!(has("putiner", "putin", "ের"));
        assert!(has("dhakay", "dhaka", "\u{9DF}"));
        assert!(has("dhakai", "dhaka", "\u{9DF}"));
        assert!(has("dhakar", "dhaka", "র"));
        assert!(has("bangladesher", "bangladesh", "ের"));
        assert!(has("namajer", "namaj", "ের"));
        assert!(has("manushera", "manush", "েরা"));
        assert!(has("chhatrora", "chhatro", "রা"));
        assert!(has("chatrara", "chatra", "রা"));
        assert!(has("shishuder", "shishu", "দের"));
        assert!(has("manushke", "manush", "কে"));
        assert!(has("barite", "bari", "তে"));
        assert!(has("deshgulo", "desh", "গুলো"));
        assert!(has("bharotiyo", "bharot", "ী\u{9DF}"));
        assert!(has("Putiner", "putin", "ের"));
        // Not after the wrong kind of letter, and the base keeps three letters.
        assert!(!has("dhakaer", "dhaka", "ের"));
        assert!(!has("putinr", "putin", "র"));
        assert_eq!(split("ker"), vec![("ker".to_string(), None)]);
        assert_eq!(split("dar"), vec![("dar".to_string(), None)]);
        // An apostrophe says where the suffix is.
        assert_eq!(
            split("putin'er"),
            vec![
                ("putiner".to_string(), None),
                ("putin".to_string(), Some("ের"))
            ]
        );
        assert_eq!(split("putin'xyz"), vec![("putinxyz".to_string(), None)]);
        assert!(split("ঢাকার").is_empty());
        assert!(split("").is_empty());
    }

    #[test]
    fn alias_lookup() {
        assert_eq!(aliases("trump"), &["ট্রাম্প"]);
        assert_eq!(aliases("Trump"), aliases("TRUMP"));
        assert_eq!(aliases("quran"), aliases("koran"));
        assert_eq!(aliases("hajj"), aliases("haj"));
        assert_eq!(aliases("ramzan"), &["রমজান"]);
        assert_eq!(aliases("ramadan")[0], "রমজান");
        assert_eq!(aliases("Ramadan'"), aliases("ramadan"));
        assert!(aliases("khobor").is_empty());
        assert!(aliases("ঢাকা").is_empty());
        assert!(aliases("").is_empty());
    }

    #[test]
    fn alias_table_is_well_formed() {
        assert!(ALIASES.len() >= 60);
        for pair in ALIASES.windows(2) {
            assert!(
                pair[0].0 < pair[1].0,
                "not sorted: {} {}",
                pair[0].0,
                pair[1].0
            );
        }
        for (key, values) in ALIASES {
            assert!(
                !key.is_empty() && key.bytes().all(|b| b.is_ascii_lowercase()),
                "{key}"
            );
            assert!(!values.is_empty(), "{key}");
            for v in *values {
                assert!(is_search_form(v), "{key}: {v:?} is not in search form");
                assert!(is_plausible(v), "{key}: {v:?}");
            }
        }
    }

    #[test]
    fn candidates_are_ordered_deduplicated_and_bounded() {
        assert_eq!(candidates("dhaka", 10)[0], "ঢাকা");
        assert_eq!(candidates("Hajj", 10)[0], "হজ");
        assert!(candidates("putiner", 10).contains(&"পুতিনের".to_string()));
        assert!(candidates("dhakay", 10).contains(&"ঢাকা\u{9DF}".to_string()));
        assert!(candidates("dhormo", 10).contains(&"ধর্ম".to_string()));
        assert!(candidates("ami", 10).contains(&"আমি".to_string()));
        for word in [
            "dhaka",
            "putiner",
            "bangladesher",
            "shikkha",
            "ramzan",
            "a",
            "zzz",
        ] {
            let all = candidates(word, 50);
            let mut unique = all.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), all.len(), "{word}: {all:?}");
            for max in [0, 1, 2, 3] {
                let some = candidates(word, max);
                assert!(some.len() <= max);
                assert_eq!(some, all[..some.len()], "{word}: a prefix of the full list");
            }
        }
    }

    #[test]
    fn outputs_are_in_search_form() {
        for word in [
            "dhakay", "mayer", "boier", "bari", "pahar", "rapper", "rawza", "ashaRh",
        ] {
            for c in candidates(word, 30).iter().chain(&suggestions(word, 30)) {
                assert!(is_search_form(c), "{word}: {c:?}");
                assert!(is_plausible(c), "{word}: {c:?}");
            }
            let t = transliterate(word);
            assert_eq!(normalise(&t), t);
        }
    }

    #[test]
    fn suggestions_from_the_dictionary() {
        let s = suggestions("ami", 10);
        assert!(s.contains(&"আমি".to_string()), "{s:?}");
        assert_eq!(s[0], "আমি", "the transliteration first");
        assert_eq!(
            suggestions("sari", 20),
            suggestions("sari", 20),
            "deterministic"
        );
        assert!(suggestions("sari", 2).len() <= 2);
        assert!(suggestions("ami", 0).is_empty());
        assert!(suggestions("আমি", 5).is_empty());
    }

    #[test]
    fn extra_aliases_come_first() {
        let t = Transliterator::with_aliases(HashMap::from([
            ("Khobor".to_string(), vec!["খবর".to_string()]),
            // Given decomposed, stored composed.
            ("dhakay".to_string(), vec!["ঢাকায\u{9BC}".to_string()]),
            ("".to_string(), vec!["কিছু".to_string()]),
        ]));
        assert_eq!(t.candidates("KHOBOR", 5)[0], "খবর");
        assert_eq!(t.aliases("dhakay"), vec!["ঢাকা\u{9DF}".to_string()]);
        assert_eq!(t.aliases("dhaka"), vec!["ঢাকা".to_string()]);
        assert_eq!(
            Transliterator::new().candidates("khobor", 5),
            candidates("khobor", 5)
        );
    }

    #[test]
    fn odd_input_does_not_panic() {
        let long = "a".repeat(200);
        let mixed = "ab".repeat(100);
        for word in [
            "",
            "'",
            "''",
            "123",
            "5g",
            "dhakaর",
            "ঢাকা",
            "é",
            "a'b'c",
            "o",
            "x",
            &long,
            &mixed,
        ] {
            let _ = transliterate(word);
            let _ = phonetic_regex(word);
            let _ = suggestions(word, 5);
            let _ = split_suffix(word);
            let _ = aliases(word);
            let c = candidates(word, 5);
            assert!(c.len() <= 5);
            if !is_latin_word(word) {
                assert!(c.is_empty(), "{word}: {c:?}");
            }
        }
        assert!(!transliterate(&long).is_empty());
    }
}
