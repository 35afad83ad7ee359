//! From what a reader typed to a tantivy query. Each word becomes a clause over the stemmed
//! fields (headline boosted); a word in Latin letters (Banglish) is expanded to the Bengali
//! words it may stand for — the phonetic regex run over the index's own term dictionary, the
//! transliteration and dictionary suggestions — ranked by document frequency and capped, and
//! searched together with the Latin word itself.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use tantivy::index::SegmentId;
use tantivy::query::{BooleanQuery, BoostQuery, DisjunctionMaxQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Searcher, Term};
use tantivy_fst::Automaton;

use super::Fields;

/// Queries longer than this are refused with a message rather than searched.
pub const MAX_QUERY_CHARS: usize = 300;
/// Words after this many are ignored.
pub const MAX_WORDS: usize = 16;
/// Bengali stems a Banglish word may expand to.
pub const MAX_EXPANSIONS: usize = 5;
/// Dictionary terms read per regex before giving up on it (a runaway pattern).
const MAX_REGEX_TERMS: usize = 5_000;

#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub q: String,
    pub section: Option<String>,
    /// Published at or after, Unix seconds.
    pub from: Option<i64>,
    /// Published before, Unix seconds.
    pub to: Option<i64>,
    pub offset: usize,
    pub limit: usize,
}

/// A Banglish word and the Bengali words it was searched as.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Expansion {
    pub word: String,
    pub bengali: Vec<String>,
}

/// One query word as searched: the stems to look for (with weights) and exact forms.
#[derive(Debug, Clone)]
struct PlannedWord {
    stems: Vec<(String, f32)>,
    exact: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct QueryPlan {
    words: Vec<PlannedWord>,
    pub expansions: Vec<Expansion>,
    /// Why nothing was searched, in Bengali for the reader.
    pub problem: Option<String>,
}

impl QueryPlan {
    /// Stems and exact forms a snippet should highlight.
    pub fn highlight(&self) -> (BTreeSet<String>, BTreeSet<String>) {
        let stems = self
            .words
            .iter()
            .flat_map(|w| w.stems.iter().map(|(s, _)| s.clone()))
            .collect();
        let exact = self.words.iter().flat_map(|w| w.exact.clone()).collect();
        (stems, exact)
    }

    pub fn query(&self, f: &Fields) -> Option<Box<dyn Query>> {
        if self.words.is_empty() {
            return None;
        }
        let weighted: [(Field, f32); 5] = [
            (f.headline, 3.0),
            (f.summary, 1.5),
            (f.tags, 2.0),
            (f.author, 1.5),
            (f.body, 1.0),
        ];
        let mut words: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for w in &self.words {
            let mut alternatives: Vec<Box<dyn Query>> = Vec::new();
            for (stem, weight) in &w.stems {
                let mut fields: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                for (field, boost) in weighted {
                    fields.push((Occur::Should, boosted(field, stem, boost * weight)));
                }
                alternatives.push(Box::new(BooleanQuery::new(fields)));
            }
            for exact in &w.exact {
                // A small bonus for the very form typed, and the only match for Latin words
                // that are English in the text.
                let fields: Vec<(Occur, Box<dyn Query>)> = vec![
                    (Occur::Should, boosted(f.headline_exact, exact, 0.6)),
                    (Occur::Should, boosted(f.body_exact, exact, 0.3)),
                ];
                alternatives.push(Box::new(BooleanQuery::new(fields)));
            }
            words.push((
                Occur::Should,
                Box::new(DisjunctionMaxQuery::with_tie_breaker(alternatives, 0.1)),
            ));
        }
        Some(Box::new(BooleanQuery::new(words)))
    }
}

fn boosted(field: Field, text: &str, boost: f32) -> Box<dyn Query> {
    let term = TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    );
    Box::new(BoostQuery::new(Box::new(term), boost))
}

