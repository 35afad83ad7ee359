//! সর্বাধিক পঠিত: the most-read lists of the site and of each section, over the last 24 hours
//! and 7 days, and the counting behind them.
//!
//! [`count`] is a middleware outside the page cache: a story page answered, from the cache or
//! freshly rendered, carries [`ViewOf`], and a reader's request for it (a browser, not a
//! crawler, a tool or a prefetch) is handed to the node's `ViewCounter` — memory only; the
//! counts reach the store in batches (`jobs::views`). The lists are worked out from the store
//! at most once a minute per node ([`MostRead`]) and drawn as cached fragments tagged
//! `most-read`, which expire with the cache's TTL.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

use crate::domain::urls;
use crate::domain::views::Period;
use crate::storage::{now, StorageError, Store};
use crate::web::cache::{Fragment, ViewOf};
use crate::web::http_cache::CacheTags;
use crate::web::newsroom::client_addr::client_address;
use crate::web::view::{CardView, SectionView};
use crate::web::{AppState, WebError};

/// Stories in a list beside a page.
pub const LIST_SIZE: usize = 5;
/// Stories in a list on the most-read pages.
const PAGE_LIST_SIZE: usize = 10;
/// How long worked-out lists are used before the store is asked again.
const REFRESH: Duration = Duration::from_secs(60);
/// A section's own list is shown beside its stories once it has this many stories.
const SECTION_LIST_MIN: usize = 3;

