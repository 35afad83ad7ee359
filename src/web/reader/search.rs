//! `/search?q=&section=&from=&to=&page=`: the reader's search page.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Html;

use crate::domain::urls;
use crate::storage::now;
use crate::web::search::{self, Params, PAGE_SIZE};
use crate::web::{AppState, WebError};

pub async fn search_page(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    let parsed = Params(&params)
        .parse(&state, PAGE_SIZE)
        .await
        .map_err(|e| WebError::BadRequest(format!("খোঁজার ঠিকানাটি সঠিক নয়: {}", e.message)))?;
    let q = parsed.request.q.clone();
    let outcome = if q.trim().is_empty() {
        None
    } else {
        Some(search::run(&state, parsed.request).await.map_err(|e| {
            tracing::error!(error = %e, "search failed");
            WebError::BadRequest("এই মুহূর্তে খোঁজা যাচ্ছে না, একটু পরে আবার চেষ্টা করুন।".to_owned())
        })?)
    };
    let next = outcome.as_ref().and_then(|o| {
        (parsed.page * PAGE_SIZE < o.total && parsed.page < search::MAX_PAGE).then(|| {
            let mut p = params.clone();
            p.insert("page".into(), (parsed.page + 1).to_string());
            query_string(&p)
        })
    });
    let suggestion_url = outcome
        .as_ref()
        .and_then(|o| o.did_you_mean.as_ref())
        .map(|s| format!("/search?q={}", urls::query_value(s)));
    let sections = state.store().sections().await?;
    let html = state
        .render(
            "search.html",
            now(),
            minijinja::context! {
                q => q,
                outcome => outcome,
                page => parsed.page,
                next => next,
                suggestion_url => suggestion_url,
                section => params.get("section").cloned().unwrap_or_default(),
                from => params.get("from").cloned().unwrap_or_default(),
                to => params.get("to").cloned().unwrap_or_default(),
                section_options => sections.iter().map(|s| (s.slug.clone(), s.name.clone())).collect::<Vec<_>>(),
            },
        )
        .await?;
    Ok(Html(html))
}

fn query_string(params: &HashMap<String, String>) -> String {
    let mut keys: Vec<&String> = params.keys().collect();
    keys.sort();
    let pairs: Vec<String> = keys
        .into_iter()
        .filter(|k| !params[*k].is_empty())
        .map(|k| format!("{}={}", urls::query_value(k), urls::query_value(&params[k])))
        .collect();
    format!("/search?{}", pairs.join("&"))
}