pub struct SearchResults {
    pub hits: Vec<(i64, f32)>,
    pub total: usize,
    pub plan: QueryPlan,
}

impl SearchResults {
    pub fn empty(plan: QueryPlan) -> SearchResults {
        SearchResults {
            hits: Vec::new(),
            total: 0,
            plan,
        }
    }
}

/// Turns the reader's text into the words to search.
pub fn plan(
    searcher: &Searcher,
    f: &Fields,
    translit: &bangla::banglish::Transliterator,
    terms: &PatternTerms,
    q: &str,
) -> QueryPlan {
    let mut plan = QueryPlan::default();
    if q.chars().count() > MAX_QUERY_CHARS {
        plan.problem = Some(format!(
            "খোঁজার কথাগুলো খুব দীর্ঘ: {} অক্ষরের মধ্যে লিখুন।",
            bangla::digits::bn_number(MAX_QUERY_CHARS as i64)
        ));
        return plan;
    }
    let tokens = bangla::tokenise::tokenise(q);
    if tokens.is_empty() {
        plan.problem = Some("খোঁজার জন্য অন্তত একটি শব্দ লিখুন।".to_owned());
        return plan;
    }
    let all_stop = tokens
        .iter()
        .all(|t| bangla::stopwords::is_stopword(&t.text));
    let mut seen = BTreeSet::new();
    for t in tokens.iter().take(MAX_WORDS) {
        if !seen.insert(t.text.clone()) {
            continue;
        }
        if bangla::banglish::is_latin_word(&t.text) {
            let mut bengali = expand_banglish(searcher, f, translit, terms, &t.text);
            // Romanised particles ("er", "o", "ki") expand to Bengali stop words: drop those,
            // and the word with them if nothing else is left to search.
            let had = bengali.len();
            bengali.retain(|b| !bangla::stopwords::is_stopword(b));
            if had > 0 && bengali.is_empty() && !all_stop {
                continue;
            }
            let mut stems: Vec<(String, f32)> = Vec::new();
            for b in &bengali {
                let s = bangla::stem::stem(b);
                if !stems.iter().any(|(x, _)| *x == s) {
                    stems.push((s, 1.0));
                }
            }
            // The Latin word may be English in a Bengali story ("COVID", "metro").
            let latin_stem = bangla::stem::stem(&t.text);
            stems.push((latin_stem, 1.0));
            plan.expansions.push(Expansion {
                word: t.text.clone(),
                bengali: bengali.clone(),
            });
            plan.words.push(PlannedWord {
                stems,
                exact: vec![t.text.clone()],
            });
        } else if all_stop || !bangla::stopwords::is_stopword(&t.text) {
            plan.words.push(PlannedWord {
                stems: vec![(bangla::stem::stem(&t.text), 1.0)],
                exact: vec![t.text.clone()],
            });
        }
    }
    plan
}

/// Bengali words (in index form) that a Latin word may stand for, most used first.
fn expand_banglish(
    searcher: &Searcher,
    f: &Fields,
    translit: &bangla::banglish::Transliterator,
    terms: &PatternTerms,
    word: &str,
) -> Vec<String> {
    // Document frequency per stem, and the most used surface form of each stem.
    let mut by_stem: HashMap<String, (u64, String, u64)> = HashMap::new();
    let mut add = |term: String, df: u64| {
        if df == 0 {
            return;
        }
        let stem = bangla::stem::stem(&term);
        let entry = by_stem.entry(stem).or_insert((0, term.clone(), 0));
        entry.0 += df;
        if df > entry.2 {
            entry.1 = term;
            entry.2 = df;
        }
    };
    if let Some(pattern) = bangla::banglish::phonetic_regex(word) {
        for (term, df) in terms.matching(searcher, f.body_exact, &pattern) {
            add(term, df);
        }
    }
    for candidate in translit.candidates(word, 24) {
        let df = searcher
            .doc_freq(&Term::from_field_text(f.body_exact, &candidate))
            .unwrap_or(0)
            + searcher
                .doc_freq(&Term::from_field_text(f.headline_exact, &candidate))
                .unwrap_or(0);
        add(candidate, df);
    }
    let mut ranked: Vec<(u64, String)> = by_stem.into_values().map(|(df, t, _)| (df, t)).collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    ranked
        .into_iter()
        .take(MAX_EXPANSIONS)
        .map(|(_, t)| t)
        .collect()
}

