//! Story lists: section, tag, author, date archive and latest. All are keyset-paginated
//! ("older stories" links carry the last story's time and id), so any page is one indexed query.

use axum::extract::{Path, Query, State};
use axum::response::Html;
use chrono::{Datelike, Days, NaiveDate, TimeZone};
use serde::Serialize;

use crate::domain::geo::COUNTRY;
use crate::domain::urls;
use crate::storage::articles::{Cursor, Filter};
use crate::storage::now;
use crate::web::http_cache::CacheTags;
use crate::web::view::{CardView, DateView};
use crate::web::{AppState, WebError};

use super::places::{divisions_nav, PlacesNav};
use super::{Paging, PAGE_SIZE};

/// What `list.html` shows.
#[derive(Serialize)]
struct ListPage {
    title: String,
    heading: String,
    description: String,
    /// This list's own URL, without paging: the canonical link of its first page.
    path: String,
    cards: Vec<CardView>,
    older: Option<String>,
    first_page: bool,
    feed: Option<String>,
    /// Links to the previous and next day on archive pages.
    prev_day: Option<DayLink>,
    next_day: Option<DayLink>,
    /// Up to the places above and down to those below, on সারাদেশ and place pages.
    places: Option<PlacesNav>,
}

#[derive(Serialize)]
pub(super) struct DayLink {
    url: String,
    label: String,
}

pub(super) struct ListSpec {
    pub title: String,
    pub description: String,
    pub path: String,
    pub filter: Filter,
    pub feed: Option<String>,
    pub prev_day: Option<DayLink>,
    pub next_day: Option<DayLink>,
    pub places: Option<PlacesNav>,
}

/// Renders a list page; `tags` (what the list is of) get the ids of the stories shown added.
pub(super) async fn render_list(
    state: &AppState,
    spec: ListSpec,
    paging: &Paging,
    mut tags: Vec<String>,
) -> Result<(CacheTags, Html<String>), WebError> {
    let cursor = paging.cursor()?;
    let now = now();
    let cards = state
        .store()
        .list_published(spec.filter, cursor, PAGE_SIZE + 1)
        .await?;
    // An "older" page past the end is a wrong address, not an empty list.
    if cards.is_empty() && cursor.is_some() {
        return Err(WebError::NotFound);
    }
    let more = cards.len() as i64 > PAGE_SIZE;
    let shown = &cards[..cards.len().min(PAGE_SIZE as usize)];
    let older = match (more, shown.last()) {
        (true, Some(last)) => Some(format!(
            "{}?before={}",
            spec.path,
            Cursor {
                published_at: last.published_at,
                id: last.id
            }
            .encode()
        )),
        _ => None,
    };
    let page = ListPage {
        heading: spec.title.clone(),
        title: spec.title,
        description: spec.description,
        path: spec.path,
        cards: CardView::list(shown, state.tz(), now, state.media_base()),
        older,
        first_page: cursor.is_none(),
        feed: spec.feed,
        prev_day: spec.prev_day,
        next_day: spec.next_day,
        places: spec.places,
    };
    let html = state
        .render("list.html", now, minijinja::Value::from_serialize(&page))
        .await?;
    tags.extend(shown.iter().map(|c| format!("article:{}", c.id)));
    Ok((CacheTags(tags), Html(html)))
}

pub async fn section(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(paging): Query<Paging>,
) -> Result<(CacheTags, Html<String>), WebError> {
    let section = state
        .store()
        .section_by_slug(&slug)
        .await?
        .ok_or(WebError::NotFound)?;
    let path = urls::section(&section.slug);
    let places = match section.slug.as_str() {
        COUNTRY => Some(divisions_nav(&state).await?),
        _ => None,
    };
    let spec = ListSpec {
        description: format!("{} বিভাগের সব খবর", section.name),
        title: section.name.clone(),
        feed: Some(format!("{path}/feed.xml")),
        path,
        filter: Filter::Section(section.id),
        prev_day: None,
        next_day: None,
        places,
    };
    let tags = vec![format!("section:{}", section.id)];
    render_list(&state, spec, &paging, tags).await
}

