//! Khobor's Bengali analyzers as tantivy tokenizers, built from `crates/bangla`:
//!
//! - `bn_exact`: normalised word forms (nukta letters composed, ZWJ/ZWNJ folded, Bengali and
//!   ASCII digits alike, Latin lowercased), stop words kept — for the exact form a reader typed
//!   and the term dictionary that Banglish queries are matched against;
//! - `bn_stem`: the same words, stop words dropped, each reduced to its stem — for recall
//!   (ঢাকা, ঢাকায়, ঢাকার all index as one term).
//!
//! Offsets are byte offsets into the original text, so highlighting wraps exactly what the
//! reader typed or the reporter wrote. Over-long tokens are dropped by *character* count: a
//! byte limit would drop ordinary Bengali words (3 bytes a letter).
//!
//! Indexing runs both analyzers over every headline and body, one after the other on one
//! thread, so each thread keeps the words of the last text it split and the stems it has
//! worked out: splitting and stemming were most of the time a rebuild spent analysing.

use std::cell::RefCell;
use std::rc::Rc;

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
}

/// The words of one text: their search forms one after another in `forms`, each with its
/// place in `forms` and its byte offsets in the text.
#[derive(Default)]
struct Words {
    forms: String,
    words: Vec<Word>,
}

struct Word {
    form: std::ops::Range<usize>,
    from: usize,
    to: usize,
}

impl Words {
    fn of(text: &str) -> Words {
        let mut out = Words::default();
        for t in bangla::tokenise::tokenise(text) {
            // A word of at most this many bytes has at most this many characters.
            if t.text.len() > MAX_TOKEN_CHARS && t.text.chars().count() > MAX_TOKEN_CHARS {
                continue;
            }
            let at = out.forms.len();
            out.forms.push_str(&t.text);
            out.words.push(Word {
                form: at..out.forms.len(),
                from: t.start,
                to: t.end,
            });
        }
        out
    }
}

/// Stems already worked out on this thread (`None` for a stop word): news words repeat from
/// story to story, and the stemmer's suffix rules are the analysis's largest cost.
type Stems = rustc_hash::FxHashMap<Box<str>, Option<Box<str>>>;

/// Stems kept per thread at most (about 100 bytes each, so about 20 MB); the map starts again
/// when full.
const MAX_STEMS: usize = 200_000;

thread_local! {
    /// The last text this thread split into words, with its words: the index analyses each
    /// headline and body twice in a row (exact and stemmed fields), and splits it once.
    static LAST: RefCell<(String, Rc<Words>)> = RefCell::default();
    static STEMS: RefCell<Stems> = RefCell::default();
}

fn words_of(text: &str) -> Rc<Words> {
    LAST.with_borrow_mut(|(last, words)| {
        if last != text {
            *words = Rc::new(Words::of(text));
            last.clear();
            last.push_str(text);
        }
        Rc::clone(words)
    })
}

/// Writes the stem of `form` into `out`, or returns false for a stop word.
fn stem_into(form: &str, out: &mut String) -> bool {
    let write = |stem: Option<&str>, out: &mut String| match stem {
        Some(stem) => {
            out.clear();
            out.push_str(stem);
            true
        }
        None => false,
    };
    STEMS.with_borrow_mut(|stems| {
        if let Some(known) = stems.get(form) {
            return write(known.as_deref(), out);
        }
        if stems.len() >= MAX_STEMS {
            stems.clear();
        }
        let stem = (!bangla::stopwords::is_stopword(form))
            .then(|| bangla::stem::stem(form).into_boxed_str());
        let stemmed = write(stem.as_deref(), out);
        stems.insert(form.into(), stem);
        stemmed
    })
}

pub struct BengaliTokenStream {
    words: Rc<Words>,
    next: usize,
    position: usize,
    stem: bool,
    token: Token,
}

impl Tokenizer for BengaliTokenizer {
    type TokenStream<'a> = BengaliTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> BengaliTokenStream {
        BengaliTokenStream {
            words: words_of(text),
            next: 0,
            position: 0,
            stem: self.stem,
            token: Token::default(),
        }
    }
}

impl TokenStream for BengaliTokenStream {
    fn advance(&mut self) -> bool {
        while let Some(word) = self.words.words.get(self.next) {
            self.next += 1;
            let form = &self.words.forms[word.form.clone()];
            if self.stem {
                if !stem_into(form, &mut self.token.text) {
                    continue;
                }
            } else {
                self.token.text.clear();
                self.token.text.push_str(form);
            }
            self.token.offset_from = word.from;
            self.token.offset_to = word.to;
            self.token.position = self.position;
            self.position += 1;
            return true;
        }
        false
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
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

    impl BengaliTokenizer {
        /// The analysed terms of `text` with their offsets, as this analyzer indexes them.
        fn terms(&self, text: &str) -> Vec<(String, usize, usize)> {
            let mut tokenizer = *self;
            let mut stream = tokenizer.token_stream(text);
            let mut out = Vec::new();
            while stream.advance() {
                let t = stream.token();
                out.push((t.text.clone(), t.offset_from, t.offset_to));
            }
            out
        }
    }

    #[test]
    fn remembered_words_and_stems_are_the_ones_worked_out_afresh() {
        let text = "ঢাকায় এবং চট্টগ্রামে বৃষ্টি, ঢাকার রাস্তায় পানি।";
        let afresh: Vec<(String, usize, usize)> = bangla::tokenise::tokenise(text)
            .into_iter()
            .filter(|t| !bangla::stopwords::is_stopword(&t.text))
            .map(|t| (bangla::stem::stem(&t.text), t.start, t.end))
            .collect();
        let exact: Vec<(String, usize, usize)> = bangla::tokenise::tokenise(text)
            .into_iter()
            .map(|t| (t.text, t.start, t.end))
            .collect();
        // Each analyzer twice, and the two alternately over the same text and another one:
        // the same terms every time, whatever this thread remembers.
        for _ in 0..2 {
            assert_eq!(BengaliTokenizer::stemming().terms(text), afresh);
            assert_eq!(BengaliTokenizer::exact().terms(text), exact);
            assert_eq!(
                BengaliTokenizer::exact().terms("এবং"),
                [("এবং".into(), 0, 9)]
            );
            assert!(BengaliTokenizer::stemming().terms("এবং").is_empty());
        }
        let mut tokenizer = BengaliTokenizer::stemming();
        let mut stream = tokenizer.token_stream(text);
        let mut positions = Vec::new();
        while stream.advance() {
            positions.push(stream.token().position);
        }
        assert_eq!(positions, (0..afresh.len()).collect::<Vec<_>>());
    }

    #[test]
    fn long_bengali_words_are_kept_by_character_count() {
        // 20 letters, 60 bytes: a 40-byte limit would drop it.
        let word = "আন্তর্জাতিকতাবাদীদের";
        assert_eq!(texts(BengaliTokenizer::exact(), word).len(), 1);
        assert!(texts(BengaliTokenizer::exact(), &"ক".repeat(MAX_TOKEN_CHARS + 1)).is_empty());
    }
}
