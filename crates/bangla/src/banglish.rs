//! Romanised Bengali ("Banglish") query words → Bengali search candidates.
//!
//! This module owns [`is_latin_word`], [`transliterate`], [`phonetic_regex`],
//! [`suggestions`], [`split_suffix`], [`aliases`], [`candidates`] and [`Transliterator`]
//! (the same, with an extra alias table supplied by the caller). It imports the Avro
//! phonetic rules of `okkhor` and the word list of `upodesh`, both compiled into the
//! binary: no I/O, no async.
//!
//! People type Bengali on phones in Latin letters, loosely: `nirbachon`, `shikkha`,
//! `boithok`, `dhakay`, `putiner`. The search engine turns such a word into Bengali in
//! three ways, all from here:
//!
//! 1. [`phonetic_regex`]: a regular expression matching every Bengali spelling the word
//!    may stand for. The engine runs it over its own term dictionary, so it finds words
//!    no dictionary knows (names, new words). This is the main recall path.
//! 2. [`candidates`]: concrete Bengali words — the alias table ([`aliases`]), the Avro
//!    transliteration ([`transliterate`]) and `upodesh`'s dictionary suggestions
//!    ([`suggestions`]), each also for the word with its Latin inflection split off
//!    ([`split_suffix`]) and the Bengali suffix put back.
//! 3. The engine ranks what it found by document frequency.
//!
//! Every Bengali string that leaves this module is in the form index terms have
//! ([`normalise_for_search`]: single-code-point ড় ঢ় য়, no ZWJ/ZWNJ, ASCII digits), except
//! that [`transliterate`] returns the display form ([`normalise`]).

use std::collections::HashMap;
use std::sync::LazyLock;

use okkhor::parser::Parser;
use okkhor::regex_suggestion::RegexSuggestion;

use crate::normalise::{normalise, normalise_for_search};

/// Longest Latin word (in letters) that [`phonetic_regex`] and [`suggestions`] handle.
/// Real words are far shorter; a longer input gives no regex and no suggestions, which
/// keeps the regex (and the automaton the engine builds from it) small.
pub const MAX_LETTERS: usize = 32;

static PHONETIC: LazyLock<Parser> = LazyLock::new(Parser::new_phonetic);
static REGEX: LazyLock<RegexRules> = LazyLock::new(RegexRules::new);
static SUGGEST: LazyLock<upodesh::avro::Suggest> = LazyLock::new(upodesh::avro::Suggest::new);

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '\u{02BC}')
}

