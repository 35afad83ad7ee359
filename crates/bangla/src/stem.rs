//! A light, rule-based Bengali stemmer for search: it strips case, number, classifier and
//! particle suffixes and the commonest verb endings, so that the inflected forms of a
//! word share one index term (ঢাকা, ঢাকায়, ঢাকার → ঢাকা; দেশ, দেশে, দেশের → দেশ).
//!
//! This module owns [`stem`] and the root list [`PROTECTED`].
//!
//! A stem is an index key, not a dictionary form: all that matters is that the forms of
//! one word get the same key and different words rarely do. The input is a token text
//! from [`crate::tokenise::tokenise`]; tokens that are not wholly Bengali (numbers, Latin
//! words, mixed) are returned unchanged.
//!
//! # Rules, in the order they apply
//!
//! 1. **Spelling fold**: ী → ি, ূ → ু, ঈ → ই, ঊ → উ, and a decomposed ড়/ঢ়/য় is composed.
//!    Both spellings are standard and both are common in news text (সূরা/সুরা,
//!    হাদীস/হাদিস, সরকারী/সরকারি, ঈমান/ইমান), so the key uses the short vowel. Stems are
//!    therefore written with ি and ু (প্রধানমন্ত্রীর → প্রধানমন্ত্রি).
//! 2. **Khanda ta**: a final ৎ becomes ত, because ৎ is written ত before a suffix
//!    (জগৎ, জগতে, জগতের → জগত).
//! 3. **Suffix stripping**, repeated until nothing more applies, so that a chain such as
//!    দেশ + গুলো + তে + ই comes off one piece at a time. At each step the longest suffix
//!    of the table below whose condition holds is removed. "After a vowel" means the rest
//!    ends in a vowel sign or an independent vowel (ignoring a final chandrabindu); "after
//!    a consonant" means it ends in a consonant letter.
//!
//!    | suffixes | what they are | condition on the rest |
//!    |---|---|---|
//!    | -েছিলেন -েছিলো -েছিল -েছেন -েছে -েনি -ছিলেন -ছিল -ছেন -ছে | perfect and progressive verb endings (করেছেন, করছে) | after a consonant |
//!    | -চ্ছিলেন -চ্ছিল -চ্ছেন -চ্ছে | progressive of vowel-final verbs (দেখাচ্ছে) | after a vowel |
//!    | -লেন -তেন -বেন | past, habitual and future honorific (বললেন, করতেন, করবেন) | — |
//!    | -েন | present honorific (করেন) | after a consonant, not V+য় |
//!    | -গুলো -গুলি -সমুহ -টুকু -খানা -খানি -টি -টা | plural and classifiers (দেশগুলো, দেশটি) | — |
//!    | -সহ | postposition "with, including" (ঢাকাসহ, মন্দিরসহ) | — |
//!    | -দের | plural genitive/objective (মানুষদের) | not after -বা (-বাদ words: সংবাদের, প্রতিবাদের) |
//!    | -রা | plural (নেতারা, শিক্ষকরা) | — |
//!    | -েরা | plural after a consonant (মানুষেরা) | after a consonant, not V+য় |
//!    | -কে | objective (মানুষকে) | — |
//!    | -ের | genitive after a consonant (দেশের) | after a consonant, not V+য় |
//!    | -র | genitive after a vowel (ঢাকার) | after a vowel |
//!    | -য়ের | genitive after a vowel (বইয়ের) | after a vowel |
//!    | -ে | locative after a consonant; verb ending (দেশে, বৈঠকে, করে) | after a consonant, not V+য় |
//!    | -য় -য়ে | locative after a vowel (ঢাকায়, পায়ে) | after a vowel |
//!    | -তে | locative after a vowel (বাড়িতে, ভাষাতে) | after a vowel |
//!    | -িয় (-ীয়) | adjective (ধর্মীয় → ধর্ম, ভারতীয় → ভারত) | after a consonant |
//!    | -ই -ও | emphatic and inclusive particles (এখনই, দেশও) | — |
//!    | -াত → -া | not a suffix: a word ending in -াত is cut to -া, because -াতে reads both as -া + -তে (ভাষাতে) and -াত + -ে (আয়াতে); this way both readings give the same key | — |
//!
//!    "Not V+য়" protects words that end in vowel + য় + ে, where the ে belongs to the
//!    word: মেয়ে, বিয়ে, নিয়ে (so মেয়েরা, মেয়ের, মেয়েকে → মেয়ে, never মেয়).
//!    -তে is not removed after a consonant, because there it is nearly always the
//!    locative -ে of a word ending in ত (জান্নাতে, রাতে, ভবিষ্যতে).
//!
//!    Every removal must leave a **minimum stem** of two aksharas (written syllables:
//!    a consonant with its conjuncts and vowel sign, or an independent vowel), not counting
//!    ং ঃ ঁ, and the rest must not end in a hasanta or a nukta. So খেলা keeps its লা,
//!    তারা and সুরা keep their রা, কোটি and মাটি keep their টি, and ঘণ্টা (ঘণ্ + টা) is
//!    never cut inside its conjunct.
//! 4. **Protected roots**: some words end in letters that look like a suffix but belong to
//!    the word (সরকার is not সরকা + র, বৈঠক + ে is not বৈঠ + কে, মসজিদ + ের is not মসজি +
//!    দের). [`PROTECTED`] lists such roots, and any word ending in -পুর (রংপুর,
//!    দিনাজপুর) is one too. A protected word is never cut, and when some sequence of the
//!    removals above (at most four, where "not V+য়" is waived) turns the word into a
//!    protected root, that root is the stem (সরকারের → সরকার, বৈঠকে → বৈঠক, দায়ে → দায়).
//!    The list was gathered from a Bengali news corpus (a word whose -এর genitive occurs
//!    is a consonant-final root; it is listed when the rules would otherwise cut it or
//!    give its forms different keys) and completed by hand. It also holds the pronouns
//!    আমরা and তোমরা, which are not আম/তোম + রা.