/// Patterns whose matches are kept per segment before the cache is trimmed.
const KEPT_PATTERNS: usize = 4_096;
/// Matching terms kept in all before the cache is trimmed (a few tens of bytes each, so about
/// 10 MB): readers sending many broad Banglish words, each matching up to
/// [`MAX_REGEX_TERMS`] terms in every segment, cannot make it grow past that.
const KEPT_TERMS: usize = 200_000;

/// The dictionary terms a phonetic pattern matches, kept per segment. Running the pattern's
/// automaton over a segment's whole term dictionary is most of a Banglish query's cost, and
/// its answer cannot change: a segment is never written again (deletions leave its
/// dictionary and document frequencies as they are until a merge replaces the segment,
/// which brings a new id). So each (segment, pattern) is read once; a search after a publish
/// reads only the new small segment, and a merge's new segment once.
pub struct PatternTerms {
    kept: Mutex<Kept>,
    /// At most this many (segment, pattern) entries ([`KEPT_PATTERNS`])…
    most_patterns: usize,
    /// …and this many terms in all ([`KEPT_TERMS`]).
    most_terms: usize,
}

impl Default for PatternTerms {
    fn default() -> PatternTerms {
        PatternTerms::with_budget(KEPT_PATTERNS, KEPT_TERMS)
    }
}

/// Per (segment, pattern): the matching terms and their document frequency there; and how
/// many terms that is in all.
#[derive(Default)]
struct Kept {
    matches: HashMap<(SegmentId, String), Matches>,
    terms: usize,
}

/// A pattern's terms in one segment, with their document frequency there.
type Matches = Arc<Vec<(String, u64)>>;

impl PatternTerms {
    /// Terms of `field` matching `pattern` in the whole index, with their document frequency
    /// (summed over segments).
    pub fn matching(&self, searcher: &Searcher, field: Field, pattern: &str) -> Vec<(String, u64)> {
        let mut regex = None;
        let mut found: HashMap<String, u64> = HashMap::new();
        for segment in searcher.segment_readers() {
            let key = (segment.segment_id(), pattern.to_owned());
            let known = self.lock().matches.get(&key).cloned();
            let terms = match known {
                Some(terms) => terms,
                None => {
                    // Compiled once, and only when some segment is not known yet.
                    if regex.is_none() {
                        let Ok(compiled) = tantivy_fst::Regex::new(pattern) else {
                            return Vec::new();
                        };
                        regex = Some(compiled);
                    }
                    let Some(compiled) = &regex else {
                        return Vec::new();
                    };
                    let terms = Arc::new(segment_terms(segment, field, compiled));
                    self.keep(searcher, key, Arc::clone(&terms));
                    terms
                }
            };
            for (term, df) in terms.iter() {
                *found.entry(term.clone()).or_default() += df;
            }
        }
        found.into_iter().collect()
    }

    /// Patterns (counted per segment) held now.
    pub fn held(&self) -> usize {
        self.lock().matches.len()
    }

    fn with_budget(most_patterns: usize, most_terms: usize) -> PatternTerms {
        PatternTerms {
            kept: Mutex::default(),
            most_patterns,
            most_terms,
        }
    }

    /// Terms held now, over every entry.
    #[cfg(test)]
    fn terms_held(&self) -> usize {
        self.lock().terms
    }