/// Whether `path` has the shape of a story's page (`/{section}/{id}`): only such requests are
/// looked at further, so other pages pay nothing for counting.
fn story_shaped(path: &str) -> bool {
    let Some(rest) = path.strip_prefix('/') else {
        return false;
    };
    match rest.split_once('/') {
        Some((section, id)) => {
            !section.is_empty() && !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

/// Who asked for a story page, when the request is one to count: a browser's GET of a
/// story-shaped path, views being counted at all.
pub struct Reader {
    address: String,
    user_agent: String,
}

impl Reader {
    /// The reader behind `request` from `peer`, or `None` when the request is not counted.
    pub fn of<B>(
        state: &AppState,
        request: &axum::http::Request<B>,
        peer: Option<SocketAddr>,
    ) -> Option<Reader> {
        if !state.views().enabled()
            || request.method() != Method::GET
            || !story_shaped(request.uri().path())
        {
            return None;
        }
        let headers = request.headers();
        let user_agent = headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok());
        let reader = crate::domain::views::is_reader(
            user_agent,
            headers
                .get("sec-purpose")
                .or_else(|| headers.get("purpose"))
                .and_then(|v| v.to_str().ok()),
        );
        reader.then(|| Reader {
            address: client_address(peer, headers, &state.config().auth.trusted_proxies),
            user_agent: user_agent.unwrap_or("").to_owned(),
        })
    }

    /// Counts the view when `response` is a story page shown (fresh, or still valid: 304).
    pub fn count(self, state: &AppState, response: &Response) {
        if let Some(ViewOf(id)) = response.extensions().get::<ViewOf>() {
            if matches!(response.status(), StatusCode::OK | StatusCode::NOT_MODIFIED) {
                state
                    .views()
                    .record(*id, &self.address, &self.user_agent, now());
            }
        }
    }
}

/// Middleware: counts a reader's request for a story page (see the module's comment).
pub async fn count(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let Some(reader) = Reader::of(&state, &request, peer) else {
        return next.run(request).await;
    };
    let response = next.run(request).await;
    reader.count(&state, &response);
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_story_shaped_paths_are_looked_at() {
        for path in ["/national/42", "/%E0%A6%96%E0%A7%87%E0%A6%B2%E0%A6%BE/7"] {
            assert!(super::story_shaped(path), "{path}");
        }
        for path in [
            "/",
            "/latest",
            "/national",
            "/national/",
            "/national/42/x",
            "/tag/dhaka",
            "//42",
            "/national/4a",
        ] {
            assert!(!super::story_shaped(path), "{path}");
        }
    }
}

/// One period's list: (story, views), most read first.
type Ranking = Vec<(i64, i64)>;

/// The lists as last worked out from the store.
#[derive(Default)]
struct Lists {
    site: HashMap<Period, Ranking>,
    sections: HashMap<(i64, Period), Ranking>,
}

impl Lists {
    fn ranking(&self, section: Option<i64>, period: Period) -> &[(i64, i64)] {
        match section {
            None => self.site.get(&period),
            Some(id) => self.sections.get(&(id, period)),
        }
        .map_or(&[], Vec::as_slice)
    }
}

/// This node's most-read lists, worked out from the store's counts at most once a minute.
#[derive(Default)]
pub struct MostRead {
    lists: tokio::sync::Mutex<Option<(Instant, Arc<Lists>)>>,
}

impl MostRead {
    async fn lists(&self, store: &Store) -> Result<Arc<Lists>, StorageError> {
        let mut held = self.lists.lock().await;
        if let Some((at, lists)) = held.as_ref() {
            if at.elapsed() < REFRESH {
                return Ok(Arc::clone(lists));
            }
        }
        let t = now();
        let mut lists = Lists::default();
        for period in Period::ALL {
            let views = store.views_since(period.since_hour(t)).await?;
            lists.site.insert(
                period,
                views
                    .iter()
                    .take(PAGE_LIST_SIZE)
                    .map(|(a, _, n)| (*a, *n))
                    .collect(),
            );
            for (article, section, n) in views {
                let list = lists.sections.entry((section, period)).or_default();
                if list.len() < PAGE_LIST_SIZE {
                    list.push((article, n));
                }
            }
        }
        let lists = Arc::new(lists);
        *held = Some((Instant::now(), Arc::clone(&lists)));
        Ok(lists)
    }

    /// Forgets the lists, so the next page works them out again.
    pub async fn forget(&self) {
        *self.lists.lock().await = None;
    }
}

/// A story in a list, with how often it was read.
#[derive(Serialize)]
struct Entry {
    card: CardView,
    views: i64,
}

async fn entries(
    state: &AppState,
    ranking: &[(i64, i64)],
    n: usize,
    now: i64,
) -> Result<Vec<Entry>, WebError> {
    let ranking = &ranking[..ranking.len().min(n)];
    let ids: Vec<i64> = ranking.iter().map(|(id, _)| *id).collect();
    let cards = state.store().published_cards(&ids).await?;
    Ok(cards
        .iter()
        .filter_map(|c| {
            let views = ranking.iter().find(|(id, _)| *id == c.id)?.1;
            Some(Entry {
                card: CardView::new(c, state.tz(), now, state.media_base()),
                views,
            })
        })
        .collect())
}

/// The list beside a page: the 24-hour list of `section` when it has enough stories, else the
/// site's. Tagged `most-read` and with each story shown.
pub async fn beside(state: &AppState, section: Option<i64>) -> Result<Arc<Fragment>, WebError> {
    let key = match section {
        Some(id) => format!("most-read-beside:{id}"),
        None => "most-read-beside".to_owned(),
    };
    Ok(state
        .cache()
        .fragment(&key, || beside_fragment(state, section))
        .await?
        .unwrap_or_default())
}

async fn beside_fragment(
    state: &AppState,
    section: Option<i64>,
) -> Result<Option<Fragment>, WebError> {
    let lists = state.most_read().lists(state.store()).await?;
    let own = section
        .map(|id| lists.ranking(Some(id), Period::Day))
        .filter(|r| r.len() >= SECTION_LIST_MIN);
    let (ranking, in_section) = match own {
        Some(r) => (r, true),
        None => (lists.ranking(None, Period::Day), false),
    };
    let now = now();
    let list = entries(state, ranking, LIST_SIZE, now).await?;
    let mut tags = vec!["most-read".to_owned()];
    tags.extend(list.iter().map(|e| format!("article:{}", e.card.id)));
    if list.is_empty() {
        // Nothing read yet: no box at all rather than an empty one.
        return Ok(Some(Fragment {
            html: String::new(),
            tags,
            canonical: None,
        }));
    }
    let sections = state.cache().sections(state.store()).await?;
    let shown = section
        .filter(|_| in_section)
        .and_then(|id| sections.iter().find(|s| s.id == id));
    let (heading, more) = match shown {
        Some(s) => (
            format!("সর্বাধিক পঠিত: {}", s.name),
            urls::most_read(Some(&s.slug)),
        ),
        None => ("সর্বাধিক পঠিত".to_owned(), urls::most_read(None)),
    };
    let html = state.render_part(
        "fragments/most_read.html",
        minijinja::context! { entries => list, heading => heading, more => more },
    )?;
    Ok(Some(Fragment {
        html,
        tags,
        canonical: None,
    }))
}

/// `/most-read`: the site's lists for both periods.
pub async fn site(State(state): State<AppState>) -> Result<Response, WebError> {
    page(&state, None).await
}

/// `/most-read/{section}`: one section's lists.
pub async fn section(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, WebError> {
    let sections = state.cache().sections(state.store()).await?;
    let section = sections
        .iter()
        .find(|s| s.slug == slug)
        .ok_or(WebError::NotFound)?;
    page(&state, Some(section)).await
}

#[derive(Serialize)]
struct PeriodList {
    label: &'static str,
    id: &'static str,
    entries: Vec<Entry>,
}

async fn page(
    state: &AppState,
    section: Option<&crate::domain::Section>,
) -> Result<Response, WebError> {
    let lists = state.most_read().lists(state.store()).await?;
    let now = now();
    let mut periods = Vec::new();
    let mut tags = vec!["most-read".to_owned()];
    for period in Period::ALL {
        let entries = entries(
            state,
            lists.ranking(section.map(|s| s.id), period),
            PAGE_LIST_SIZE,
            now,
        )
        .await?;
        tags.extend(entries.iter().map(|e| format!("article:{}", e.card.id)));
        periods.push(PeriodList {
            label: period.label(),
            id: period.as_str(),
            entries,
        });
    }
    if let Some(s) = section {
        tags.push(format!("section:{}", s.id));
    }
    tags.sort();
    tags.dedup();
    let sections: Vec<(String, String)> = state
        .cache()
        .sections(state.store())
        .await?
        .iter()
        .map(|s| (s.name.clone(), urls::most_read(Some(&s.slug))))
        .collect();
    let html = state
        .render(
            "most_read.html",
            now,
            minijinja::context! {
                section => section.map(SectionView::from),
                canonical => urls::most_read(section.map(|s| s.slug.as_str())),
                periods => periods,
                all_sections => sections,
            },
        )
        .await?;
    Ok((CacheTags(tags), Html(html)).into_response())
}
