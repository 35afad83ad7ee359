//! Related stories: a more-like-this query over a story's headline and lead, with what the
//! index knows of each term remembered from one story to the next.
//!
//! Choosing a story's query terms needs the document frequency of every word of its lead, and
//! scoring needs it again for the chosen ones: a term-dictionary lookup per word and per
//! segment, which was the largest single cost of rendering a story page for the first time.
//! News words repeat from story to story, so the frequencies are kept (for one searcher
//! generation: a commit clears them, so they always agree with the segments being searched),
//! and so is each chosen term's best score in any story, which lets the query skip most
//! stories (see [`top_k`]).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Mutex;

use rustc_hash::FxHashMap;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{Bm25StatisticsProvider, Bm25Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, DocSet, Score, Searcher, Term, TERMINATED};

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
/// Terms kept at most (about 80 bytes each); the map starts again when full.
const MAX_KEPT: usize = 100_000;

/// What the index knows of terms, for one searcher generation: each term's document
/// frequency, and for the terms queries have used, its best score in any story.
#[derive(Default)]
pub(crate) struct TermStats {
    doc_freqs: Mutex<(u64, FxHashMap<Term, u64>)>,
    best_scores: Mutex<(u64, FxHashMap<Term, Score>)>,
}

impl TermStats {
    /// The document frequency of each term, as `searcher` sees the index.
    fn get_all(&self, searcher: &Searcher, terms: &[Term]) -> Result<Vec<u64>> {
        let generation = searcher.generation().generation_id();
        let mut kept = self.doc_freqs.lock().unwrap_or_else(|p| p.into_inner());
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

    /// The best score `term` gives any story of the index with `weight` (unboosted): every
    /// story holding it is scored once per searcher generation, then the score is kept.
    fn best_score(&self, searcher: &Searcher, term: &Term, weight: &Bm25Weight) -> Result<Score> {
        let generation = searcher.generation().generation_id();
        {
            let mut kept = self.best_scores.lock().unwrap_or_else(|p| p.into_inner());
            if kept.0 != generation || kept.1.len() >= MAX_KEPT {
                *kept = (generation, FxHashMap::default());
            }
            if let Some(best) = kept.1.get(term) {
                return Ok(*best);
            }
        }
        // Worked out without the lock, which the other threads working out related lists
        // share; two of them may work out the same term, and agree.
        let field = term.field();
        let mut best: Score = 0.0;
        for reader in searcher.segment_readers() {
            let Some(mut postings) = reader
                .inverted_index(field)?
                .read_block_postings(term, IndexRecordOption::WithFreqs)
                .map_err(tantivy::TantivyError::from)?
            else {
                continue;
            };
            let norms = reader.get_fieldnorms_reader(field)?;
            while !postings.docs().is_empty() {
                for (&doc, &tf) in postings.docs().iter().zip(postings.freqs()) {
                    best = best.max(weight.score(norms.fieldnorm_id(doc), tf));
                }
                postings.advance();
            }
        }
        let mut kept = self.best_scores.lock().unwrap_or_else(|p| p.into_inner());
        if kept.0 == generation {
            kept.1.insert(term.clone(), best);
        }
        Ok(best)
    }
}

/// BM25's inverse document frequency.
fn idf(doc_freq: u64, doc_count: u64) -> Score {
    let x = (doc_count.saturating_sub(doc_freq) as Score + 0.5) / (doc_freq as Score + 0.5);
    (1.0 + x).ln()
}

/// One term of a related-stories query: its BM25 weight (boosted by how telling the term is)
/// and the most it adds to any story's score.
struct QueryTerm {
    term: Term,
    weight: Bm25Weight,
    best: Score,
}

/// Up to `n` + 1 stories like `story` (its headline and lead), best first; the story itself
/// is usually among them, for the caller to leave out.
pub(crate) fn related(
    index: &tantivy::Index,
    searcher: &Searcher,
    fields: &Fields,
    stats: &TermStats,
    story: &StoryLead,
    n: usize,
) -> Result<Vec<(Score, tantivy::DocAddress)>> {
    let query = query_for(index, searcher, fields, stats, story)?;
    top_k(searcher, &query, n + 1)
}

/// The query for stories like `story`: its most telling words, each boosted by how telling.
fn query_for(
    index: &tantivy::Index,
    searcher: &Searcher,
    fields: &Fields,
    stats: &TermStats,
    story: &StoryLead,
) -> Result<Vec<QueryTerm>> {
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
    let dfs = stats.get_all(searcher, &terms)?;
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
    let Some(top) = scored.first().map(|s| s.0) else {
        return Ok(Vec::new());
    };
    // Each term's BM25 score in a story, boosted by how telling the term is in this one, the
    // way tantivy scores a union of boosted term queries (`searcher.total_num_docs()` and the
    // field's average length, as its BM25 statistics are).
    let total_docs = searcher.total_num_docs()?;
    let mut query = Vec::with_capacity(scored.len());
    for (score, term, df) in scored {
        let tokens = searcher.total_num_tokens(term.field())?;
        let unit = Bm25Weight::for_one_term_without_explain(
            df,
            total_docs,
            tokens as Score / total_docs as Score,
        );
        let boost = score / top;
        // A little above the kept best, so that rounding in a boosted score cannot exceed it.
        let best = stats.best_score(searcher, &term, &unit)? * boost * (1.0 + 1e-5);
        query.push(QueryTerm {
            weight: unit.boost_by(boost),
            term,
            best,
        });
    }
    Ok(query)
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

/// A query term's postings in one segment, read one story at a time.
struct Cursor<'a> {
    postings: SegmentPostings,
    norms: FieldNormReader,
    term: &'a QueryTerm,
}

impl Cursor<'_> {
    fn doc(&self) -> DocId {
        self.postings.doc()
    }