use std::collections::HashSet;
use std::sync::OnceLock;

/// Roots whose ending looks like a suffix, in the folded form [`stem`] works on (ি for ী,
/// ু for ূ), sorted by byte order. See rule 4 in the module docs.
pub const PROTECTED: &[&str] = &[
    "অঙ্গিকার",
    "অতিত",
    "অত্যাচার",
    "অধিকার",
    "অধ্যবসায়",
    "অধ্যায়",
    "অনাহার",
    "অনুচ্ছেদ",
    "অনুপাত",
    "অনুষদ",
    "অনেক",
    "অন্ধকার",
    "অন্যায়",
    "অপপ্রচার",
    "অপব্যবহার",
    "অবিচার",
    "অর্থনিতিবিদ",
    "অসহায়",
    "অসুর",
    "অস্বিকার",
    "অহংকার",
    "অহঙ্কার",
    "আঁধার",
    "আইনবিদ",
    "আকার",
    "আখিরাত",
    "আখেরাত",
    "আঘাত",
    "আজাদ",
    "আটক",
    "আত্মিয়",
    "আদায়",
    "আনকাবুত",
    "আবার",
    "আবিষ্কার",
    "আবেদ",
    "আমরা",
    "আমিরাত",
    "আরাফাত",
    "আলমগির",
    "আসাদ",
    "আহমদ",
    "আহমাদ",
    "আহমেদ",
    "আয়াত",
    "ইউক্রেন",
    "ইঙ্গিত",
    "ইতিহাসবিদ",
    "ইফতার",
    "ইবাদাত",
    "ইমানদার",
    "ইরাক",
    "ইস্টার",
    "ইস্তিগফার",
    "ইস্তেগফার",
    "ইয়াজিদ",
    "ইয়াযিদ",
    "ইয়েমেন",
    "উচ্ছেদ",
    "উত্তরাধিকার",
    "উদ্ধার",
    "উদ্ভিদ",
    "উপকার",
    "উপহার",
    "উহুদ",
    "একবার",
    "এবার",
    "এরশাদ",
    "ওফাত",
    "ওহুদ",
    "ওয়ালাদ",
    "ওয়াল্টার",
    "ওয়াহিদ",
    "কক্সবাজার",
    "কমিশনার",
    "কাতার",
    "কাদের",
    "কাফের",
    "কারখানা",
    "কারবার",
    "কারাগার",
    "কালচার",
    "কিলোমিটার",
    "কিশোর",
    "কুকুর",
    "কুটনিতিক",
    "কুমার",
    "কুসংস্কার",
    "কুয়েত",
    "ক্বিরাত",
    "ক্যান্সার",
    "ক্যারিয়ার",
    "ক্যালেন্ডার",
    "খাবার",
    "খালিদ",
    "খেজুর",
    "খয়রাত",
    "গণিত",
    "গাজিপুর",
    "গ্রেপ্তার",
    "গ্রেফতার",
    "চাঁদরাত",
    "চিৎকার",
    "ছেলে",
    "জনপদ",
    "জমায়েত",
    "জমিদার",
    "জাকাত",
    "জান্নাত",
    "জাভেদ",
    "জামাআত",
    "জামাত",
    "জামায়াত",
    "জাহাঙ্গির",
    "জাহিদ",
    "জাহেলিয়াত",
    "জিকির",
    "জিবনাচার",
    "জিহাদ",
    "জুবায়ের",
    "জোরদার",
    "জোয়ার",
    "ট্রান্সজেন্ডার",
    "ঠাকুর",
    "ডলার",
    "ডাক্তার",
    "তওহিদ",
    "তকবির",
    "তাওরাত",
    "তাওহিদ",
    "তাকদির",
    "তাকবির",
    "তাফসির",
    "তাবুক",
    "তালাক",
    "তাহাজ্জুদ",
    "তাহিরপুর",
    "তাহেরপুর",
    "তিলাওয়াত",
    "তেলাওয়াত",
    "তোমরা",
    "তৌহিদ",
    "দরকার",
    "দরবার",
    "দরুদ",
    "দশক",
    "দাউদ",
    "দাওয়াত",
    "দামেশক",
    "দায়",
    "দিনাজপুর",
    "দিনার",
    "দুপুর",
    "দুর্ব্যবহার",
    "দ্বিতিয়বার",
    "ধনসম্পদ",
    "নবুওয়াত",
    "নমরুদ",
    "নাজাত",
    "নাটক",
    "নাটোর",
    "নিকটাত্মিয়",
    "নিপাত",
    "নিশ্চিত",
    "নুসরাত",
    "ন্যায়",
    "ন্যায়বিচার",
    "পণ্ডিত",
    "পদক",
    "পনির",
    "পরিচ্ছদ",
    "পরিবার",
    "পরিষদ",
    "পরিহার",
    "পরোপকার",
    "পর্যায়",
    "পাচার",
    "পাঠক",
    "পাঠাগার",
    "পানাহার",
    "পাপাচার",
    "পিরোজপুর",
    "পুকুর",
    "পুরস্কার",
    "পুষ্টিবিদ",
    "পুস্তক",
    "পোশাক",
    "পোষাক",
    "প্রকার",
    "প্রচার",
    "প্রতিকার",
    "প্রত্যাহার",
    "প্রত্যেক",
    "প্রথমবার",
    "প্রভাত",
    "প্রসাদ",
    "প্রসার",
    "প্রাচির",
    "প্রাসাদ",
    "প্রেমিক",
    "ফটক",
    "ফরিদ",
    "ফরিদপুর",
    "ফরিয়াদ",
    "ফাদার",
    "ফারুক",
    "ফিগার",
    "ফেসবুক",
    "ফোরাত",
    "বরাত",
    "বহিষ্কার",
    "বাংলাবাজার",
    "বাইডেন",
    "বাকের",
    "বাগদাদ",
    "বাজার",
    "বারবার",
    "বিচার",
    "বিচারক",
    "বিচ্ছেদ",
    "বিজগণিত",
    "বিপদ",
    "বিপদাপদ",
    "বিপরিত",
    "বিবাহবিচ্ছেদ",
    "বিবেক",
    "বিভেদ",
    "বিস্তার",
    "বিহার",
    "বুধবার",
    "বৃহস্পতিবার",
    "বৈঠক",
    "ব্যবহার",
    "ব্যভিচার",
    "ব্যাপার",
    "ব্যারাক",
    "ব্রিটেন",
    "ভাংচুর",
    "ভাঙচুর",
    "ভান্ডার",
    "ভাষাবিদ",
    "ভিক্ষুক",
    "মওদুদ",
    "মজিদ",
    "মজুমদার",
    "মণিপুর",
    "মনসুর",
    "মন্ত্রিপরিষদ",
    "মন্দির",
    "মসজিদ",
    "মহাথের",
    "মহিষাসুর",
    "মাখলুকাত",
    "মাগফিরাত",
    "মাজিদ",
    "মানবসম্পদ",
    "মানবাধিকার",
    "মাবরুর",
    "মাবুদ",
    "মাসউদ",
    "মাসুদ",
    "মাহমুদ",
    "মিটার",
    "মিম্বার",
    "মিরপুর",
    "মিল্লাত",
    "মিয়ানমার",
    "মুফাসসির",
    "মুবারক",
    "মুরাদ",
    "মুলক",
    "মুসাফির",
    "মুহম্মদ",
    "মুহাম্মদ",
    "মুহাম্মাদ",
    "মেয়াদ",
    "মোনাজাত",
    "মোবারক",
    "মোমেন",
    "মোহাম্মদ",
    "মোড়ক",
    "ম্যানেজার",
    "ময়ুর",
    "যশোর",
    "যাকাত",
    "যাতায়াত",
    "যিকির",
    "যৌনাচার",
    "রংপুর",
    "রবিবার",
    "রশিদ",
    "রাকাআত",
    "রাকাত",
    "রাজনিতিবিদ",
    "রিজিক",
    "রিসালাত",
    "রিয়াদ",
    "রুশদ",
    "রোজগার",
    "রোজাদার",
    "রোযাদার",
    "লেকচার",
    "লেনদেন",
    "শতক",
    "শনিবার",
    "শবেবরাত",
    "শরিআত",
    "শরির",
    "শহিদ",
    "শাঁখারিবাজার",
    "শাফায়াত",
    "শাহাদাত",
    "শাহেদ",
    "শিকার",
    "শিক্ষাবিদ",
    "শিবির",
    "শিরক",
    "শুক্রবার",
    "শেষবার",
    "শেয়ার",
    "শ্বশুর",
    "সংগিত",
    "সংঘাত",
    "সংসদ",
    "সংসার",
    "সংস্কার",
    "সত্যিকার",
    "সদাচার",
    "সদ্ব্যবহার",
    "সনদ",
    "সমবায়",
    "সম্পদ",
    "সম্পর্কচ্ছেদ",
    "সম্প্রচার",
    "সম্প্রদায়",
    "সরকার",
    "সলাত",
    "সাইদ",
    "সাক্ষাত",
    "সাক্ষাৎকার",
    "সাজ্জাদ",
    "সাফফাত",
    "সাভার",
    "সালাত",
    "সিদ্দিক",
    "সিন্দুক",
    "সিরাত",
    "সুইডেন",
    "সুন্নাত",
    "সেন্টার",
    "সেমিনার",
    "সৈয়দ",
    "সোমবার",
    "স্কয়ার",
    "স্বিকার",
    "সড়ক",
    "হলুদ",
    "হাজার",
    "হামিদ",
    "হায়দার",
    "হিটলার",
    "হিদায়াত",
    "হুজুর",
    "হুসেন",
    "হেইডেন",
    "হেদায়াত",
    "হোসেন",
];

