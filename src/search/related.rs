//! Related stories: a more-like-this query over a story's headline and lead, with the index's
//! document frequencies remembered from one story to the next.
//!
//! Choosing a story's query terms needs the document frequency of every word of its lead, and
//! scoring needs it again for the chosen ones: a term-dictionary lookup per word and per
//! segment, which was the largest single cost of rendering a story page for the first time.
//! News words repeat from story to story, so the frequencies are kept (for one searcher
//! generation: a commit clears them, so they always agree with the segments being searched).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Mutex;

use rustc_hash::FxHashMap;

use tantivy::query::{
    Bm25StatisticsProvider, BooleanQuery, BoostQuery, EnableScoring, Occur, Query, TermQuery,
    Weight,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, Score, Searcher, Term};

use super::{Fields, Result};
use crate::domain::StoryLead;

/// The most terms a related-stories query asks for: the most telling words of the lead. Each
/// more term is another long posting list to walk in a large archive.
const QUERY_TERMS: usize = 12;
/// A term in more than one story in this many is too common to relate two stories (in a
/// small paper, up to 10 stories).
const COMMON: u64 = 50;
/// A term in fewer stories than this says nothing about what is related.
const MIN_DOC_FREQ: u64 = 2;
/// Frequencies kept at most (about 80 bytes each); the map starts again when full.
const MAX_KEPT: usize = 100_000;

/// Document frequencies of terms for one searcher generation.
#[derive(Default)]
pub(crate) struct DocFreqs {
    kept: Mutex<(u64, FxHashMap<Term, u64>)>,
}

impl DocFreqs {
    /// The document frequency of each term, as `searcher` sees the index.
    fn get_all(&self, searcher: &Searcher, terms: &[Term]) -> Result<Vec<u64>> {
        let generation = searcher.generation().generation_id();
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        if kept.0 != generation || kept.1.len() + terms.len() > MAX_KEPT {
            *kept = (generation, FxHashMap::default());
        }
        terms
            .iter()
            .map(|t| match kept.1.get(t) {
                Some(n) => Ok(*n),
                None => {
                    let n = searcher.doc_freq(t)?;
                    kept.1.insert(t.clone(), n);
                    Ok(n)
                }
            })
            .collect()
    }
}

/// BM25 statistics from the searcher, with the document frequencies of the query's terms as
/// they were looked up (from [`DocFreqs`]) to choose them: scoring does not take the lock the
/// threads working out related lists share.
struct Stats<'a> {
    searcher: &'a Searcher,
    chosen: &'a [(Term, u64)],
}

impl Bm25StatisticsProvider for Stats<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        self.searcher.total_num_tokens(field)
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        self.searcher.total_num_docs()
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        match self.chosen.iter().find(|(t, _)| t == term) {
            Some((_, df)) => Ok(*df),
            None => self.searcher.doc_freq(term),
        }
    }
}

/// BM25's inverse document frequency.
fn idf(doc_freq: u64, doc_count: u64) -> Score {
    let x = (doc_count.saturating_sub(doc_freq) as Score + 0.5) / (doc_freq as Score + 0.5);
    (1.0 + x).ln()
}