    fn score(&self) -> Score {
        let doc = self.postings.doc();
        self.term
            .weight
            .score(self.norms.fieldnorm_id(doc), self.postings.term_freq())
    }
}

/// The `k` best documents for `query` (the sum of its terms' scores), best first, by
/// MaxScore: the terms are taken least telling first, and those whose best scores together
/// cannot beat the `k`-th best document so far only add to documents the other terms bring
/// up; they are looked up in those documents, and only while the document could still enter.
///
/// Every term's best score is the best it gives any story, not tantivy's bound for any story
/// there could be (which assumes a word repeated without end): much lower, so that once the
/// list has filled all but one or two terms of a story's twelve cannot bring a story in alone
/// and the rest are read only where those two occur. At a million stories this took 222 s
/// against 283 s for tantivy's block-max WAND over the same boosted terms (bench/README.md).
///
/// The segments are searched one after another, each starting from the score the best `k`
/// so far must be beaten by.
fn top_k(searcher: &Searcher, query: &[QueryTerm], k: usize) -> Result<Vec<(Score, DocAddress)>> {
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
        let mut cursors = Vec::with_capacity(query.len());
        for term in query {
            let field = term.term.field();
            let Some(postings) = reader
                .inverted_index(field)?
                .read_postings(&term.term, IndexRecordOption::WithFreqs)
                .map_err(tantivy::TantivyError::from)?
            else {
                continue;
            };
            let norms = reader.get_fieldnorms_reader(field)?;
            cursors.push(Cursor {
                postings,
                norms,
                term,
            });
        }
        cursors.sort_by(|a, b| a.term.best.total_cmp(&b.term.best));
        // up_to[i]: the most the first i terms can add together.
        let mut up_to = vec![0.0 as Score; cursors.len() + 1];
        for (i, c) in cursors.iter().enumerate() {
            up_to[i + 1] = up_to[i] + c.term.best;
        }
        // Terms before `first` cannot bring a document in on their own.
        let first_essential =
            |threshold: Score| up_to[1..].iter().take_while(|&&u| u <= threshold).count();
        let mut t = threshold(&best);
        let mut first = first_essential(t);
        let alive = reader.alive_bitset();
        while first < cursors.len() {
            let doc = cursors[first..]
                .iter()
                .map(Cursor::doc)
                .min()
                .unwrap_or(TERMINATED);
            if doc == TERMINATED {
                break;
            }
            let mut score: Score = 0.0;
            for c in &mut cursors[first..] {
                if c.doc() == doc {
                    score += c.score();
                    c.postings.advance();
                }
            }
            // The other terms, most telling first, while they could still bring it in.
            let mut rest = first;
            while rest > 0 && score + up_to[rest] > t {
                rest -= 1;
                let c = &mut cursors[rest];
                if c.doc() < doc {
                    c.postings.seek(doc);
                }
                if c.doc() == doc {
                    score += c.score();
                }
            }
            if rest == 0 && score > t && alive.is_none_or(|a| a.is_alive(doc)) {
                best.push(Reverse(Hit(score, DocAddress::new(ord as u32, doc))));
                if best.len() > k {
                    best.pop();
                }
                t = threshold(&best);
                first = first_essential(t);
            }
        }
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
        let freqs = TermStats::default();
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
    fn kept_best_scores_follow_every_commit() {
        let index = SearchIndex::in_ram().unwrap();
        index
            .apply(
                &[
                    doc(1, "পদ্মা সেতু", "পদ্মা সেতুতে টোল আদায়"),
                    doc(2, "যমুনা নদী", "যমুনা নদীতে ফেরি চলাচল"),
                ],
                &[],
                &crate::search::Position::unattached(1),
            )
            .unwrap();
        let padma = term(&index, "পদ্মা");
        let weight = Bm25Weight::for_one_term_without_explain(2, 3, 4.0);
        let stats = TermStats::default();
        let before = stats
            .best_score(&index.searcher(), &padma, &weight)
            .unwrap();
        assert!(before > 0.0);

        // A story that says পদ্মা again and again scores higher than any before it.
        index
            .apply(
                &[doc(3, "পদ্মা", "পদ্মা পদ্মা পদ্মা পদ্মা পদ্মা পদ্মা")],
                &[],
                &crate::search::Position::unattached(2),
            )
            .unwrap();
        let searcher = index.searcher();
        let after = stats.best_score(&searcher, &padma, &weight).unwrap();
        assert!(after > before, "{after} after the commit, {before} before");
        assert_eq!(
            after,
            TermStats::default()
                .best_score(&searcher, &padma, &weight)
                .unwrap()
        );
    }

    /// Stories of words drawn from a small vocabulary, some repeated: terms shared by a few
    /// stories each, in different numbers and with different weights.
    fn varied_stories(count: i64) -> Vec<(i64, String, String)> {
        let consonants = [
            "ক", "খ", "গ", "চ", "জ", "ট", "ড", "ত", "দ", "ন", "প", "ব", "ম", "র", "ল", "স",
        ];
        let vowels = ["া", "ি", "ু", "ো"];
        let word = |n: u64| {
            let n = n as usize;
            format!(
                "{}{}{}ল",
                consonants[n % 16],
                vowels[(n / 16) % 4],
                consonants[(n / 64) % 16]
            )
        };
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        (1..=count)
            .map(|id| {
                let mut words = Vec::new();
                for _ in 0..14 {
                    let w = word(next() % 180);
                    for _ in 0..=(next() % 3) {
                        words.push(w.clone());
                    }
                }
                let headline = words[..3].join(" ");
                (id, headline, words.join(" "))
            })
            .collect()
    }

    #[test]
    fn related_stories_are_the_best_scored_by_the_boosted_query_as_tantivy_scores_it() {
        use tantivy::collector::TopDocs;
        use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};

        let index = SearchIndex::in_ram().unwrap();
        let stories = varied_stories(120);
        // In several commits, so that the list is carried from one segment to the next.
        for (part, chunk) in stories.chunks(40).enumerate() {
            let docs: Vec<_> = chunk
                .iter()
                .map(|(id, h, b)| crate::search::IndexDoc {
                    id: *id,
                    headline: h,
                    summary: "",
                    body: b,
                    section_slug: "desh",
                    tags: Vec::new(),
                    authors: Vec::new(),
                    published_at: 1_700_000_000,
                })
                .collect();
            index
                .apply(
                    &docs,
                    &[],
                    &crate::search::Position::unattached(part as i64 + 1),
                )
                .unwrap();
        }
        let searcher = index.searcher();
        assert!(searcher.segment_readers().len() > 1);
        let freqs = TermStats::default();
        let mut pruned = 0;
        for (id, headline, body) in &stories {
            let story = StoryLead {
                id: *id,
                headline: headline.clone(),
                lead: crate::domain::article::lead_of(body).to_owned(),
            };
            let query = query_for(&index.index, &searcher, &index.fields, &freqs, &story).unwrap();
            let ours = top_k(&searcher, &query, 5).unwrap();
            // Tantivy's own answer to the same terms and boosts, scoring every story.
            let boolean = BooleanQuery::new(
                query
                    .iter()
                    .map(|q| {
                        let term = TermQuery::new(q.term.clone(), IndexRecordOption::WithFreqs);
                        let boost = q.weight.max_score()
                            / Bm25Weight::for_terms(&searcher, std::slice::from_ref(&q.term))
                                .unwrap()
                                .max_score();
                        (
                            Occur::Should,
                            Box::new(BoostQuery::new(Box::new(term), boost)) as Box<dyn Query>,
                        )
                    })
                    .collect(),
            );
            let theirs = searcher
                .search(&boolean, &TopDocs::with_limit(5).order_by_score())
                .unwrap();
            assert_eq!(ours.len(), theirs.len(), "story {id}");
            for ((s1, d1), (s2, d2)) in ours.iter().zip(&theirs) {
                assert_eq!(d1, d2, "story {id}: {ours:?} against {theirs:?}");
                assert!(
                    (s1 - s2).abs() <= 1e-4 * s2.abs(),
                    "story {id}: {s1} against {s2}"
                );
            }
            // How many of the terms a story of the fifth best's score could not enter by.
            let fifth = ours.last().map_or(0.0, |h| h.0);
            let mut sum = 0.0;
            let mut bests: Vec<Score> = query.iter().map(|q| q.best).collect();
            bests.sort_by(|a, b| a.total_cmp(b));
            pruned += bests
                .iter()
                .take_while(|b| {
                    sum += **b;
                    sum <= fifth
                })
                .count();
            // Each best score is one that some story has.
            for q in &query {
                let field = q.term.field();
                let mut top: Score = 0.0;
                for reader in searcher.segment_readers() {
                    let norms = reader.get_fieldnorms_reader(field).unwrap();
                    if let Some(mut p) = reader
                        .inverted_index(field)
                        .unwrap()
                        .read_postings(&q.term, IndexRecordOption::WithFreqs)
                        .unwrap()
                    {
                        while p.doc() != TERMINATED {
                            top =
                                top.max(q.weight.score(norms.fieldnorm_id(p.doc()), p.term_freq()));
                            p.advance();
                        }
                    }
                }
                assert!(
                    q.best >= top && q.best <= top * 1.001,
                    "{} against {top}",
                    q.best
                );
            }
        }
        assert!(
            pruned > 0,
            "no query left any term out: the test shows nothing"
        );
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