/// How deep the search for a protected root goes (rule 4).
const PROTECTED_SEARCH_DEPTH: u8 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Env {
    Any,
    AfterVowel,
    AfterConsonant,
    /// After a consonant, but not vowel + য় (মেয়ে).
    AfterConsonantNotVowelYa,
    /// The condition of -দের.
    Plural,
}

/// The suffix table of rule 3, longest suffixes first: [`candidates`] tries them in this
/// order, so the first match is the longest (two suffixes of one length never both match).
const SUFFIXES: &[(&str, Env)] = &[
    ("চ্ছিলেন", Env::AfterVowel),
    ("েছিলেন", Env::AfterConsonant),
    ("েছিলো", Env::AfterConsonant),
    ("ছিলেন", Env::AfterConsonant),
    ("চ্ছিল", Env::AfterVowel),
    ("চ্ছেন", Env::AfterVowel),
    ("েছিল", Env::AfterConsonant),
    ("েছেন", Env::AfterConsonant),
    ("গুলো", Env::Any),
    ("গুলি", Env::Any),
    ("সমুহ", Env::Any),
    ("টুকু", Env::Any),
    ("খানা", Env::Any),
    ("খানি", Env::Any),
    ("চ্ছে", Env::AfterVowel),
    ("েছে", Env::AfterConsonant),
    ("ছিল", Env::AfterConsonant),
    ("ছেন", Env::AfterConsonant),
    ("লেন", Env::Any),
    ("তেন", Env::Any),
    ("বেন", Env::Any),
    ("েনি", Env::AfterConsonant),
    ("দের", Env::Plural),
    ("েরা", Env::AfterConsonantNotVowelYa),
    ("য়ের", Env::AfterVowel),
    ("সহ", Env::Any),
    ("িয়", Env::AfterConsonant),
    ("েন", Env::AfterConsonantNotVowelYa),
    ("ছে", Env::AfterConsonant),
    ("টি", Env::Any),
    ("টা", Env::Any),
    ("রা", Env::Any),
    ("কে", Env::Any),
    ("ের", Env::AfterConsonantNotVowelYa),
    ("তে", Env::AfterVowel),
    ("য়ে", Env::AfterVowel),
    ("য়", Env::AfterVowel),
    ("র", Env::AfterVowel),
    ("ে", Env::AfterConsonantNotVowelYa),
    ("ই", Env::Any),
    ("ও", Env::Any),
];

