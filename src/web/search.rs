//! Search for the reader page and the API alike: parameters parsed and checked once, the
//! query run off the async threads, hits joined with the store for headlines, dates and
//! highlighted snippets.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{NaiveDate, TimeZone};
use serde::Serialize;

use crate::domain::urls;
use crate::search::query::did_you_mean;
use crate::search::snippet::snippet;
use crate::search::{Expansion, SearchRequest};

use super::view::{DateView, SectionView};
use super::AppState;

pub const PAGE_SIZE: usize = 10;
pub const MAX_LIMIT: usize = 50;
/// Pages past this are not served: nobody reads them, and deep pages cost the most.
pub const MAX_PAGE: usize = 100;

/// A bad parameter: which one and why, for a 400 page or JSON error.
#[derive(Debug, Clone)]
pub struct ParamError {
    pub param: &'static str,
    pub message: String,
}

/// Parameters as received; every one optional.
pub struct Params<'a>(pub &'a HashMap<String, String>);

pub struct Parsed {
    pub request: SearchRequest,
    pub page: usize,
    pub limit: usize,
}

impl Params<'_> {
    fn get(&self, k: &str) -> Option<&str> {
        self.0
            .get(k)
            .map(|s| s.as_str())
            .filter(|s| !s.trim().is_empty())
    }

    pub async fn parse(
        &self,
        state: &AppState,
        default_limit: usize,
    ) -> Result<Parsed, ParamError> {
        let number = |name: &'static str, max: usize| -> Result<Option<usize>, ParamError> {
            match self.get(name) {
                None => Ok(None),
                Some(v) => {
                    let ascii = bangla::digits::to_ascii_digits(v.trim());
                    match ascii.parse::<usize>() {
                        Ok(n) if (1..=max).contains(&n) => Ok(Some(n)),
                        _ => Err(ParamError {
                            param: name,
                            message: format!(
                                "`{name}` must be a whole number from 1 to {max}, got {v:?}"
                            ),
                        }),
                    }
                }
            }
        };
        let page = number("page", MAX_PAGE)?.unwrap_or(1);
        let limit = number("limit", MAX_LIMIT)?.unwrap_or(default_limit);
        let tz = state.tz();
        let day = |name: &'static str| -> Result<Option<i64>, ParamError> {
            match self.get(name) {
                None => Ok(None),
                Some(v) => {
                    let ascii = bangla::digits::to_ascii_digits(v.trim());
                    NaiveDate::parse_from_str(&ascii, "%Y-%m-%d")
                        .ok()
                        .map(|d| (name, d))
                        .and_then(|(name, d)| {
                            // `to` includes its whole day.
                            let d = if name == "to" { d.succ_opt()? } else { d };
                            tz.from_local_datetime(&d.and_hms_opt(0, 0, 0)?)
                                .earliest()
                                .map(|t| t.timestamp())
                        })
                        .map(Some)
                        .ok_or_else(|| ParamError {
                            param: name,
                            message: format!(
                                "`{name}` must be a date such as 2024-04-14, got {v:?}"
                            ),
                        })
                }
            }
        };
        let from = day("from")?;
        let to = day("to")?;
        if let (Some(f), Some(t)) = (from, to) {
            if f >= t {
                return Err(ParamError {
                    param: "from",
                    message: "`from` must be on or before `to`".to_owned(),
                });
            }
        }
        let section = match self.get("section") {
            None => None,
            Some(slug) => match state.store().section_by_slug(slug).await {
                Ok(Some(s)) => Some(s.slug),
                _ => {
                    return Err(ParamError {
                        param: "section",
                        message: format!("there is no section {slug:?}"),
                    })
                }
            },
        };
        Ok(Parsed {
            request: SearchRequest {
                q: self.0.get("q").cloned().unwrap_or_default(),
                section,
                from,
                to,
                offset: (page - 1) * limit,
                limit,
            },
            page,
            limit,
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub id: i64,
    pub external_id: Option<String>,
    pub headline: String,
    pub url: String,
    pub section: SectionView,
    pub date: DateView,
    /// Escaped HTML with the matched words in `<mark>`.
    pub snippet: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub hits: Vec<Hit>,
    pub total: usize,
    pub expansions: Vec<Expansion>,
    pub did_you_mean: Option<String>,
    /// Why the query was not run (empty, too long), in Bengali.
    pub problem: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchFailed {
    #[error(transparent)]
    Search(#[from] crate::search::SearchError),
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
    #[error("search task: {0}")]
    Join(#[from] tokio::task::JoinError),
}

pub async fn run(state: &AppState, req: SearchRequest) -> Result<Outcome, SearchFailed> {
    let now = crate::storage::now();
    let index = Arc::clone(state.search());
    let q = req.q.clone();
    let (results, suggestion) = tokio::task::spawn_blocking(move || {
        let results = index.search(&req, now)?;
        let suggestion = if results.total == 0 && results.plan.problem.is_none() {
            did_you_mean(&index.searcher(), &index.fields(), &q)
        } else {
            None
        };
        Ok::<_, crate::search::SearchError>((results, suggestion))
    })
    .await??;
    let ids: Vec<i64> = results.hits.iter().map(|(id, _)| *id).collect();
    let fetching = std::time::Instant::now();
    let articles = state.store().published_articles(&ids).await?;
    let fetched = fetching.elapsed();
    let (stems, exact) = results.plan.highlight();
    // Snippets analyse the stories' text: CPU work, off the async workers.
    let snippets = tokio::task::spawn_blocking(move || {
        let snippets: Vec<String> = articles
            .iter()
            .map(|a| snippet(&a.body_text, &stems, &exact))
            .collect();
        (articles, snippets)
    });
    let (articles, snippets) = snippets.await?;
    tracing::debug!(
        fetch_us = fetched.as_micros() as u64,
        snippets_us = (fetching.elapsed() - fetched).as_micros() as u64,
        "search hits timing"
    );
    let hits = articles
        .iter()
        .zip(snippets)
        .map(|(a, snippet)| Hit {
            id: a.id,
            external_id: a.external_id.clone(),
            headline: a.headline.clone(),
            url: urls::article(&a.section.slug, a.id),
            section: SectionView::from(&a.section),
            date: DateView::new(a.published_at.unwrap_or(a.updated_at), state.tz(), now),
            snippet,
        })
        .collect();
    Ok(Outcome {
        hits,
        total: results.total,
        expansions: results.plan.expansions,
        did_you_mean: suggestion,
        problem: results.plan.problem,
    })
}
