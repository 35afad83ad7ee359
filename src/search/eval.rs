//! Relevance evaluation: builds fresh in-memory indexes over a corpus in the import format and
//! measures known-item queries (`id, kind, query, note` TSV) with MRR@10 and recall@10, overall
//! and per kind — for Khobor's analyzer and, on the same data in the same run, for two
//! baselines: tantivy's default analyzer, and UAX #29 words without normalisation or stemming.
//! Related stories are measured against every pair of stories' whole-text similarity.

use std::collections::BTreeMap;
use std::io::BufRead;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, STORED};
use tantivy::tokenizer::{LowerCaser, TextAnalyzer, Token, TokenStream, Tokenizer};
use tantivy::{Index, TantivyDocument, Term};

use super::{IndexDoc, SearchIndex, SearchRequest, RELATED_KEPT};
use crate::domain::StoryLead;

const K: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Search(#[from] super::SearchError),
    #[error(transparent)]
    Tantivy(#[from] tantivy::TantivyError),
}

/// One story of the corpus, as evaluated.
pub struct EvalDoc {
    pub external_id: String,
    pub headline: String,
    pub body: String,
}

pub struct EvalQuery {
    pub id: String,
    pub kind: String,
    pub query: String,
}

/// MRR@10 and recall@10 for one engine, overall and per kind.
#[derive(Debug, Default, Clone)]
pub struct Scores {
    pub by_kind: BTreeMap<String, (f64, f64, usize)>,
    pub overall: (f64, f64, usize),
}

pub fn read_queries(reader: impl BufRead) -> Result<Vec<EvalQuery>, EvalError> {
    let mut out = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| EvalError::Input(format!("queries line {}: {e}", i + 1)))?;
        if i == 0 && line.starts_with("id\t") {
            continue;
        }
        if line.is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 3 {
            return Err(EvalError::Input(format!(
                "queries line {}: expected id, kind, query, note separated by tabs",
                i + 1
            )));
        }
        out.push(EvalQuery {
            id: cols[0].to_owned(),
            kind: cols[1].to_owned(),
            query: cols[2].to_owned(),
        });
    }
    Ok(out)
}

fn score(ranks: &[(String, Option<usize>)]) -> Scores {
    let mut acc: BTreeMap<String, (f64, f64, usize)> = BTreeMap::new();
    let mut all = (0.0, 0.0, 0);
    for (kind, rank) in ranks {
        let rr = rank.map(|r| 1.0 / r as f64).unwrap_or(0.0);
        let hit = if rank.is_some() { 1.0 } else { 0.0 };
        let e = acc.entry(kind.clone()).or_default();
        e.0 += rr;
        e.1 += hit;
        e.2 += 1;
        all.0 += rr;
        all.1 += hit;
        all.2 += 1;
    }
    let mean = |(a, b, n): (f64, f64, usize)| {
        if n == 0 {
            (0.0, 0.0, 0)
        } else {
            (a / n as f64, b / n as f64, n)
        }
    };
    Scores {
        by_kind: acc.into_iter().map(|(k, v)| (k, mean(v))).collect(),
        overall: mean(all),
    }
}

fn rank_of(ids: &[String], target: &str) -> Option<usize> {
    ids.iter().take(K).position(|i| i == target).map(|p| p + 1)
}

/// An in-memory index of `docs`, each under its place in the slice as its id.
fn index_of(docs: &[EvalDoc]) -> Result<SearchIndex, EvalError> {
    let index = SearchIndex::in_ram()?;
    let idx: Vec<IndexDoc<'_>> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| IndexDoc {
            id: i as i64,
            headline: &d.headline,
            summary: "",
            body: &d.body,
            section_slug: "",
            tags: Vec::new(),
            authors: Vec::new(),
            published_at: 0,
        })
        .collect();
    index.apply(&idx, &[], &super::Position::unattached(0))?;
    Ok(index)
}