pub async fn tag(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(paging): Query<Paging>,
) -> Result<(CacheTags, Html<String>), WebError> {
    let tag = state
        .store()
        .tag_by_slug(&slug)
        .await?
        .ok_or(WebError::NotFound)?;
    let spec = ListSpec {
        description: format!("‘{}’ নিয়ে সব খবর", tag.name),
        title: tag.name.clone(),
        path: urls::tag(&tag.slug),
        filter: Filter::Tag(tag.id),
        feed: None,
        prev_day: None,
        next_day: None,
        places: None,
    };
    let tags = vec![format!("tag:{}", tag.id)];
    render_list(&state, spec, &paging, tags).await
}

pub async fn author(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(paging): Query<Paging>,
) -> Result<(CacheTags, Html<String>), WebError> {
    let author = state
        .store()
        .author_by_slug(&slug)
        .await?
        .ok_or(WebError::NotFound)?;
    let spec = ListSpec {
        description: format!("{}-এর লেখা সব খবর", author.name),
        title: author.name.clone(),
        path: urls::author(&author.slug),
        filter: Filter::Author(author.id),
        feed: None,
        prev_day: None,
        next_day: None,
        places: None,
    };
    let tags = vec![format!("author:{}", author.id)];
    render_list(&state, spec, &paging, tags).await
}

pub async fn latest(
    State(state): State<AppState>,
    Query(paging): Query<Paging>,
) -> Result<(CacheTags, Html<String>), WebError> {
    let spec = ListSpec {
        title: "সর্বশেষ".to_owned(),
        description: "সর্বশেষ প্রকাশিত সব খবর".to_owned(),
        path: "/latest".to_owned(),
        filter: Filter::All,
        feed: Some("/feed.xml".to_owned()),
        prev_day: None,
        next_day: None,
        places: None,
    };
    render_list(&state, spec, &paging, vec!["latest".to_owned()]).await
}

/// `/archive/YYYY/MM/DD`: the stories published that day in the paper's time zone.
pub async fn archive(
    State(state): State<AppState>,
    Path((year, month, day)): Path<(String, String, String)>,
    Query(paging): Query<Paging>,
) -> Result<(CacheTags, Html<String>), WebError> {
    let date = parse_day(&year, &month, &day).ok_or(WebError::NotFound)?;
    let tz = state.tz();
    let start = day_start(tz, date).ok_or(WebError::NotFound)?;
    let next = date
        .checked_add_days(Days::new(1))
        .ok_or(WebError::NotFound)?;
    let end = day_start(tz, next).ok_or(WebError::NotFound)?;
    let prev = date.checked_sub_days(Days::new(1));
    let label = |d: NaiveDate| DateView::new(day_start(tz, d).unwrap_or(start), tz, 0);
    let here = label(date);
    let link = |d: NaiveDate| DayLink {
        url: urls::archive(d.year(), d.month(), d.day()),
        label: label(d).gregorian,
    };
    let today = crate::web::view::local_date(now(), tz);
    let spec = ListSpec {
        title: format!("{} ({})", here.gregorian, here.bangla),
        description: format!("{} তারিখে প্রকাশিত খবর", here.gregorian),
        path: urls::archive(date.year(), date.month(), date.day()),
        filter: Filter::Between(start, end),
        feed: None,
        prev_day: prev.map(link),
        next_day: (next <= today).then(|| link(next)),
        places: None,
    };
    render_list(&state, spec, &paging, vec!["archive".to_owned()]).await
}

fn parse_day(y: &str, m: &str, d: &str) -> Option<NaiveDate> {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(y, 4) && digits(m, 2) && digits(d, 2)) {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

fn day_start(tz: chrono_tz::Tz, d: NaiveDate) -> Option<i64> {
    tz.from_local_datetime(&d.and_hms_opt(0, 0, 0)?)
        .earliest()
        .map(|t| t.timestamp())
}