/// Up to `n` + 1 stories like `story` (its headline and lead), best first; the story itself
/// is usually among them, for the caller to leave out.
pub(crate) fn related(
    index: &tantivy::Index,
    searcher: &Searcher,
    fields: &Fields,
    freqs: &DocFreqs,
    story: &StoryLead,
    n: usize,
) -> Result<Vec<(Score, tantivy::DocAddress)>> {
    // How often each word occurs in the headline and the lead.
    let mut tf: FxHashMap<Term, u32> = FxHashMap::default();
    for (field, text) in [
        (fields.headline, story.headline.as_str()),
        (fields.body, story.lead.as_str()),
    ] {
        let mut analyzer = index.tokenizer_for_field(field)?;
        analyzer.token_stream(text).process(&mut |t| {
            *tf.entry(Term::from_field_text(field, &t.text)).or_default() += 1;
        });
    }
    let terms: Vec<Term> = tf.keys().cloned().collect();
    let dfs = freqs.get_all(searcher, &terms)?;
    let docs = searcher.num_docs();
    let max_df = (docs / COMMON).max(10);
    let mut scored: Vec<(Score, Term, u64)> = terms
        .into_iter()
        .zip(dfs)
        .filter(|(_, df)| (MIN_DOC_FREQ..=max_df).contains(df))
        .map(|(term, df)| (tf[&term] as Score * idf(df, docs), term, df))
        .collect();
    // Best first; equal scores in term order, so that a story's related list is the same
    // every time it is worked out.
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    scored.truncate(QUERY_TERMS);
    let Some(best) = scored.first().map(|s| s.0) else {
        return Ok(Vec::new());
    };
    let chosen: Vec<(Term, u64)> = scored.iter().map(|(_, t, df)| (t.clone(), *df)).collect();
    // A plain union of boosted term queries that read frequencies: tantivy answers its top
    // documents with block-max WAND, skipping most of the long posting lists of a large archive
    // (a required clause or an exclusion around it would turn that off). The story itself,
    // which matches best, is left out afterwards.
    let should: Vec<(Occur, Box<dyn Query>)> = scored
        .into_iter()
        .map(|(score, term, _)| {
            let q = TermQuery::new(term, IndexRecordOption::WithFreqs);
            (
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(q), score / best)) as Box<dyn Query>,
            )
        })
        .collect();
    let query = BooleanQuery::new(should);
    let stats = Stats {
        searcher,
        chosen: &chosen,
    };
    let weight = query.weight(EnableScoring::enabled_from_statistics_provider(
        &stats, searcher,
    ))?;
    top_k(searcher, weight.as_ref(), n + 1)
}

/// One of the best documents so far. Ordered by score, and among equal scores the earlier
/// document first, as tantivy's own top-documents collector orders them.
#[derive(Clone, Copy, PartialEq)]
struct Hit(Score, DocAddress);

impl Eq for Hit {}

impl Ord for Hit {
    fn cmp(&self, other: &Hit) -> std::cmp::Ordering {
        self.0
            .total_cmp(&other.0)
            .then_with(|| other.1.cmp(&self.1))
    }
}