/// Khobor's own engine, exactly as `/search` runs it.
pub fn eval_khobor(docs: &[EvalDoc], queries: &[EvalQuery]) -> Result<Scores, EvalError> {
    let index = index_of(docs)?;
    let mut ranks = Vec::new();
    for q in queries {
        let req = SearchRequest {
            q: q.query.clone(),
            limit: K,
            ..Default::default()
        };
        let res = index.search(&req, 0)?;
        let ids: Vec<String> = res
            .hits
            .iter()
            .map(|(id, _)| docs[*id as usize].external_id.clone())
            .collect();
        ranks.push((q.kind.clone(), rank_of(&ids, &q.id)));
    }
    Ok(score(&ranks))
}

/// UAX #29 words, lowercased, nothing else: what a generic Unicode-aware engine does.
#[derive(Clone)]
struct Uax29;

struct VecStream {
    tokens: Vec<Token>,
    at: usize,
}

impl TokenStream for VecStream {
    fn advance(&mut self) -> bool {
        self.at += 1;
        self.at <= self.tokens.len()
    }
    fn token(&self) -> &Token {
        &self.tokens[self.at - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.at - 1]
    }
}

impl Tokenizer for Uax29 {
    type TokenStream<'a> = VecStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecStream {
        use unicode_segmentation::UnicodeSegmentation;
        let tokens = text
            .unicode_word_indices()
            .enumerate()
            .map(|(position, (from, w))| Token {
                offset_from: from,
                offset_to: from + w.len(),
                position,
                text: w.to_lowercase(),
                position_length: 1,
            })
            .collect();
        VecStream { tokens, at: 0 }
    }
}

/// A plain BM25 engine over headline (boosted like Khobor's) and body with `analyzer`.
fn eval_baseline(
    docs: &[EvalDoc],
    queries: &[EvalQuery],
    analyzer: TextAnalyzer,
) -> Result<Scores, EvalError> {
    let mut b = Schema::builder();
    let opts = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("baseline")
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let id = b.add_u64_field("id", STORED);
    let headline = b.add_text_field("headline", opts.clone());
    let body = b.add_text_field("body", opts);
    let index = Index::create_in_ram(b.build());
    index.tokenizers().register("baseline", analyzer.clone());
    let mut writer = index.writer_with_num_threads(1, 64 * 1024 * 1024)?;
    for (i, d) in docs.iter().enumerate() {
        let mut doc = TantivyDocument::default();
        doc.add_u64(id, i as u64);
        doc.add_text(headline, &d.headline);
        doc.add_text(body, &d.body);
        writer.add_document(doc)?;
    }
    writer.commit()?;
    let searcher = index.reader()?.searcher();
    let mut analyzer = analyzer;
    let mut ranks = Vec::new();
    for q in queries {
        let mut terms = Vec::new();
        let mut stream = analyzer.token_stream(&q.query);
        while stream.advance() {
            terms.push(stream.token().text.clone());
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for t in &terms {
            for (field, boost) in [(headline, 3.0), (body, 1.0)] {
                let tq = TermQuery::new(
                    Term::from_field_text(field, t),
                    IndexRecordOption::WithFreqs,
                );
                clauses.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(tq), boost)),
                ));
            }
        }
        let top = searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(K).order_by_score(),
        )?;
        let mut ids = Vec::new();
        for (_, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            if let Some(n) = doc.get_first(id).and_then(|v| v.as_u64()) {
                ids.push(docs[n as usize].external_id.clone());
            }
        }
        ranks.push((q.kind.clone(), rank_of(&ids, &q.id)));
    }
    Ok(score(&ranks))
}