const HASANTA: char = '\u{09CD}';
const NUKTA: char = '\u{09BC}';
const CHANDRABINDU: char = '\u{0981}';
const YYA: char = '\u{09DF}';

/// Returns the stem of `word`, a token text (see the module docs for the rules).
///
/// Never panics, and never returns an empty string for a non-empty word.
pub fn stem(word: &str) -> String {
    if word.is_empty() || !word.chars().all(is_bengali_word_char) {
        return word.to_string();
    }
    let mut w = fold(word);
    if w.ends_with('\u{09CE}') {
        w.pop();
        w.push('\u{09A4}');
    }
    // Removals only shorten the word, so a root can only be reached if one is a prefix.
    if has_protected_prefix(&w) {
        if let Some(root) = find_protected(&w, PROTECTED_SEARCH_DEPTH) {
            return root.to_string();
        }
    }
    // Each step removes at least one character, so this ends.
    loop {
        let next = candidates(&w, false).next();
        match next {
            Some(rest) => w.truncate(rest),
            None => break,
        }
    }
    w
}

/// Bengali letters and marks, and the joiners that may sit inside a Bengali word.
fn is_bengali_word_char(c: char) -> bool {
    matches!(c, '\u{0980}'..='\u{09FF}' | '\u{200C}' | '\u{200D}')
        && !matches!(c, '\u{09E6}'..='\u{09EF}' | '\u{09F2}'..='\u{09FB}' | '\u{09FD}')
}