impl PartialOrd for Hit {
    fn partial_cmp(&self, other: &Hit) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The `k` best documents for `weight`, best first. Tantivy's collector looks for the best
/// documents of each segment from nothing; here the segments are searched one after another
/// and each starts from the score the best `k` so far must be beaten by, so that block-max
/// WAND skips in every later segment what could not enter the list anyway.
fn top_k(searcher: &Searcher, weight: &dyn Weight, k: usize) -> Result<Vec<(Score, DocAddress)>> {
    if k == 0 {
        return Ok(Vec::new());
    }
    let mut best: BinaryHeap<Reverse<Hit>> = BinaryHeap::with_capacity(k + 1);
    // The score a document must beat to enter: the k-th best's once there are k.
    let threshold = |best: &BinaryHeap<Reverse<Hit>>| match best.peek() {
        Some(Reverse(Hit(score, _))) if best.len() == k => *score,
        _ => Score::MIN,
    };
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        let alive = reader.alive_bitset();
        let start = threshold(&best);
        weight.for_each_pruning(start, reader, &mut |doc, score| {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                best.push(Reverse(Hit(score, DocAddress::new(ord as u32, doc))));
                if best.len() > k {
                    best.pop();
                }
            }
            threshold(&best)
        })?;
    }
    let mut out: Vec<Hit> = best.into_iter().map(|Reverse(hit)| hit).collect();
    out.sort_by(|a, b| b.cmp(a));
    Ok(out
        .into_iter()
        .map(|Hit(score, doc)| (score, doc))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Article;
    use crate::search::test_doc as doc;
    use crate::search::SearchIndex;

    fn term(index: &SearchIndex, word: &str) -> Term {
        let mut analyzer = index.index.tokenizer_for_field(index.fields.body).unwrap();
        let mut out = None;
        analyzer
            .token_stream(word)
            .process(&mut |t| out = Some(Term::from_field_text(index.fields.body, &t.text)));
        out.unwrap()
    }

    #[test]
    fn kept_frequencies_follow_every_commit() {
        let index = SearchIndex::in_ram().unwrap();
        index
            .apply(
                &[
                    doc(1, "পদ্মা সেতু", "পদ্মা সেতুতে টোল আদায়"),
                    doc(2, "পদ্মা নদী", "পদ্মা নদীতে ফেরি চলাচল"),
                    doc(3, "ক্রিকেট", "টেস্টে বাংলাদেশের জয়"),
                ],
                &[],
                &crate::search::Position::unattached(1),
            )
            .unwrap();
        let padma = term(&index, "পদ্মা");
        let freqs = DocFreqs::default();
        let searcher = index.searcher();
        assert_eq!(
            freqs
                .get_all(&searcher, std::slice::from_ref(&padma))
                .unwrap(),
            [2]
        );
        // Asked again from the same searcher: the same answer, kept.
        assert_eq!(
            freqs
                .get_all(&searcher, std::slice::from_ref(&padma))
                .unwrap(),
            [2]
        );

        index
            .apply(
                &[doc(4, "পদ্মায় ইলিশ", "পদ্মা থেকে ইলিশ ধরা")],
                &[],
                &crate::search::Position::unattached(2),
            )
            .unwrap();
        let searcher = index.searcher();
        assert_eq!(
            freqs
                .get_all(&searcher, std::slice::from_ref(&padma))
                .unwrap(),
            [searcher.doc_freq(&padma).unwrap()],
        );
        assert_eq!(freqs.get_all(&searcher, &[padma]).unwrap(), [3]);
    }

    #[test]
    fn related_stories_share_words_and_leave_out_the_story_itself() {
        let index = SearchIndex::in_ram().unwrap();
        index
            .apply(
                &[
                    doc(1, "পদ্মা সেতুতে টোল", "পদ্মা সেতুতে টোল আদায় বেড়েছে"),
                    doc(2, "পদ্মা সেতুর টোল", "পদ্মা সেতুর টোল আদায়ে নতুন রেকর্ড"),
                    doc(3, "টেস্টে জয়", "টেস্টে বাংলাদেশের বড় জয়"),
                    doc(4, "শীতের দাপট", "উত্তরাঞ্চলে শীতের দাপট বেড়েছে"),
                ],
                &[],
                &crate::search::Position::unattached(1),
            )
            .unwrap();
        let article = Article {
            id: 1,
            external_id: None,
            headline: "পদ্মা সেতুতে টোল".into(),
            kicker: None,
            summary: None,
            body_html: String::new(),
            body_text: "পদ্মা সেতুতে টোল আদায় বেড়েছে".into(),
            section: crate::domain::Section {
                id: 1,
                slug: "desh".into(),
                name: "দেশ".into(),
                colour: "#000000".into(),
            },
            tags: Vec::new(),
            authors: Vec::new(),
            credit: None,
            signature: None,
            dateline: None,
            hero_url: None,
            hero_picture: None,
            hero_caption: None,
            hero_credit: None,
            source_name: None,
            source_url: None,
            status: crate::domain::Status::Published,
            published_at: Some(1_700_000_001),
            updated_at: 1_700_000_001,
            created_at: 1_700_000_001,
        };
        let first = index.related(&article, 3).unwrap();
        assert_eq!(first.first(), Some(&2), "{first:?}");
        assert!(!first.contains(&1));
        // Worked out again (frequencies now kept): the same list.
        assert_eq!(index.related(&article, 3).unwrap(), first);
    }
}