/// All three engines on the same data: (name, scores).
pub fn evaluate(
    docs: &[EvalDoc],
    queries: &[EvalQuery],
) -> Result<Vec<(&'static str, Scores)>, EvalError> {
    let tantivy_default = TextAnalyzer::builder(tantivy::tokenizer::SimpleTokenizer::default())
        .filter(tantivy::tokenizer::RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .build();
    let uax = TextAnalyzer::builder(Uax29).build();
    Ok(vec![
        ("khobor", eval_khobor(docs, queries)?),
        (
            "tantivy-default",
            eval_baseline(docs, queries, tantivy_default)?,
        ),
        ("uax29-plain", eval_baseline(docs, queries, uax)?),
    ])
}

/// The results as a Markdown table: one row per engine, MRR@10 / recall@10 per column.
pub fn table(results: &[(&'static str, Scores)]) -> String {
    let kinds: Vec<String> = results
        .first()
        .map(|(_, s)| s.by_kind.keys().cloned().collect())
        .unwrap_or_default();
    let mut out = String::from("| engine | overall MRR@10 | overall R@10 |");
    for k in &kinds {
        out.push_str(&format!(" {k} MRR@10 | {k} R@10 |"));
    }
    out.push('\n');
    out.push_str(&"|---".repeat(3 + 2 * kinds.len()));
    out.push_str("|\n");
    for (name, s) in results {
        out.push_str(&format!(
            "| {name} | {:.3} | {:.3} |",
            s.overall.0, s.overall.1
        ));
        for k in &kinds {
            let (m, r, _) = s.by_kind.get(k).copied().unwrap_or_default();
            out.push_str(&format!(" {m:.3} | {r:.3} |"));
        }
        out.push('\n');
    }
    out
}

/// How close one way of choosing related stories comes to the stories most like each story
/// over its whole text, averaged over the stories of a corpus.
#[derive(Debug, Clone, Copy, Default)]
pub struct RelatedScores {
    /// The share of the [`RELATED_KEPT`] most similar stories that the list holds.
    pub recall: f64,
    /// The list's similarity to the story, summed, as a share of the most similar stories'.
    pub similarity: f64,
    /// Stories whose list was measured: those with at least one story like them.
    pub stories: usize,
}

/// Khobor's related stories measured against the ideal: for every story, the
/// [`RELATED_KEPT`] others with the most similar whole text (cosine of tf-idf vectors of
/// stemmed words, worked out for every pair). Khobor's query is only the most telling words
/// of the headline and lead, one short query per story; this says how close that comes, and
/// measures any other way of choosing them.
pub fn eval_related(docs: &[EvalDoc]) -> Result<RelatedScores, EvalError> {
    let index = index_of(docs)?;
    let vectors = tfidf_vectors(&index, docs)?;
    // Which stories hold each word, with its weight there.
    let mut postings: Vec<Vec<(usize, f32)>> = Vec::new();
    for (d, v) in vectors.iter().enumerate() {
        for &(t, w) in v {
            if postings.len() <= t {
                postings.resize_with(t + 1, Vec::new);
            }
            postings[t].push((d, w));
        }
    }
    let mut total = RelatedScores::default();
    let mut row = vec![0f32; docs.len()];
    for (i, d) in docs.iter().enumerate() {
        row.iter_mut().for_each(|s| *s = 0.0);
        for &(t, w) in &vectors[i] {
            for &(other, v) in &postings[t] {
                row[other] += w * v;
            }
        }
        row[i] = 0.0;
        let mut ideal: Vec<usize> = (0..docs.len()).filter(|&j| row[j] > 0.0).collect();
        ideal.sort_by(|&a, &b| row[b].total_cmp(&row[a]).then(a.cmp(&b)));
        ideal.truncate(RELATED_KEPT);
        if ideal.is_empty() {
            continue;
        }
        let best: f32 = ideal.iter().map(|&j| row[j]).sum();
        let story = StoryLead {
            id: i as i64,
            headline: d.headline.clone(),
            lead: crate::domain::article::lead_of(&d.body).to_owned(),
        };
        let list = index.related_to(&story, RELATED_KEPT)?;
        let found = list
            .iter()
            .filter(|&&j| ideal.contains(&(j as usize)))
            .count();
        let similarity: f32 = list.iter().map(|&j| row[j as usize]).sum();
        total.recall += found as f64 / ideal.len() as f64;
        total.similarity += f64::from(similarity / best);
        total.stories += 1;
    }
    let n = total.stories.max(1) as f64;
    Ok(RelatedScores {
        recall: total.recall / n,
        similarity: total.similarity / n,
        stories: total.stories,
    })
}

/// Each story's headline and whole text as a unit vector of its stemmed words' weights
/// (1 + ln tf) × ln(N / df), words numbered in the order first seen.
fn tfidf_vectors(
    index: &SearchIndex,
    docs: &[EvalDoc],
) -> Result<Vec<Vec<(usize, f32)>>, EvalError> {
    let mut analyzer = index.index.tokenizer_for_field(index.fields.body)?;
    let mut words: std::collections::HashMap<String, usize> = Default::default();
    let mut counts: Vec<BTreeMap<usize, u32>> = Vec::with_capacity(docs.len());
    for d in docs {
        let mut tf = BTreeMap::new();
        for text in [&d.headline, &d.body] {
            analyzer.token_stream(text).process(&mut |t| {
                let next = words.len();
                let w = *words.entry(t.text.clone()).or_insert(next);
                *tf.entry(w).or_insert(0) += 1;
            });
        }
        counts.push(tf);
    }
    let mut df = vec![0u32; words.len()];
    for tf in &counts {
        for &w in tf.keys() {
            df[w] += 1;
        }
    }
    let n = docs.len() as f32;
    Ok(counts
        .into_iter()
        .map(|tf| {
            let mut v: Vec<(usize, f32)> = tf
                .into_iter()
                .map(|(w, c)| (w, (1.0 + (c as f32).ln()) * (n / df[w] as f32).ln()))
                .collect();
            let norm = v.iter().map(|(_, x)| x * x).sum::<f32>().sqrt();
            if norm > 0.0 {
                v.iter_mut().for_each(|(_, x)| *x /= norm);
            }
            v
        })
        .collect())
}

/// The related-stories scores, one line each.
pub fn related_report(s: &RelatedScores) -> String {
    format!(
        "stories with a similar story: {}\nrecall of the {RELATED_KEPT} most similar: {:.3}\nsimilarity kept: {:.3}\n",
        s.stories, s.recall, s.similarity
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn story(id: &str, headline: &str, body: &str) -> EvalDoc {
        EvalDoc {
            external_id: id.into(),
            headline: headline.into(),
            body: body.into(),
        }
    }

    #[test]
    fn related_stories_are_measured_against_the_most_similar_whole_texts() {
        // Two pairs of stories on one subject each, and one story on its own: each story's
        // most similar story is its pair's other, and its related list finds it.
        let docs = [
            story("a1", "পদ্মা সেতুতে টোল", "পদ্মা সেতুতে টোল আদায় বেড়েছে"),
            story("a2", "পদ্মা সেতুর টোল", "পদ্মা সেতুর টোল আদায়ে নতুন রেকর্ড"),
            story("b1", "উত্তরাঞ্চলে শীত", "উত্তরাঞ্চলে শীতের দাপট চলছে"),
            story("b2", "শীতের দাপট", "উত্তরাঞ্চলে শীতের দাপট অব্যাহত"),
            story("c", "টেস্টে জয়", "টেস্ট ক্রিকেটে বাংলাদেশের বড় জয়"),
        ];
        let s = eval_related(&docs).unwrap();
        assert_eq!(s.stories, 4, "the story on its own has no similar story");
        assert!((s.recall - 1.0).abs() < 1e-9, "{s:?}");
        assert!((s.similarity - 1.0).abs() < 1e-6, "{s:?}");
        assert!(related_report(&s).contains("recall of the 8 most similar: 1.000"));
    }
}