/// Rule 1: compose nukta letters and fold long vowels to short ones.
fn fold(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        if c == NUKTA {
            let composed = match out.chars().last() {
                Some('\u{09A1}') => Some('\u{09DC}'),
                Some('\u{09A2}') => Some('\u{09DD}'),
                Some('\u{09AF}') => Some(YYA),
                _ => None,
            };
            if let Some(composed) = composed {
                out.pop();
                out.push(composed);
                continue;
            }
        }
        out.push(match c {
            '\u{09C0}' => '\u{09BF}', // ী → ি
            '\u{09C2}' => '\u{09C1}', // ূ → ু
            '\u{0988}' => '\u{0987}', // ঈ → ই
            '\u{098A}' => '\u{0989}', // ঊ → উ
            _ => c,
        });
    }
    out
}

fn is_consonant(c: char) -> bool {
    ('\u{0995}'..='\u{09B9}').contains(&c)
        || matches!(
            c,
            '\u{09CE}' | '\u{09DC}' | '\u{09DD}' | '\u{09DF}' | '\u{09F0}' | '\u{09F1}'
        )
}

fn is_independent_vowel(c: char) -> bool {
    matches!(c, '\u{0985}'..='\u{0994}' | '\u{09E0}' | '\u{09E1}')
}

fn is_vowel_sign(c: char) -> bool {
    ('\u{09BE}'..='\u{09C4}').contains(&c)
        || matches!(
            c,
            '\u{09C7}' | '\u{09C8}' | '\u{09CB}' | '\u{09CC}' | '\u{09E2}' | '\u{09E3}'
        )
}

/// Written syllables: consonants and independent vowels that do not follow a hasanta.
fn aksharas(s: &str) -> usize {
    let mut n = 0;
    let mut prev = None;
    for c in s.chars() {
        if (is_consonant(c) || is_independent_vowel(c)) && prev != Some(HASANTA) {
            n += 1;
        }
        prev = Some(c);
    }
    n
}

fn ends_in_vowel(s: &str) -> bool {
    let mut rev = s.chars().rev();
    let mut last = rev.next();
    if last == Some(CHANDRABINDU) {
        last = rev.next();
    }
    last.is_some_and(|c| is_vowel_sign(c) || is_independent_vowel(c))
}

fn ends_in_consonant(s: &str) -> bool {
    s.chars().next_back().is_some_and(is_consonant)
}

/// Ends in vowel + য় (the য় of মেয়ে, পর্যায়).
fn ends_in_vowel_ya(s: &str) -> bool {
    let mut rev = s.chars().rev();
    rev.next() == Some(YYA)
        && rev
            .next()
            .is_some_and(|c| is_vowel_sign(c) || is_independent_vowel(c))
}

/// Whether `rest` may be left as a stem: two aksharas, and not cut inside a conjunct.
fn valid_rest(rest: &str) -> bool {
    !matches!(
        rest.chars().next_back(),
        None | Some(HASANTA) | Some(NUKTA) | Some('\u{200C}') | Some('\u{200D}')
    ) && aksharas(rest) >= 2
}

fn env_holds(env: Env, rest: &str, relaxed: bool) -> bool {
    match env {
        Env::Any => true,
        Env::AfterVowel => ends_in_vowel(rest),
        Env::AfterConsonant => ends_in_consonant(rest),
        Env::AfterConsonantNotVowelYa => {
            ends_in_consonant(rest) && (relaxed || !ends_in_vowel_ya(rest))
        }
        // -বাদ words: সংবাদ, প্রতিবাদ, মতবাদ, ইসলামাবাদ.
        Env::Plural => !rest.ends_with("বা"),
    }
}

/// The lengths (in bytes) `w` can be cut to by one removal of rule 3, longest suffix
/// first. `relaxed` waives the "not V+য়" condition (used only in the search for a root).
fn candidates(w: &str, relaxed: bool) -> impl Iterator<Item = usize> + '_ {
    let suffixes = SUFFIXES.iter().filter_map(move |&(suffix, env)| {
        let rest = w.strip_suffix(suffix)?;
        (valid_rest(rest) && env_holds(env, rest, relaxed)).then_some(rest.len())
    });
    // -াত → -া (one letter, so after every table suffix)
    let aat = w
        .strip_suffix('\u{09A4}')
        .filter(|rest| rest.ends_with('\u{09BE}') && valid_rest(rest))
        .map(str::len);
    suffixes.chain(aat)
}

/// [`PROTECTED`] as a set, and the length in bytes of its longest root. Every word of a
/// story is checked against it once per prefix while a search index is built: a binary
/// search there was the stemmer's largest cost.
fn protected_roots() -> &'static (HashSet<&'static str>, usize) {
    static ROOTS: OnceLock<(HashSet<&'static str>, usize)> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let longest = PROTECTED.iter().map(|w| w.len()).max().unwrap_or(0);
        (PROTECTED.iter().copied().collect(), longest)
    })
}

/// Rule 4: a protected root.
fn is_protected(w: &str) -> bool {
    protected_roots().0.contains(w) || is_pur_name(w)
}

/// A place name in -পুর (রংপুর, জামালপুর), not the bare word পুর.
fn is_pur_name(w: &str) -> bool {
    w.ends_with(PUR) && aksharas(w) >= 3
}