/// Whether a query word is Latin-script (ASCII letters, maybe apostrophes) and so a
/// Banglish candidate. Digits, other scripts and punctuation make it not one.
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
/// The word is lower-cased first: Avro gives capitals a meaning (`D` = ড, `T` = ট, `O` =
/// ও) that people typing on phones do not intend (an auto-capitalised `Dhaka` would
/// otherwise become ঢাকা but `dhaka` ধাকা). Runs of ASCII letters and digits are
/// converted; other characters (a Bengali suffix typed after a Latin word, `dhakaর`) are
/// kept as they are, and ASCII punctuation (apostrophes) is dropped, so Avro's
/// punctuation rules (`.` → `।`) never apply.
pub fn transliterate(word: &str) -> String {
    let mut out = String::with_capacity(word.len() * 3);
    let mut run = String::new();
    for c in word.chars() {
        if c.is_ascii_alphanumeric() {
            run.push(c.to_ascii_lowercase());
            continue;
        }
        if !run.is_empty() {
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

/// `okkhor`'s regex for a Latin word is `^` + (fragment + EXTRA)* + `$`, one fragment per
/// Latin pattern it matched (`dh`, `a`, `k`, `a`), where EXTRA = `(্[যবম])?(্?)([ঃঁ]?)`
/// allows a phala, a hasanta and ঃ/ঁ after each. The fragments and EXTRA are read from
/// `okkhor` itself at start-up (by converting single patterns), so the post-processing
/// follows the crate's output exactly rather than a copy of it.
struct RegexRules {
    converter: RegexSuggestion,
    extra: String,
    /// Fragment (as okkhor writes it) → the Latin pattern it stands for, for the
    /// patterns that get a rewrite.
    kinds: HashMap<String, &'static str>,
}

/// Latin patterns whose okkhor fragments [`RegexRules::rewrite`] changes.
const REWRITTEN: &[&str] = &[
    "a", "ai", "b", "bh", "c", "d", "dh", "e", "g", "gh", "j", "jh", "k", "kh", "o", "p", "r", "t",
    "th", "u",
];

pub(crate) const LOOSE_ASPIRATION: bool = true;
pub(crate) const LOOSE_DEASPIRATION: bool = true;
pub(crate) const LOOSE_INITIAL_E: bool = false;

/// Where a fragment stands in the word.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Position {
    Initial,
    Inner,
    /// Not initial, and followed by a final `r` (English -er: rapper র‍্যাপার).
    BeforeFinalR,
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
            for &latin in REWRITTEN {
                // Initial and non-initial fragments differ for "o" (optional inside a word).
                let initial = body(latin);
                let inner = body(&format!("b{latin}"));
                for fragment in [
                    initial.strip_suffix(extra.as_str()),
                    inner
                        .strip_prefix('ব')
                        .and_then(|s| s.strip_prefix(extra.as_str()))
                        .and_then(|s| s.strip_suffix(extra.as_str())),
                ]
                .into_iter()
                .flatten()
                {
                    kinds.entry(fragment.to_string()).or_insert(latin);
                }
            }
        }
        RegexRules {
            converter,
            extra,
            kinds,
        }
    }

    /// The post-processed okkhor regex of lower-case Latin letters (no anchors).
    fn regex(&self, latin: &str) -> String {
        let raw = self.converter.convert_regex(latin);
        let body = raw
            .strip_prefix('^')
            .and_then(|s| s.strip_suffix('$'))
            .unwrap_or(&raw);
        if self.kinds.is_empty() || !body.ends_with(self.extra.as_str()) {
            // Not the shape we know (a future okkhor?): use it as it is.
            return clean_joiners(body);
        }
        let fragments: Vec<&str> = body.split(self.extra.as_str()).collect();
        // The last piece is the empty string after the final EXTRA.
        let n = fragments.len().saturating_sub(1);
        let kind = |i: usize| fragments.get(i).and_then(|f| self.kinds.get(*f)).copied();
        let mut out = String::with_capacity(body.len() + 64);
        for (i, fragment) in fragments.iter().take(n).enumerate() {
            let position = if i == 0 {
                Position::Initial
            } else if i + 2 == n && kind(i + 1) == Some("r") {
                Position::BeforeFinalR
            } else {
                Position::Inner
            };
            match kind(i) {
                Some(latin) => out.push_str(&Self::rewrite(latin, fragment, position)),
                None => out.push_str(fragment),
            }
            out.push_str(&self.extra);
        }
        clean_joiners(&out)
    }

    /// The replacement for the okkhor `fragment` of Latin pattern `latin`.
    fn rewrite(latin: &str, fragment: &str, position: Position) -> String {
        use Position::*;
        match (latin, position) {
            // Loose Banglish writes the inherent vowel as "a" as often as "o" (ramzan
            // রমজান, parishad পরিষদ, padma পদ্মা), and a word-initial "a" is also অ.
            ("a", Initial) => format!("(?:অ|{fragment})"),
            ("a", _) => format!("(?:{fragment})?"),
            // obaidul ওবায়দুল: "ai" is also া + য়.
            ("ai", _) => format!("(?:{fragment}|[আা]\u{9DF})"),
            // ustad ওস্তাদ, ebadat ইবাদত: initial u/e also stand for ও and ই.
            ("u", Initial) => format!("(?:ও|{fragment})"),
            ("e", Initial) if LOOSE_INITIAL_E => format!("(?:[ইঈ]|{fragment})"),
            // English -er is -ার or -র (rapper র‍্যাপার, computer কম্পিউটার).
            ("e", BeforeFinalR) => format!("(?:া|{fragment})?"),
            // "c" alone is Avro's চ, but in loanwords and names it is ক or স (carbon).
            ("c", _) => "[চছকস]".to_string(),
            // Unaspirated letters typed for aspirated ones (titi তিথি) ...
            ("t", _) if LOOSE_ASPIRATION => "[তটৎথঠ]".to_string(),
            ("d", _) if LOOSE_ASPIRATION => "[দডধঢ]".to_string(),
            ("k", _) if LOOSE_ASPIRATION => "[কখ]".to_string(),
            ("g", _) if LOOSE_ASPIRATION => format!("(?:ঘ|{fragment})"),
            ("p", _) if LOOSE_ASPIRATION => "[পফ]".to_string(),
            ("b", _) if LOOSE_ASPIRATION => "[বভ]".to_string(),
            ("j", _) if LOOSE_ASPIRATION => format!("(?:ঝ|{fragment})"),
            // ... and English spellings with h for unaspirated ones (baghdad বাগদাদ).
            ("th", _) if LOOSE_DEASPIRATION => format!("(?:[তট]|{fragment})"),
            ("dh", _) if LOOSE_DEASPIRATION => format!("(?:[দড]|{fragment})"),
            ("kh", _) if LOOSE_DEASPIRATION => format!("(?:ক|{fragment})"),
            ("gh", _) if LOOSE_DEASPIRATION => format!("(?:গ|{fragment})"),
            ("bh", _) if LOOSE_DEASPIRATION => format!("(?:ব|{fragment})"),
            ("jh", _) if LOOSE_DEASPIRATION => format!("(?:জ|{fragment})"),
            _ => fragment.to_string(),
        }
    }
}

