//! Text normalisation for Bengali: one canonical encoding for text that can be typed in
//! several visually identical ways, so that search, slugs and comparisons see one form.
//!
//! This module owns [`normalise`] (encoding clean-up, safe to store and display) and
//! [`normalise_for_search`] (the stricter, lossy form that index and query terms use).
//!
//! # What [`normalise`] does, in order
//!
//! 1. **NFC** (Unicode canonical composition). NFC already joins a two-part vowel written
//!    as adjacent code points (ে + া → ো) and puts nukta before hasanta, but it *decomposes*
//!    ড় (U+09DC), ঢ় (U+09DD) and য় (U+09DF) into letter + nukta (U+09BC), because they are
//!    composition exclusions; step 4 puts them back.
//! 2. **Invisible and look-alike characters**, in one pass:
//!    - removed: soft hyphen U+00AD, zero-width space U+200B, word joiner U+2060,
//!      LRM U+200E, RLM U+200F, BOM U+FEFF, and the C1 control U+009D (left behind in some
//!      converted text where a conjunct was lost);
//!    - ত + ্ + ZWJ → ৎ (U+09CE): the pre-Unicode-4.1 way to write khanda ta;
//!    - র‍্য (ra + ya-phala, as in র‍্যাব): written as র + ZWJ + ্ + য (the Unicode
//!      recommendation) or, by various keyboards, as র + ্ + ZWJ + য or with ZWNJ in either
//!      place. All of these become the single form **র + ZWJ + ্ + য**. The ZWJ is kept here
//!      because without it the text renders differently (reph on য, "র্যাব"), so this
//!      function stays safe for stored text; [`normalise_for_search`] then drops it so
//!      that র‍্যাব and র্যাব (as people type it on phones) match;
//!    - every other ZWJ and ZWNJ is removed: they only steer the choice between a conjunct
//!      and a visible hasanta, which is not a difference in the word;
//!    - `৷` (U+09F7, a currency numerator often typed for the dari) → `।` (U+0964);
//!    - curly quotes ‘ ’ → `'` and “ ” → `"`.
//!
//!    If this step changed anything, NFC is applied once more, because a removed
//!    character may have kept two others apart that compose.
//! 3. **Mark order** inside each run of combining marks after a letter: nukta first,
//!    then vowel signs and hasanta (in their original order), then chandrabindu,
//!    anusvara and visarga, then marks of other scripts; marks that have a canonical
//!    combining class stay in Unicode's canonical order among themselves (so NFC never
//!    undoes this step). This fixes chandrabindu typed before the vowel sign (চঁাদ →
//!    চাঁদ) and nukta typed after a vowel sign (য + ে + ় → য় + ে).
//! 4. **Compositions**: ড/ঢ/য + nukta → ড়/ঢ়/য় (single code point); ে + া → ো and
//!    ে + ৗ → ৌ (again, for parts that only became adjacent in steps 2–3); অ + া → আ.
//!
//! Nothing else changes (letters, digits, spacing and punctuation stay as they are), and
//! the function is idempotent: `normalise(&normalise(x)) == normalise(x)`.
//!
//! Note that the output is *not* NFC: NFC would split ড় ঢ় য় again. That is deliberate;
//! search and comparisons must always go through this function.
//!
//! # What [`normalise_for_search`] adds
//!
//! Lower-cases every cased letter (Latin and any other cased script), drops the ZWJ of
//! র‍্য, and writes Bengali digits as ASCII digits, so ২০২৪ and 2024 give the same term.

use unicode_normalization::char::{canonical_combining_class, is_combining_mark};
use unicode_normalization::UnicodeNormalization;

const ZWNJ: char = '\u{200C}';
const ZWJ: char = '\u{200D}';
const NUKTA: char = '\u{09BC}';
const HASANTA: char = '\u{09CD}';
const RA: char = '\u{09B0}';
const YA: char = '\u{09AF}';
const TA: char = '\u{09A4}';

/// Normalises Bengali text to one canonical encoding. See the module docs for the steps.
pub fn normalise(text: &str) -> String {
    let nfc: Vec<char> = text.nfc().collect();
    let mut cleaned = clean_invisibles(&nfc);
    if cleaned != nfc {
        // A removed character may have kept two others from composing (a + ZWNJ + ◌́).
        cleaned = cleaned.into_iter().nfc().collect();
    }
    fix_marks(&cleaned)
}