const PUR: &str = "পুর";

/// Whether some prefix of `w` (or `w` itself) is a protected root: a listed root (no
/// longer than the longest one), or a prefix ending in -পুর.
fn has_protected_prefix(w: &str) -> bool {
    let (roots, longest) = protected_roots();
    w.char_indices()
        .map(|(i, c)| i + c.len_utf8())
        .take_while(|end| end <= longest)
        .any(|end| roots.contains(&w[..end]))
        || w.match_indices(PUR)
            .any(|(i, _)| is_pur_name(&w[..i + PUR.len()]))
}

/// Rule 4: the protected root that `w` is, or that up to `depth` removals reach.
fn find_protected(w: &str, depth: u8) -> Option<&str> {
    if is_protected(w) {
        return Some(w);
    }
    if depth == 0 {
        return None;
    }
    candidates(w, true).find_map(|len| find_protected(&w[..len], depth - 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalise::normalise;

    fn check(cases: &[(&str, &str)]) {
        for &(word, want) in cases {
            assert_eq!(stem(word), want, "stem({word})");
        }
    }

    fn same_stem(words: &[&str]) {
        let first = stem(words[0]);
        for w in words {
            assert_eq!(stem(w), first, "{w} vs {}", words[0]);
        }
    }

    #[test]
    fn brief_examples() {
        same_stem(&["ঢাকা", "ঢাকায়", "ঢাকার", "ঢাকাতে"]);
        assert_eq!(stem("ঢাকায়"), "ঢাকা");
        same_stem(&["হাসিনা", "হাসিনার"]);
        same_stem(&["প্রধানমন্ত্রী", "প্রধানমন্ত্রীর"]);
        same_stem(&["পুতিন", "পুতিনের"]);
        same_stem(&["বৈঠক", "বৈঠকে", "বৈঠকের"]);
        assert_eq!(stem("বৈঠকে"), "বৈঠক");
        same_stem(&["নির্বাচন", "নির্বাচনে", "নির্বাচনের"]);
        assert_eq!(stem("নির্বাচনের"), "নির্বাচন");
        check(&[("দেশ", "দেশ"), ("দেশে", "দেশ"), ("দেশের", "দেশ")]);
        check(&[("মেয়েরা", "মেয়ে"), ("মেয়ের", "মেয়ে"), ("মেয়েকে", "মেয়ে")]);
        check(&[("উত্তর", "উত্তর"), ("উত্তরে", "উত্তর"), ("খেলা", "খেলা")]);
        assert_ne!(stem("খেলা"), "খে");
        check(&[("খেলায়", "খেলা"), ("খেলার", "খেলা")]);
    }

    /// Decision: the adjective ending -ী is not removed (নির্বাচনী stays apart from
    /// নির্বাচন): after the spelling fold it looks like any final ি, and removing it would
    /// merge মন্ত্রী with মন্ত্র, নারী with নার, গতি with গত.
    #[test]
    fn adjective_i_is_kept() {
        assert_eq!(stem("নির্বাচনী"), "নির্বাচনি");
        assert_ne!(stem("মন্ত্রী"), stem("মন্ত্র"));
    }

    #[test]
    fn rule_1_spelling_fold() {
        check(&[
            ("সূরা", "সুরা"),
            ("সুরা", "সুরা"),
            ("হাদীসের", "হাদিস"),
            ("হাদিসের", "হাদিস"),
            ("ঈমানের", "ইমান"),
            ("সরকারী", "সরকারি"),
        ]);
        // decomposed য় (য + nukta) is composed first
        assert_eq!(stem("ঢাকায\u{09BC}"), "ঢাকা");
    }

    #[test]
    fn rule_2_khanda_ta() {
        check(&[
            ("জগৎ", "জগত"),
            ("জগতে", "জগত"),
            ("ভবিষ্যৎ", "ভবিষ্যত"),
            ("ভবিষ্যতে", "ভবিষ্যত"),
        ]);
    }

    #[test]
    fn rule_3_verb_endings() {
        check(&[
            ("করেছিলেন", "কর"), // -েছিলেন
            ("হয়েছিলো", "হয়"),  // -েছিলো
            ("করেছিল", "কর"),   // -েছিল
            ("বলেছেন", "বল"),   // -েছেন
            ("ঘটেছে", "ঘট"),    // -েছে
            ("করেনি", "কর"),    // -েনি
            ("করছিলেন", "কর"),  // -ছিলেন
            ("করছিল", "কর"),    // -ছিল
            ("বলছেন", "বল"),    // -ছেন
            ("চলছে", "চল"),     // -ছে
            ("চালাচ্ছিলেন", "চালা"), // -চ্ছিলেন
            ("দেখাচ্ছিল", "দেখা"), // -চ্ছিল
            ("জানাচ্ছেন", "জানা"),   // -চ্ছেন
            ("চালাচ্ছে", "চালা"),    // -চ্ছে
            ("বললেন", "বল"),    // -লেন
            ("জানালেন", "জানা"),    // -লেন after a vowel
            ("করতেন", "কর"),    // -তেন
            ("করবেন", "কর"),    // -বেন
            ("করেন", "কর"),     // -েন
            ("করে", "কর"),      // -ে
        ]);
    }

    #[test]
    fn rule_3_plural_and_classifiers() {
        check(&[
            ("বিষয়গুলো", "বিষয়"),   // -গুলো
            ("দেশগুলি", "দেশ"),     // -গুলি
            ("দেশসমূহ", "দেশ"),     // -সমূহ (folded -সমুহ)
            ("সময়টুকু", "সময়"),      // -টুকু
            ("হাদিসখানা", "হাদিস"),    // -খানা
            ("একটুখানি", "একটু"),     // -খানি
            ("মসজিদটি", "মসজিদ"),  // -টি
            ("বিষয়টা", "বিষয়"),     // -টা
            ("মুসলমানদের", "মুসলমান"), // -দের
            ("ফেরেশতারা", "ফেরেশতা"), // -রা after a vowel
            ("মুসলিমরা", "মুসলিম"),   // -রা after a consonant
            ("মানুষেরা", "মানুষ"),      // -েরা
        ]);
    }

    #[test]
    fn rule_3_case_endings() {
        check(&[
            ("মানুষকে", "মানুষ"), // -কে
            ("মানুষের", "মানুষ"), // -ের
            ("ঢাকার", "ঢাকা"),    // -র
            ("রোজার", "রোজা"),  // -র
            ("বইয়ের", "বই"),  // -য়ের
            ("ভাইয়ের", "ভাই"),  // -য়ের
            ("দেশে", "দেশ"),  // -ে
            ("গাজায়", "গাজা"),    // -য়
            ("সাহাবায়ে", "সাহাবা"), // -য়ে
            ("বাড়িতে", "বাড়ি"), // -তে
            ("ভাষাতে", "ভাষা"),   // -তে
            ("শুরুতে", "শুরু"),   // -তে
        ]);
        same_stem(&["ভাষা", "ভাষায়", "ভাষাতে", "ভাষার"]);
    }

    #[test]
    fn rule_3_adjective_iyo() {
        check(&[
            ("ধর্মীয়", "ধর্ম"),
            ("ভারতীয়", "ভারত"),
            ("স্থানীয়", "স্থান"),
            ("প্রয়োজনীয়", "প্রয়োজন"),
        ]);
        // too short to cut: প্রিয় (dear) is not প্র + ীয়
        assert_eq!(stem("প্রিয়"), "প্রিয়");
    }

    #[test]
    fn rule_3_postposition_soho() {
        check(&[
            ("ঢাকাসহ", "ঢাকা"),
            ("বাংলাদেশসহ", "বাংলাদেশ"),
            ("মন্দিরসহ", "মন্দির"),
            ("শিশুসহ", "শিশু"),
            ("দুঃসহ", "দুঃসহ"), // too short to cut
        ]);
    }

    #[test]
    fn rule_3_particles() {
        check(&[
            ("অবশ্যই", "অবশ্য"),  // -ই
            ("রমজানেই", "রমজান"), // -ে + -ই
            ("দেশও", "দেশ"),    // -ও
            ("ছাড়াও", "ছাড়া"),      // -ও after a vowel
        ]);
    }

    #[test]
    fn rule_3_aat() {
        // -াতে reads as -া + -তে and as -াত + -ে; cutting -াত to -া makes both agree.
        same_stem(&["হায়াত", "হায়াতে", "হায়াতের"]);
        assert_eq!(stem("হায়াত"), "হায়া");
        same_stem(&["মিশকাত", "মিশকাতের"]);
    }

    #[test]
    fn rule_3_chains() {
        check(&[
            ("দেশগুলোতে", "দেশ"),
            ("দেশগুলোতেও", "দেশ"),
            ("মানুষগুলোর", "মানুষ"),
            ("মসজিদটিতে", "মসজিদ"),
            ("লোকদেরকে", "লোক"),
            ("জায়গাগুলোতে", "জায়গা"),
            ("দেশটির", "দেশ"),
            ("মুসলমানদেরও", "মুসলমান"),
        ]);
    }

    #[test]
    fn rule_3_vowel_ya_e_is_part_of_the_word() {
        check(&[
            ("মেয়ে", "মেয়ে"),
            ("মেয়েদের", "মেয়ে"),
            ("বিয়ে", "বিয়ে"),
            ("বিয়েতে", "বিয়ে"),
            ("নিয়ে", "নিয়ে"),
        ]);
        // a consonant before য় does not protect: সময় + ে
        check(&[("সময়ে", "সময়"), ("বিষয়ে", "বিষয়")]);
    }

    #[test]
    fn rule_3_te_after_consonant_is_locative_e() {
        check(&[("জান্নাতে", "জান্নাত"), ("রাতে", "রাত"), ("ইবাদতে", "ইবাদত")]);
    }

    #[test]
    fn rule_4_protected_roots() {
        check(&[
            ("সরকার", "সরকার"),
            ("সরকারের", "সরকার"),
            ("সরকারকে", "সরকার"),
            ("হাজার", "হাজার"),
            ("বাজারে", "বাজার"),
            ("মসজিদের", "মসজিদ"),
            ("পরিষদের", "পরিষদ"),
            ("আয়াতে", "আয়াত"),
            ("সালাতের", "সালাত"),
            ("আমিরাতের", "আমিরাত"),
            ("দায়ে", "দায়"),
            ("আমরা", "আমরা"),
            ("অনেকে", "অনেক"),
            ("ফেসবুকে", "ফেসবুক"),
            ("হোসেনের", "হোসেন"),
            ("মন্দিরটিতে", "মন্দির"),
        ]);
        // -পুর place names
        check(&[
            ("রংপুরে", "রংপুর"),
            ("মাদারীপুরের", "মাদারিপুর"),
            ("দিনাজপুর", "দিনাজপুর"),
        ]);
    }

    #[test]
    fn rule_3_plural_not_after_ba() {
        check(&[
            ("সংবাদের", "সংবাদ"),
            ("প্রতিবাদের", "প্রতিবাদ"),
            ("মতবাদের", "মতবাদ"),
        ]);
    }

    #[test]
    fn minimum_stem_length() {
        check(&[
            ("তারা", "তারা"),
            ("সুরা", "সুরা"),
            ("কোটি", "কোটি"),
            ("মাটি", "মাটি"),
            ("ঘণ্টা", "ঘণ্টা"),
            ("যাত্রা", "যাত্রা"),
            ("ভাই", "ভাই"),
            ("টি", "টি"),
            ("ও", "ও"),
        ]);
    }

    #[test]
    fn must_not_over_stem() {
        for w in [
            "খেলা",
            "মেয়ে",
            "উত্তর",
            "দেশ",
            "ক্ষমতা",
            "সুরা",
            "তারা",
            "কোটি",
            "মাটি",
            "ঘণ্টা",
            "ভাই",
            "বই",
            "মারা",
            "আলো",
            "ভালো",
            "রাত",
            "হাত",
            "আমরা",
            "ইসলাম",
            "সময়",
            "বিষয়",
            "মন্ত্রণালয়",
            "পুলিশ",
            "আটক",
            "নতুন",
            "মুসলিম",
            "বাংলাদেশ",
            "যাত্রা",
            "নির্বাচন",
            "সরকার",
            "বাজার",
            "হাজার",
            "মন্দির",
            "মসজিদ",
            "সংবাদ",
            "দিন",
            "কাজ",
            "ঢাকা",
            "হাসিনা",
            "পুতিন",
            "বৈঠক",
            "কোরিয়া",
            "দক্ষিণ",
        ] {
            assert_eq!(stem(w), w, "{w}");
        }
    }

    #[test]
    fn non_bengali_tokens_unchanged() {
        check(&[
            ("", ""),
            ("2024", "2024"),
            ("covid", "covid"),
            ("6.5", "6.5"),
            ("abcের", "abcের"),
        ]);
    }

    #[test]
    fn protected_list_is_sorted_folded_and_stable() {
        for pair in PROTECTED.windows(2) {
            assert!(pair[0] < pair[1], "{:?} !< {:?}", pair[0], pair[1]);
        }
        for w in PROTECTED {
            assert_eq!(*w, fold(&normalise(w)), "{w:?}");
            assert_eq!(stem(w), *w, "{w:?}");
        }
    }

    #[test]
    fn suffix_table_is_folded_and_longest_first() {
        for (s, _) in SUFFIXES {
            assert_eq!(*s, fold(s));
        }
        for pair in SUFFIXES.windows(2) {
            assert!(
                pair[0].0.chars().count() >= pair[1].0.chars().count(),
                "{pair:?}"
            );
        }
    }

    mod props {
        use super::super::stem;
        use proptest::prelude::*;

        fn bengali_word() -> impl Strategy<Value = String> {
            proptest::string::string_regex("[\u{0980}-\u{09FF}\u{200C}\u{200D}]{1,16}").unwrap()
        }

        proptest! {
            #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

            #[test]
            fn never_empty_never_longer(w in bengali_word()) {
                let s = stem(&w);
                prop_assert!(!s.is_empty());
                prop_assert!(s.chars().count() <= w.chars().count());
            }

            #[test]
            fn never_panics_on_anything(w in any::<String>()) {
                let s = stem(&w);
                prop_assert_eq!(s.is_empty(), w.is_empty());
            }

            #[test]
            fn stems_of_tokens_are_non_empty(text in "[\u{0980}-\u{09FF}\u{200C}\u{200D} a-zA-Z0-9,.'’-]{0,40}") {
                for t in crate::tokenise::tokenise(&text) {
                    prop_assert!(!stem(&t.text).is_empty());
                }
            }
        }
    }
}