/// Removes ZWJ and ZWNJ from a regex, with the `?` or `[...]` that made them optional:
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

/// Latin rewrites applied before the Avro regex rules, for spellings Avro does not know.
fn prepare_latin(letters: &str) -> String {
    let b = letters.as_bytes();
    let mut out = String::with_capacity(letters.len());
    let is_vowel = |c: u8| matches!(c, b'a' | b'e' | b'i' | b'o' | b'u');
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        match (c, next) {
            // gyan জ্ঞান, bigyan বিজ্ঞান: "gy" is জ্ঞ (or গ্য, which "gg" + the ্য of
            // EXTRA also gives).
            (b'g', Some(b'y')) => {
                out.push_str("gg");
                i += 2;
                continue;
            }
            // chowdhury চৌধুরী: "ow" before a consonant or at the end is ৌ.
            (b'o', Some(b'w')) if b.get(i + 2).is_none_or(|&n| !is_vowel(n)) => {
                out.push_str("ou");
                i += 2;
                continue;
            }
            // A "c" before e, i or y is English soft c (francis ফ্রান্সিস, cinema).
            (b'c', Some(b'e' | b'i' | b'y')) => out.push('s'),
            // A final "y" after a consonant is English spelling for ি/ী (chowdhury).
            (b'y', None) if i > 0 && !is_vowel(b[i - 1]) => out.push('i'),
            _ => out.push(c as char),
        }
        i += 1;
    }
    out
}