/// The search form of `text`: [`normalise`], then lower case, র‍্য folded to র্য, and
/// Bengali digits written as ASCII digits.
pub fn normalise_for_search(text: &str) -> String {
    if is_search_normal(text) {
        return text.chars().map(fold_digit).collect();
    }
    normalise_for_search_slow(text)
}

/// [`normalise_for_search`] without the fast path.
fn normalise_for_search_slow(text: &str) -> String {
    // Lower-casing first means the later NFC inside `normalise` sees the final letters,
    // which keeps this function idempotent.
    let lowered: String = text.chars().flat_map(char::to_lowercase).collect();
    normalise(&lowered)
        .chars()
        .filter(|&c| c != ZWJ)
        .map(fold_digit)
        .collect()
}

/// Fast path for [`normalise_for_search`] (it runs once per token): true when no step
/// except the digit fold would change `text`, which is the case for nearly every word of
/// clean text. Only lower-case ASCII and Bengali characters qualify; no invisibles or
/// joiners, no nukta or au length mark (they may need composing), no ে + া or অ + া,
/// and every run of Bengali marks already in step-3 order.
pub(crate) fn is_search_normal(text: &str) -> bool {
    let mut prev: Option<char> = None;
    for c in text.chars() {
        let ok = match c {
            'A'..='Z' => false,
            _ if c.is_ascii() => true,
            NUKTA | '\u{09D7}' | '\u{09F7}' => false,
            _ if is_bengali_mark(c) => {
                let in_order =
                    !prev.is_some_and(|p| is_bengali_mark(p) && mark_rank(p) > mark_rank(c));
                let composes = c == '\u{09BE}' && matches!(prev, Some('\u{09C7}' | '\u{0985}'));
                in_order && !composes
            }
            '\u{0980}'..='\u{09FF}' => true,
            _ => false,
        };
        if !ok {
            return false;
        }
        prev = Some(c);
    }
    true
}

/// Bengali digit → ASCII digit; every other character unchanged.
pub(crate) fn fold_digit(c: char) -> char {
    match c {
        '\u{09E6}'..='\u{09EF}' => char::from(b'0' + (c as u32 - 0x09E6) as u8),
        _ => c,
    }
}

/// Characters that carry no text and are dropped everywhere (step 2).
pub(crate) fn is_ignorable(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{200B}' | '\u{2060}' | '\u{200E}' | '\u{200F}' | '\u{FEFF}' | '\u{009D}'
    )
}

/// A Bengali combining mark: signs, nukta, vowel signs, hasanta, au length mark, vocalic
/// vowel signs, sandhi mark.
pub(crate) fn is_bengali_mark(c: char) -> bool {
    matches!(
        c,
        '\u{0981}'..='\u{0983}'
            | '\u{09BC}'
            | '\u{09BE}'..='\u{09C4}'
            | '\u{09C7}'..='\u{09C8}'
            | '\u{09CB}'..='\u{09CD}'
            | '\u{09D7}'
            | '\u{09E2}'..='\u{09E3}'
            | '\u{09FE}'
    )
}

/// Step 2: drop invisibles, resolve ZWJ/ZWNJ, fold dari look-alike and curly quotes.
fn clean_invisibles(chars: &[char]) -> Vec<char> {
    let mut out: Vec<char> = Vec::with_capacity(chars.len());
    for (i, &c) in chars.iter().enumerate() {
        match c {
            _ if is_ignorable(c) => {}
            ZWJ | ZWNJ => {
                let next = chars.get(i + 1).copied();
                let next2 = chars.get(i + 2).copied();
                let next3 = chars.get(i + 3).copied();
                let plain_ya =
                    |ya: Option<char>, after: Option<char>| ya == Some(YA) && after != Some(NUKTA);
                if c == ZWJ && out.ends_with(&[TA, HASANTA]) {
                    // ত্‍ → ৎ
                    out.truncate(out.len() - 2);
                    out.push('\u{09CE}');
                } else if out.last() == Some(&RA) && next == Some(HASANTA) && plain_ya(next2, next3)
                {
                    // র + joiner + ্ + য: keep (as ZWJ) for the ya-phala.
                    out.push(ZWJ);
                } else if out.ends_with(&[RA, HASANTA]) && plain_ya(next, next2) {
                    // র + ্ + joiner + য: move the joiner before the hasanta.
                    out.pop();
                    out.push(ZWJ);
                    out.push(HASANTA);
                }
                // Any other joiner is dropped.
            }
            '\u{09F7}' => out.push('\u{0964}'),
            '\u{2018}' | '\u{2019}' => out.push('\''),
            '\u{201C}' | '\u{201D}' => out.push('"'),
            _ => out.push(c),
        }
    }
    out
}

