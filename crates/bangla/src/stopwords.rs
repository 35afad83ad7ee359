//! Bengali stop words: the short list of pure function words that search leaves out of
//! the index and the query.
//!
//! This module owns [`STOPWORDS`] and [`is_stopword`].
//!
//! The list is deliberately short: conjunctions, particles, pronouns, postpositions and
//! the commonest forms of the copula and of করা ("do"), which carry no topic. Words that
//! can be news content are not in it even when they are frequent: উত্তর ("north" as well
//! as "answer", needed for উত্তর কোরিয়া), নতুন, প্রথম, দুই, বড়, সরকার, দেশ and the like.
//! Numerals, dates and the classifier fragments after digits (`টি` in `৩০টি`) are not
//! stop words either.
//!
//! Entries are stored in the form [`crate::tokenise::tokenise`] produces (the output of
//! [`crate::normalise::normalise_for_search`]: single-code-point ড় ঢ় য়), sorted so lookup
//! can binary-search; the tests check both.

use crate::normalise::normalise_for_search;

/// The stop words, in search-normalised form, sorted by byte order.
pub const STOPWORDS: &[&str] = &[
    "অথবা",
    "অর্থাৎ",
    "আছে",
    "আপনার",
    "আপনি",
    "আমরা",
    "আমাদের",
    "আমার",
    "আমি",
    "আর",
    "আরও",
    "আরো",
    "উনি",
    "উপর",
    "এ",
    "এই",
    "একটি",
    "এখানে",
    "এটা",
    "এটি",
    "এতে",
    "এবং",
    "এমন",
    "এর",
    "এরা",
    "এসব",
    "ও",
    "ওই",
    "ওপর",
    "ওরা",
    "করা",
    "করে",
    "করেন",
    "কাছে",
    "কি",
    "কিছু",
    "কিন্তু",
    "কী",
    "কে",
    "কেউ",
    "কোন",
    "কোনো",
    "ছিল",
    "ছিলেন",
    "জন্য",
    "তখন",
    "তবে",
    "তা",
    "তাঁকে",
    "তাঁদের",
    "তাঁর",
    "তাঁরা",
    "তাই",
    "তাকে",
    "তাদের",
    "তার",
    "তারা",
    "তিনি",
    "তুমি",
    "তো",
    "তোমরা",
    "তোমাদের",
    "তোমার",
    "থাকে",
    "থেকে",
    "দিয়ে",
    "দ্বারা",
    "না",
    "নিয়ে",
    "নয়",
    "প্রতি",
    "বরং",
    "বা",
    "মতো",
    "মধ্যে",
    "যখন",
    "যদি",
    "যা",
    "যাতে",
    "যার",
    "যারা",
    "যে",
    "যেন",
    "রয়েছে",
    "সঙ্গে",
    "সাথে",
    "সে",
    "সেই",
    "সেখানে",
    "হতে",
    "হবে",
    "হলো",
    "হয়",
    "হয়ে",
    "হয়েছে",
];

/// Whether `token` (a token text from [`crate::tokenise::tokenise`]) is a stop word.
///
/// Text that is not yet in search form (for example য় typed as য + nukta) is normalised
/// before the lookup, so the answer never depends on the encoding.
pub fn is_stopword(token: &str) -> bool {
    if lookup(token) {
        return true;
    }
    let normalised = normalise_for_search(token);
    normalised != token && lookup(&normalised)
}

fn lookup(word: &str) -> bool {
    STOPWORDS.binary_search(&word).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalise::normalise;

    #[test]
    fn entries_are_normalised() {
        for w in STOPWORDS {
            assert_eq!(*w, normalise(w), "{w:?}");
            assert_eq!(*w, normalise_for_search(w), "{w:?}");
        }
    }

    #[test]
    fn entries_are_sorted_and_unique() {
        for pair in STOPWORDS.windows(2) {
            assert!(pair[0] < pair[1], "{:?} !< {:?}", pair[0], pair[1]);
        }
    }

    #[test]
    fn entries_are_single_tokens() {
        for w in STOPWORDS {
            let tokens = crate::tokenise::tokenise(w);
            assert_eq!(tokens.len(), 1, "{w:?}");
            assert_eq!(tokens[0].text, *w);
        }
    }

    #[test]
    fn list_is_short() {
        assert!(STOPWORDS.len() <= 120, "{}", STOPWORDS.len());
    }

    #[test]
    fn function_words_are_stopwords() {
        for w in [
            "ও",
            "এবং",
            "এই",
            "সেই",
            "যে",
            "না",
            "কি",
            "থেকে",
            "জন্য",
            "নিয়ে",
            "হয়",
            "হয়েছে",
        ] {
            assert!(is_stopword(w), "{w}");
        }
    }

    #[test]
    fn news_content_words_are_not_stopwords() {
        for w in [
            "উত্তর",
            "দক্ষিণ",
            "পূর্ব",
            "পশ্চিম",
            "সরকার",
            "প্রধানমন্ত্রী",
            "দেশ",
            "ঢাকা",
            "মন্ত্রী",
            "নির্বাচন",
            "খেলা",
            "কোরিয়া",
            "নতুন",
            "প্রথম",
            "দুই",
            "বড়",
            "টি",
            "বছর",
            "সময়",
            "মানুষ",
            "আল্লাহ",
            "হাসিনা",
        ] {
            assert!(!is_stopword(w), "{w}");
            assert!(!is_stopword(&normalise_for_search(w)), "{w}");
        }
    }

    #[test]
    fn encoding_does_not_matter() {
        // য় as য + nukta, as typed on some keyboards
        assert!(is_stopword("হয\u{09BC}"));
        assert!(is_stopword("নিয\u{09BC}ে"));
        assert!(!is_stopword(""));
    }
}
