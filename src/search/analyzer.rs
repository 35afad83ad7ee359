//! Khobor's Bengali analyzers as tantivy tokenizers, built from `crates/bangla`:
//!
//! - `bn_exact`: normalised word forms (nukta letters composed, ZWJ/ZWNJ folded, Bengali and
//!   ASCII digits alike, Latin lowercased), stop words kept — for phrases and the term
//!   dictionary that Banglish queries are matched against;
//! - `bn_stem`: the same words, stop words dropped, each reduced to its stem — for recall
//!   (ঢাকা, ঢাকায়, ঢাকার all index as one term).
//!
//! Offsets are byte offsets into the original text, so highlighting wraps exactly what the
//! reader typed or the reporter wrote. Over-long tokens are dropped by *character* count: a
//! byte limit would drop ordinary Bengali words (3 bytes a letter).

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Words longer than this many characters are not indexed (URLs, runs of symbols).
pub const MAX_TOKEN_CHARS: usize = 60;

pub const EXACT: &str = "bn_exact";
pub const STEM: &str = "bn_stem";

#[derive(Clone, Copy, Debug)]
pub struct BengaliTokenizer {
    stem: bool,
}

impl BengaliTokenizer {
    pub fn exact() -> BengaliTokenizer {
        BengaliTokenizer { stem: false }
    }

    pub fn stemming() -> BengaliTokenizer {
        BengaliTokenizer { stem: true }
    }

    /// The analysed terms of `text`, as this analyzer indexes them.
    pub fn terms(&self, text: &str) -> Vec<(String, usize, usize)> {
        let mut out = Vec::new();
        for t in bangla::tokenise::tokenise(text) {
            if t.text.chars().count() > MAX_TOKEN_CHARS {
                continue;
            }
            if self.stem {
                if bangla::stopwords::is_stopword(&t.text) {
                    continue;
                }
                out.push((bangla::stem::stem(&t.text), t.start, t.end));
            } else {
                out.push((t.text, t.start, t.end));
            }
        }
        out
    }
}

pub struct BengaliTokenStream {
    tokens: Vec<Token>,
    index: usize,
}

impl Tokenizer for BengaliTokenizer {
    type TokenStream<'a> = BengaliTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> BengaliTokenStream {
        let tokens = self
            .terms(text)
            .into_iter()
            .enumerate()
            .map(|(position, (text, from, to))| Token {
                offset_from: from,
                offset_to: to,
                position,
                text,
                position_length: 1,
            })
            .collect();
        BengaliTokenStream { tokens, index: 0 }
    }
}

impl TokenStream for BengaliTokenStream {
    fn advance(&mut self) -> bool {
        if self.index < self.tokens.len() {
            self.index += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.index - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.index - 1]
    }
}

/// Registers both analyzers on an index; must run after every open.
pub fn register(index: &tantivy::Index) {
    index
        .tokenizers()
        .register(EXACT, BengaliTokenizer::exact());
    index
        .tokenizers()
        .register(STEM, BengaliTokenizer::stemming());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(tok: BengaliTokenizer, s: &str) -> Vec<String> {
        let mut tok = tok;
        let mut stream = tok.token_stream(s);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    #[test]
    fn conjuncts_stay_whole_and_inflections_meet() {
        assert_eq!(
            texts(BengaliTokenizer::exact(), "ক্ষমতা নির্বাচন"),
            ["ক্ষমতা", "নির্বাচন"]
        );
        let stems = texts(BengaliTokenizer::stemming(), "ঢাকা ঢাকায় ঢাকার");
        assert_eq!(stems.len(), 3);
        assert!(stems.iter().all(|s| s == &stems[0]), "{stems:?}");
    }

    #[test]
    fn stop_words_leave_the_stemmed_field_only() {
        assert_eq!(texts(BengaliTokenizer::exact(), "এবং ঢাকা").len(), 2);
        assert_eq!(texts(BengaliTokenizer::stemming(), "এবং ঢাকা").len(), 1);
    }

    #[test]
    fn long_bengali_words_are_kept_by_character_count() {
        // 20 letters, 60 bytes: a 40-byte limit would drop it.
        let word = "আন্তর্জাতিকতাবাদীদের";
        assert_eq!(texts(BengaliTokenizer::exact(), word).len(), 1);
        assert!(texts(BengaliTokenizer::exact(), &"ক".repeat(MAX_TOKEN_CHARS + 1)).is_empty());
    }
}