/// Sort key for step 3: nukta, then vowel signs / hasanta, then the three sign marks.
fn mark_rank(c: char) -> u8 {
    match c {
        NUKTA => 0,
        '\u{0981}'..='\u{0983}' => 2,
        _ if is_bengali_mark(c) => 1,
        _ => 3,
    }
}

/// Any combining mark: Bengali or of another script.
fn is_mark(c: char) -> bool {
    is_bengali_mark(c) || is_combining_mark(c)
}

/// Unicode canonical ordering inside a run of marks: every stretch of marks with a
/// non-zero combining class is stably sorted by class. Without this, moving a nukta
/// forward could leave it after, say, a Latin accent, and NFC would move it back on the
/// next call.
fn canonical_order(run: &mut [char]) {
    let mut i = 0;
    while i < run.len() {
        if canonical_combining_class(run[i]) == 0 {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < run.len() && canonical_combining_class(run[j]) != 0 {
            j += 1;
        }
        run[i..j].sort_by_key(|&m| canonical_combining_class(m));
        i = j;
    }
}

/// Steps 3 and 4: order each run of marks and compose what belongs together.
fn fix_marks(chars: &[char]) -> String {
    let mut out = String::with_capacity(chars.len() * 3);
    let mut base: Option<char> = None; // last character pushed, if it was not a mark
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if !is_mark(c) {
            if let Some(b) = base.take() {
                out.push(b);
            }
            base = Some(c);
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && is_mark(chars[j]) {
            j += 1;
        }
        let mut run: Vec<char> = chars[i..j].to_vec();
        run.sort_by_key(|&m| mark_rank(m)); // stable: keeps the order within a rank
        canonical_order(&mut run);
        let mut run = compose_vowels(&run);
        let mut b = base.take();
        if run.first() == Some(&NUKTA) {
            let composed = match b {
                Some('\u{09A1}') => Some('\u{09DC}'),
                Some('\u{09A2}') => Some('\u{09DD}'),
                Some(YA) => Some('\u{09DF}'),
                _ => None,
            };
            if composed.is_some() {
                b = composed;
                run.remove(0);
            }
        }
        if b == Some('\u{0985}') && run.first() == Some(&'\u{09BE}') {
            b = Some('\u{0986}');
            run.remove(0);
        }
        if let Some(b) = b {
            out.push(b);
        }
        out.extend(run);
        i = j;
    }
    if let Some(b) = base {
        out.push(b);
    }
    out
}

/// ে + া → ো and ে + ৗ → ৌ inside one sorted mark run.
fn compose_vowels(run: &[char]) -> Vec<char> {
    let mut out: Vec<char> = Vec::with_capacity(run.len());
    for &m in run {
        match (out.last(), m) {
            (Some('\u{09C7}'), '\u{09BE}') => {
                out.pop();
                out.push('\u{09CB}');
            }
            (Some('\u{09C7}'), '\u{09D7}') => {
                out.pop();
                out.push('\u{09CC}');
            }
            _ => out.push(m),
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn nfc_then_nukta_letters_recomposed() {
        // ড + ় , ঢ + ়, য + ় → single code points
        assert_eq!(normalise("\u{09A1}\u{09BC}"), "\u{09DC}");
        assert_eq!(normalise("\u{09A2}\u{09BC}"), "\u{09DD}");
        assert_eq!(normalise("\u{09AF}\u{09BC}"), "\u{09DF}");
        assert_eq!(normalise("বড\u{09BC}"), "বড়");
        assert_eq!(normalise("নড\u{09BC}াইলে"), "নড়াইলে");
        assert_eq!(normalise("শোভাযাত্রায\u{09BC}"), "শোভাযাত্রায়");
        // already composed stays composed
        assert_eq!(normalise("\u{09DF}"), "\u{09DF}");
        // nukta on other letters is left alone
        assert_eq!(normalise("ক\u{09BC}"), "ক\u{09BC}");
    }

    #[test]
    fn khanda_ta_from_ta_hasanta_zwj() {
        assert_eq!(normalise("মত\u{09CD}\u{200D}স্য"), "মৎস্য");
        assert_eq!(normalise("লুত\u{09CD}\u{200D}ফর"), "লুৎফর");
        assert_eq!(normalise("উৎসব"), "উৎসব");
        // without ZWJ it is an ordinary conjunct and stays one
        assert_eq!(normalise("ত\u{09CD}স"), "ত\u{09CD}স");
    }

    #[test]
    fn two_part_vowels_composed() {
        assert_eq!(normalise("ফাস\u{09C7}\u{09BE}"), "ফাসো");
        assert_eq!(normalise("চরম\u{09C7}\u{09BE}নাই"), "চরমোনাই");
        assert_eq!(normalise("ম\u{09C7}\u{09D7}লানা"), "মৌলানা");
        // parts separated by a stray ZWNJ
        assert_eq!(normalise("ক\u{09C7}\u{200C}\u{09BE}"), "কো");
        assert_eq!("কো".chars().count(), 2);
    }

    #[test]
    fn a_plus_aa_sign() {
        assert_eq!(normalise("\u{0985}\u{09BE}সতে"), "আসতে");
    }

    #[test]
    fn mark_order() {
        // chandrabindu before the vowel sign
        assert_eq!(normalise("চ\u{0981}\u{09BE}দ"), "চাঁদ");
        assert_eq!(normalise("ত\u{0981}\u{09BE}রা"), "তাঁরা");
        // nukta after a vowel sign
        assert_eq!(normalise("ম\u{09C7}\u{09AF}\u{09C7}\u{09BC}"), "মেয়ে");
    }

    #[test]
    fn joiners_removed_except_ra_ya_phala() {
        // stray ZWNJ inside a word
        assert_eq!(normalise("সত্য\u{200C}প্রিয়"), "সত্যপ্রিয়");
        // ZWNJ that forces a visible hasanta
        assert_eq!(normalise("উদ\u{09CD}\u{200C}যাপন"), "উদ্যাপন");
        // ZWJ elsewhere
        assert_eq!(normalise("ক\u{200D}"), "ক");
    }

    /// Decision: র‍্য keeps one canonical ZWJ (র + ZWJ + ্ + য) in `normalise`, so stored
    /// text still renders as ra + ya-phala; `normalise_for_search` folds it to র্য so that
    /// র‍্যাব, the other joiner spellings and the joiner-less র্যাব all match.
    #[test]
    fn ra_ya_phala_decision() {
        let canonical = "\u{09B0}\u{200D}\u{09CD}\u{09AF}\u{09BE}ব";
        let variants = [
            "\u{09B0}\u{200D}\u{09CD}\u{09AF}\u{09BE}ব", // র ZWJ ্ য (Unicode's form)
            "\u{09B0}\u{09CD}\u{200D}\u{09AF}\u{09BE}ব", // র ্ ZWJ য
            "\u{09B0}\u{200C}\u{09CD}\u{09AF}\u{09BE}ব", // র ZWNJ ্ য
            "\u{09B0}\u{09CD}\u{200C}\u{09AF}\u{09BE}ব", // র ্ ZWNJ য
        ];
        for v in variants {
            assert_eq!(normalise(v), canonical, "{v:?}");
            assert_eq!(normalise_for_search(v), "র্যাব", "{v:?}");
        }
        // the joiner-less spelling is a different rendering, kept by normalise…
        assert_eq!(normalise("র্যাব"), "র্যাব");
        // …but equal in search
        assert_eq!(normalise_for_search("র্যাব"), normalise_for_search(canonical));
        assert_eq!(normalise("র‍্যাপার"), "র\u{200D}\u{09CD}যাপার");
    }

    #[test]
    fn invisibles_removed() {
        assert_eq!(normalise("আল্ল\u{00AD}াহ"), "আল্লাহ");
        assert_eq!(normalise("সা\u{200B}দিকের"), "সাদিকের");
        assert_eq!(normalise("\u{FEFF}ঢাকা\u{200E}\u{200F}"), "ঢাকা");
        assert_eq!(normalise("তীক্ষ\u{009D}"), "তীক্ষ");
    }

    #[test]
    fn punctuation_folds() {
        assert_eq!(normalise("ঘটে৷"), "ঘটে।");
        assert_eq!(normalise("‘ঈদ’ “মোবারক”"), "'ঈদ' \"মোবারক\"");
        // other text untouched
        assert_eq!(normalise("Dhaka, ২০২৪!"), "Dhaka, ২০২৪!");
    }

    #[test]
    fn search_form() {
        assert_eq!(normalise_for_search("COVID-19 টিকা"), "covid-19 টিকা");
        assert_eq!(normalise_for_search("১৪২৬ সালে"), "1426 সালে");
        assert_eq!(normalise_for_search("০১২৩৪৫৬৭৮৯"), "0123456789");
        assert_eq!(normalise_for_search("Ünïcode"), "ünïcode");
    }

    #[test]
    fn idempotent_on_examples() {
        for s in [
            "র‍্যাব",
            "র\u{09CD}\u{200D}য",
            "ত\u{09CD}\u{200D}",
            "য\u{09C7}\u{09BC}\u{0981}",
            "\u{0985}\u{0981}\u{09BE}",
            "ক\u{09C7}\u{0981}\u{09BE}",
            "ড\u{09BC}\u{09BC}",
            "র\u{200D}\u{09CD}য\u{09BC}",
            "İstanbul",
        ] {
            let once = normalise(s);
            assert_eq!(normalise(&once), once, "{s:?}");
            let once = normalise_for_search(s);
            assert_eq!(normalise_for_search(&once), once, "{s:?}");
        }
    }

    pub(crate) mod props {
        use super::super::{normalise, normalise_for_search};
        use proptest::prelude::*;

        /// Characters that exercise every rule: letters, all kinds of marks, nukta,
        /// hasanta, joiners, invisibles, both digit sets, punctuation, Latin and a
        /// non-Bengali combining mark.
        pub(crate) const BENGALI_HEAVY: &[char] = &[
            'ক', 'খ', 'ত', 'দ', 'ন', 'ব', 'ম', 'য', 'র', 'ল', 'স', 'হ', 'ড', 'ঢ', '\u{09DC}',
            '\u{09DD}', '\u{09DF}', 'অ', 'আ', 'ই', 'এ', 'ও', 'ৎ', 'া', 'ি', 'ী', 'ু', 'ূ', 'ৃ', 'ে',
            'ৈ', 'ো', 'ৌ', '\u{09D7}', '\u{09CD}', '\u{0981}', 'ং', 'ঃ', '\u{09BC}', '\u{200C}',
            '\u{200D}', '\u{00AD}', '\u{200B}', '\u{200E}', '\u{FEFF}', '\u{009D}', '০', '১', '৯',
            '0', '7', ' ', '।', '৷', '-', '\'', '’', '‘', '“', ',', '.', '\n', 'a', 'Z', 'İ',
            '\u{0301}',
        ];

        pub(crate) fn bengali_heavy() -> impl Strategy<Value = String> {
            strings_of(BENGALI_HEAVY)
        }

        /// The same without marks of other scripts (the last two entries: İ lower-cases
        /// to i + U+0307).
        pub(crate) fn bengali_heavy_no_foreign_marks() -> impl Strategy<Value = String> {
            strings_of(&BENGALI_HEAVY[..BENGALI_HEAVY.len() - 2])
        }

        fn strings_of(chars: &'static [char]) -> impl Strategy<Value = String> {
            proptest::collection::vec(proptest::sample::select(chars), 0..48)
                .prop_map(|v| v.into_iter().collect())
        }

        proptest! {
            #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

            #[test]
            fn idempotent_on_anything(s in any::<String>()) {
                let once = normalise(&s);
                prop_assert_eq!(normalise(&once), once);
                let once = normalise_for_search(&s);
                prop_assert_eq!(normalise_for_search(&once), once);
            }

            #[test]
            fn idempotent_on_bengali(s in bengali_heavy()) {
                let once = normalise(&s);
                prop_assert_eq!(normalise(&once), once.clone());
                let search = normalise_for_search(&s);
                prop_assert_eq!(normalise_for_search(&search), search.clone());
                // the search form is the search form of the normalised text too
                prop_assert_eq!(normalise_for_search(&once), search);
            }

            #[test]
            fn fast_path_agrees(s in bengali_heavy()) {
                prop_assert_eq!(
                    super::super::normalise_for_search(&s),
                    super::super::normalise_for_search_slow(&s)
                );
            }

            #[test]
            fn fast_path_agrees_on_words(s in "[\u{0980}-\u{09FF}a-z0-9]{0,12}") {
                prop_assert_eq!(
                    super::super::normalise_for_search(&s),
                    super::super::normalise_for_search_slow(&s)
                );
            }

            #[test]
            fn no_invisibles_left(s in bengali_heavy()) {
                let out = normalise_for_search(&s);
                for c in ['\u{200C}', '\u{200D}', '\u{00AD}', '\u{200B}', '\u{FEFF}', '\u{009D}', '৷'] {
                    prop_assert!(!out.contains(c), "{:?} in {:?}", c, out);
                }
            }
        }
    }
}