/// A regex matching the Bengali spellings a Latin word may stand for, or `None` when the
/// word is not Latin ([`is_latin_word`]) or longer than [`MAX_LETTERS`] letters.
///
/// The syntax is that of the `regex` and `tantivy-fst` crates: groups, alternation,
/// classes and `?` only (no anchors, lookaround or backreferences). It is **anchored
/// implicitly**: the caller matches whole terms (tantivy's `RegexQuery` does; with the
/// `regex` crate wrap it as `^(?:…)$`). The Bengali in it is in index-term form
/// ([`normalise_for_search`]): single-code-point ড় ঢ় য়, and no ZWJ/ZWNJ.
///
/// It is `okkhor`'s Avro regex, post-processed:
/// - the `^…$` anchors are removed (tantivy-fst rejects them);
/// - ZWJ and ZWNJ are removed with the `?`/class that made them optional;
/// - a non-initial `a` may also stand for the inherent vowel (no vowel sign), a
///   word-initial `a` also for অ; a lone `c` is also ক or স;
/// - before conversion, `gy` is read as জ্ঞ, `ow` before a consonant as ৌ and a final
///   `y` after a consonant as `i`.
pub fn phonetic_regex(word: &str) -> Option<String> {
    if !is_latin_word(word) {
        return None;
    }
    let letters = latin_letters(word);
    if letters.len() > MAX_LETTERS {
        return None;
    }
    let mut alternatives: Vec<String> = Vec::new();
    for (base, suffix) in split_suffix(word) {
        if suffix.is_none() || INFLECTED_REGEX {
            let r = REGEX.regex(&prepare_latin(&base));
            if !alternatives.contains(&r) {
                alternatives.push(r);
            }
        }
    }
    let mut out = String::new();
    if alternatives.len() == 1 {
        out.push_str(&alternatives[0]);
    } else {
        out.push_str("(?:");
        out.push_str(&alternatives.join("|"));
        out.push(')');
    }
    if INFLECTED_REGEX {
        out.push_str(SUFFIX_REGEX);
    }
    Some(out)
}

pub(crate) const INFLECTED_REGEX: bool = true;

/// Optional Bengali inflection suffixes after the word, so that `dhaka` also matches the
/// terms ঢাকার, ঢাকায়, ঢাকাকে …
const SUFFIX_REGEX: &str =
    "(?:ে|ের|র|\u{9DF}|\u{9DF}ে|\u{9DF}ের|কে|তে|রা|েরা|দের|েদের|গুলো|গুলোর|গুলোতে|গুলি|টি|টির|টা|টার|ও|ই|েও|েই|রও|সহ)?";

// ---------------------------------------------------------------------------------------
// Dictionary suggestions
// ---------------------------------------------------------------------------------------

/// Dictionary suggestions from `upodesh` (OpenBangla's word list, compiled in), in
/// [`normalise_for_search`] form, deduplicated, at most `max`.
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
    /// The base ends in `a` (dhaka + y / i).
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

/// Shortest base (in letters) a suffix may leave.
const MIN_BASE_LETTERS: usize = 3;

fn ends_in_vowel(base: &str) -> bool {
    base.ends_with(['a', 'e', 'i', 'o', 'u'])
}