    fn keep(&self, searcher: &Searcher, key: (SegmentId, String), terms: Matches) {
        if terms.len() > self.most_terms {
            return;
        }
        let mut kept = self.lock();
        let full = |k: &Kept| {
            k.matches.len() >= self.most_patterns || k.terms + terms.len() > self.most_terms
        };
        if full(&kept) {
            // Segments merged away first; if what the live ones hold is that much, all.
            let live: HashSet<SegmentId> = searcher
                .segment_readers()
                .iter()
                .map(|s| s.segment_id())
                .collect();
            kept.matches
                .retain(|(segment, _), _| live.contains(segment));
            kept.terms = kept.matches.values().map(|t| t.len()).sum();
            if full(&kept) {
                kept.matches.clear();
                kept.terms = 0;
            }
        }
        kept.terms += terms.len();
        if let Some(old) = kept.matches.insert(key, terms) {
            kept.terms -= old.len();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Terms of `field` in one segment matching `regex`, with their document frequency there
/// (at most [`MAX_REGEX_TERMS`] of them, for a runaway pattern).
fn segment_terms(
    segment: &tantivy::SegmentReader,
    field: Field,
    regex: &tantivy_fst::Regex,
) -> Vec<(String, u64)> {
    let mut found = Vec::new();
    let Ok(inverted) = segment.inverted_index(field) else {
        return found;
    };
    let Ok(mut stream) = inverted.terms().search(regex).into_stream() else {
        return found;
    };
    while stream.advance() {
        if found.len() >= MAX_REGEX_TERMS {
            break;
        }
        if let Ok(term) = std::str::from_utf8(stream.key()) {
            found.push((term.to_owned(), u64::from(stream.value().doc_freq)));
        }
    }
    found
}

/// For a query with no hits: the same query with each unknown Bengali word replaced by the
/// most used indexed word within one or two edits of it, if that changes anything.
pub fn did_you_mean(searcher: &Searcher, f: &Fields, q: &str) -> Option<String> {
    let builder1 = levenshtein_automata::LevenshteinAutomatonBuilder::new(1, true);
    let builder2 = levenshtein_automata::LevenshteinAutomatonBuilder::new(2, true);
    let mut out = String::new();
    let mut last = 0;
    let mut changed = false;
    for t in bangla::tokenise::tokenise(q).into_iter().take(MAX_WORDS) {
        let known = searcher
            .doc_freq(&Term::from_field_text(f.body_exact, &t.text))
            .unwrap_or(0)
            > 0;
        if known || bangla::banglish::is_latin_word(&t.text) || t.text.chars().count() < 3 {
            continue;
        }
        let distance_two = t.text.chars().count() >= 6;
        let dfa = if distance_two {
            builder2.build_dfa(&t.text)
        } else {
            builder1.build_dfa(&t.text)
        };
        let mut best: Option<(u64, String)> = None;
        for segment in searcher.segment_readers() {
            let Ok(inverted) = segment.inverted_index(f.body_exact) else {
                continue;
            };
            let Ok(mut stream) = inverted.terms().search(Dfa(&dfa)).into_stream() else {
                continue;
            };
            while stream.advance() {
                let df = u64::from(stream.value().doc_freq);
                if let Ok(term) = std::str::from_utf8(stream.key()) {
                    if best.as_ref().is_none_or(|(d, _)| df > *d) {
                        best = Some((df, term.to_owned()));
                    }
                }
            }
        }
        if let Some((_, word)) = best {
            out.push_str(&q[last..t.start]);
            out.push_str(&word);
            last = t.end;
            changed = true;
        }
    }
    if !changed {
        return None;
    }
    out.push_str(&q[last..]);
    Some(out)
}

/// A Levenshtein DFA as an FST automaton, to walk the term dictionary with it.
struct Dfa<'a>(&'a levenshtein_automata::DFA);

impl Automaton for Dfa<'_> {
    type State = u32;

    fn start(&self) -> u32 {
        self.0.initial_state()
    }

    fn is_match(&self, state: &u32) -> bool {
        matches!(
            self.0.distance(*state),
            levenshtein_automata::Distance::Exact(_)
        )
    }

    fn can_match(&self, state: &u32) -> bool {
        *state != levenshtein_automata::SINK_STATE
    }

    fn accept(&self, state: &u32, byte: u8) -> u32 {
        self.0.transition(*state, byte)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::{IndexDoc, Position, SearchIndex};

    fn doc(id: i64, body: &'static str) -> IndexDoc<'static> {
        crate::search::test_doc(id, "খবর", body)
    }

    fn df_of(found: &[(String, u64)], term: &str) -> u64 {
        found
            .iter()
            .find(|(t, _)| t == term)
            .map_or(0, |(_, df)| *df)
    }

    #[test]
    fn a_patterns_kept_matches_count_every_segment_as_a_fresh_read_does() {
        let index = SearchIndex::in_ram().unwrap();
        let field = index.fields.body_exact;
        let pattern = bangla::banglish::phonetic_regex("nirbachon").expect("a pattern");
        index
            .apply(
                &[doc(1, "সিটি নির্বাচন আগামী মাসে"), doc(2, "ধান কাটা শুরু")],
                &[],
                &Position::unattached(1),
            )
            .unwrap();
        let kept = PatternTerms::default();
        let searcher = index.searcher();
        let first = kept.matching(&searcher, field, &pattern);
        assert_eq!(df_of(&first, "নির্বাচন"), 1, "{first:?}");
        assert_eq!(kept.held(), searcher.segment_readers().len());

        // A later commit is a new segment: its words count at once, the old segment's
        // answer is the kept one.
        index
            .apply(
                &[doc(3, "নির্বাচন কমিশনের বৈঠক"), doc(4, "নির্বাচনে ভোট")],
                &[],
                &Position::unattached(2),
            )
            .unwrap();
        let searcher = index.searcher();
        assert!(searcher.segment_readers().len() >= 2);
        let mut again = kept.matching(&searcher, field, &pattern);
        let mut fresh = PatternTerms::default().matching(&searcher, field, &pattern);
        again.sort();
        fresh.sort();
        assert_eq!(again, fresh);
        assert_eq!(df_of(&again, "নির্বাচন"), 2, "{again:?}");
        assert_eq!(kept.held(), searcher.segment_readers().len());
    }

    #[test]
    fn what_is_kept_stays_within_its_budget_and_answers_stay_whole() {
        let index = SearchIndex::in_ram().unwrap();
        let field = index.fields.body_exact;
        let pattern = bangla::banglish::phonetic_regex("nirbachon").expect("a pattern");
        for (seq, body) in [
            (1, "সিটি নির্বাচন আগামী মাসে"),
            (2, "নির্বাচন কমিশনের বৈঠক"),
            (3, "উপজেলা নির্বাচন শেষ"),
        ] {
            index
                .apply(&[doc(seq, body)], &[], &Position::unattached(seq))
                .unwrap();
        }
        let searcher = index.searcher();
        assert!(searcher.segment_readers().len() >= 3);
        // Room for one term: each segment's match pushes the one before out.
        let kept = PatternTerms::with_budget(KEPT_PATTERNS, 1);
        for _ in 0..2 {
            let found = kept.matching(&searcher, field, &pattern);
            assert_eq!(df_of(&found, "নির্বাচন"), 3, "{found:?}");
            assert!(kept.terms_held() <= 1, "{} terms held", kept.terms_held());
        }
        // Room for two entries of any size.
        let kept = PatternTerms::with_budget(2, KEPT_TERMS);
        let found = kept.matching(&searcher, field, &pattern);
        assert_eq!(df_of(&found, "নির্বাচন"), 3, "{found:?}");
        assert!(kept.held() <= 2, "{} entries held", kept.held());
    }
}