/// Latin inflection suffixes people type after a word: `putiner` → (`putin`, ের),
/// `dhakay`/`dhakai` → (`dhaka`, য়), `dhakar` → (`dhaka`, র), `manushera` → (`manush`,
/// েরা), `chhatrora` → (`chhatro`, রা), `-der` দের, `-ke` কে, `-te` তে, `-gulo` গুলো.
///
/// Returns the possible (lower-case Latin base, Bengali suffix) readings, the unsplit word
/// first as (`word`, `None`); the caller tries them all. A suffix is only split off when
/// the base keeps at least three letters. An apostrophe marks the split explicitly
/// (`putin'er`): then only that split (and the unsplit word) is returned. Non-Latin input
/// gives an empty list.
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
        for &(latin, bengali, after) in SUFFIXES {
            if tail == latin && fits(&base, after) {
                out.push((base, Some(bengali)));
                break;
            }
        }
        return out;
    }
    for &(latin, bengali, after) in SUFFIXES {
        if let Some(base) = letters.strip_suffix(latin) {
            if fits(base, after) && !out.iter().any(|(b, s)| b == base && *s == Some(bengali)) {
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
/// loanwords and religious terms common in the news. Keys are lower-case ASCII letters,
/// sorted by byte order; values are in [`normalise_for_search`] form, most common
/// spelling first. The tests check all three. Edit freely.
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
    ("qurbani", &["কোরবানি"]),
    ("quran", &["কোরআন", "কুরআন"]),
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

/// The built-in aliases ([`ALIASES`]) of a Latin word, case-insensitively (apostrophes
/// ignored), or an empty slice. The values are in [`normalise_for_search`] form.
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

/// Builds Bengali candidates for Latin query words, with an optional extra alias table
/// on top of [`ALIASES`] (for example names an editor adds).
///
/// `Transliterator::new()` (or `default()`) has no extra aliases; the free function
/// [`candidates`] uses it. `with_aliases` takes a map from Latin word (matched
/// case-insensitively, apostrophes ignored) to Bengali spellings; they are normalised
/// once, here, and come before the built-in aliases.
#[derive(Debug, Clone, Default)]
pub struct Transliterator {
    extra_aliases: HashMap<String, Vec<String>>,
}

impl Transliterator {
    /// No extra aliases.
    pub fn new() -> Self {
        Self::default()
    }

    /// With an extra alias table (Latin word → Bengali spellings, most common first).
    pub fn with_aliases(map: HashMap<String, Vec<String>>) -> Self {
        let extra_aliases = map
            .into_iter()
            .map(|(latin, bengali)| {
                let bengali = bengali.iter().map(|b| normalise_for_search(b)).collect();
                (latin_letters(&latin), bengali)
            })
            .collect();
        Transliterator { extra_aliases }
    }

    /// The extra aliases of `word` followed by the built-in ones ([`aliases`]), in
    /// [`normalise_for_search`] form.
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
        let mut out = Candidates::new(max);
        if max == 0 || !is_latin_word(word) {
            return out.list;
        }
        let splits = split_suffix(word);
        let letters = latin_letters(word);
        // 1. Aliases, of the word and of each base with its suffix.
        out.extend(self.aliases(&letters));
        for (base, suffix) in &splits {
            if let Some(suffix) = suffix {
                out.extend(self.aliases(base).iter().map(|a| format!("{a}{suffix}")));
            }
        }
        // 2. The Avro transliteration, of the word and of each base with its suffix.
        for (base, suffix) in &splits {
            out.push(format!("{}{}", transliterate(base), suffix.unwrap_or("")));
        }
        // 3. Dictionary suggestions.
        out.extend(suggestions(&letters, max));
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

/// `base` without a final `o` or `a` after a consonant, if at least three letters remain.
fn drop_final_vowel(base: &str) -> Option<&str> {
    let short = base.strip_suffix(['o', 'a'])?;
    (short.len() >= MIN_BASE_LETTERS && !ends_in_vowel(short)).then_some(short)
}

/// An ordered, deduplicated, bounded list of candidates in search form.
struct Candidates {
    list: Vec<String>,
    max: usize,
}

impl Candidates {
    fn new(max: usize) -> Self {
        Candidates {
            list: Vec::new(),
            max,
        }
    }

    fn push(&mut self, candidate: String) {
        if self.list.len() >= self.max {
            return;
        }
        let candidate = normalise_for_search(&candidate);
        // Only Bengali candidates: a Latin leftover is the caller's own word.
        let bengali = candidate
            .chars()
            .any(|c| ('\u{0980}'..='\u{09FF}').contains(&c));
        if bengali && !self.list.contains(&candidate) {
            self.list.push(candidate);
        }
    }

    fn extend(&mut self, candidates: impl IntoIterator<Item = String>) {
        for c in candidates {
            self.push(c);
        }
    }
}

/// All Bengali candidates for one Latin query word, in priority order, deduplicated, at
/// most `max`, in [`normalise_for_search`] form: aliases, the transliteration,
/// `upodesh` suggestions, then the same for the word with its Latin suffix split off
/// ([`split_suffix`]) and the Bengali suffix put back, and the transliteration without a
/// final inherent-vowel letter. Non-Latin words give none. Uses no extra aliases; see
/// [`Transliterator`] for that.
pub fn candidates(word: &str, max: usize) -> Vec<String> {
    Transliterator::new().candidates(word, max)
}
