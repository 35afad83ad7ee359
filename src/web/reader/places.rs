//! সারাদেশ by place: `/country/{division}`, `/country/{division}/{district}` and
//! `/country/{division}/{district}/{upazila}` list the stories about a place and everywhere
//! below it, with links down to its districts or upazilas and back up; the সারাদেশ section's
//! own page links its divisions. `…/{district}/latest.json` is a district's newest stories for
//! the home page's district block: the reader's choice lives in a first-party cookie that only
//! the reader's browser reads (`static/district.js`), so the home page stays one cached page
//! for everyone and each district's list is one cached response shared by its readers.
//!
//! These addresses share their shape with a সারাদেশ story's (`/country/{id}`): the story
//! handlers pass anything that is not a story number on to [`page`].

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Json, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::domain::geo::{self, Place, PlaceKind, COUNTRY};
use crate::storage::articles::Filter;
use crate::storage::now;
use crate::web::http_cache::CacheTags;
use crate::web::view::CardView;
use crate::web::{AppState, WebError};

use super::lists::{render_list, ListSpec};
use super::Paging;

/// The cookie that remembers a reader's district (its path, `dhaka/gazipur`).
pub const DISTRICT_COOKIE: &str = "khobor_district";
/// Stories in a district's block on the home page.
const BLOCK_SIZE: i64 = 5;

/// A link in the places navigation.
#[derive(Serialize, Clone)]
pub struct PlaceLink {
    pub url: String,
    pub name: String,
}

/// The navigation on a place's page: the way back up, and the places below.
#[derive(Serialize, Clone)]
pub struct PlacesNav {
    pub up: Vec<PlaceLink>,
    /// What the places below are: বিভাগ, জেলা or উপজেলা.
    pub below_kind: &'static str,
    pub below: Vec<PlaceLink>,
}

fn link(p: &Place) -> PlaceLink {
    PlaceLink {
        url: p.url(),
        name: p.name_bn.clone(),
    }
}

/// The divisions, for the সারাদেশ section's page.
pub async fn divisions_nav(state: &AppState) -> Result<PlacesNav, WebError> {
    let divisions = state.store().place_children(None).await?;
    Ok(PlacesNav {
        up: Vec::new(),
        below_kind: PlaceKind::Division.bn(),
        below: divisions.iter().map(link).collect(),
    })
}

/// A place's page or, for `…/latest.json`, a district's newest stories; `rest` is the path
/// after `/country/`.
pub async fn page(state: &AppState, rest: &str, uri: &Uri) -> Result<Response, WebError> {
    if let Some(path) = rest.strip_suffix("/latest.json") {
        return latest_json(state, path).await;
    }
    let place = state
        .store()
        .place_by_path(rest.trim_end_matches('/'))
        .await?
        .ok_or(WebError::NotFound)?;
    let paging: Paging = Query::<Paging>::try_from_uri(uri)
        .map(|q| q.0)
        .map_err(|_| WebError::BadRequest("পাতার ঠিকানাটি সঠিক নয়।".into()))?;
    let mut up = vec![PlaceLink {
        url: crate::domain::urls::section(COUNTRY),
        name: "সারাদেশ".to_owned(),
    }];
    let mut parent_name = None;
    let mut ancestor = place.parent_id;
    let mut chain = Vec::new();
    while let Some(id) = ancestor {
        let Some(p) = state.store().place(id).await? else {
            break;
        };
        ancestor = p.parent_id;
        if parent_name.is_none() {
            parent_name = Some(p.name_bn.clone());
        }
        chain.push(link(&p));
    }
    chain.reverse();
    up.extend(chain);
    let below = state.store().place_children(Some(place.id)).await?;
    let (title, description) = match place.kind {
        PlaceKind::Division => (
            format!("{} বিভাগ", place.name_bn),
            format!("{} বিভাগের সব জেলার খবর", place.name_bn),
        ),
        PlaceKind::District => (place.name_bn.clone(), format!("{} জেলার খবর", place.name_bn)),
        PlaceKind::Upazila => (
            match &parent_name {
                Some(d) => format!("{}, {d}", place.name_bn),
                None => place.name_bn.clone(),
            },
            format!("{} উপজেলার খবর", place.name_bn),
        ),
    };
    let spec = ListSpec {
        title,
        description,
        path: place.url(),
        filter: Filter::Place(place.id),
        feed: None,
        prev_day: None,
        next_day: None,
        places: Some(PlacesNav {
            up,
            below_kind: place.kind.child().map(PlaceKind::bn).unwrap_or(""),
            below: below.iter().map(link).collect(),
        }),
    };
    let tags = vec![format!("place:{}", place.id)];
    Ok(render_list(state, spec, &paging, tags)
        .await?
        .into_response())
}

/// A district's newest stories as JSON, for the home page's district block.
async fn latest_json(state: &AppState, path: &str) -> Result<Response, WebError> {
    let place = state
        .store()
        .place_by_path(path)
        .await?
        .filter(|p| p.kind == PlaceKind::District)
        .ok_or(WebError::NotFound)?;
    let t = now();
    let cards = state
        .store()
        .list_published(Filter::Place(place.id), None, BLOCK_SIZE)
        .await?;
    let views = CardView::list(&cards, state.tz(), t, state.media_base());
    let stories: Vec<_> = views
        .iter()
        .map(|c| {
            json!({
                "headline": c.headline,
                "url": c.url,
                "time": c.date.iso,
                "when": c.date.relative.clone().unwrap_or_else(|| c.date.gregorian.clone()),
            })
        })
        .collect();
    let mut tags = vec![format!("place:{}", place.id), "latest".to_owned()];
    tags.extend(cards.iter().map(|c| format!("article:{}", c.id)));
    let body = json!({
        "place": {"name": place.name_bn, "url": place.url()},
        "stories": stories,
    });
    Ok((CacheTags(tags), Json(body)).into_response())
}

#[derive(Deserialize)]
pub struct Pick {
    #[serde(default)]
    district: String,
}

/// `GET /my-district?district=dhaka/gazipur`: the home page's district form without
/// JavaScript. Remembers the district in a first-party cookie and shows its page; an empty
/// choice forgets it.
pub async fn pick(
    State(state): State<AppState>,
    Query(pick): Query<Pick>,
) -> Result<Response, WebError> {
    let secure = if state.base_url().starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let path = pick.district.trim();
    if path.is_empty() {
        let cookie = format!("{DISTRICT_COOKIE}=; Path=/; Max-Age=0; SameSite=Lax{secure}");
        return Ok(see_other("/", &cookie));
    }
    let place = state
        .store()
        .place_by_path(path)
        .await?
        .filter(|p| p.kind == PlaceKind::District)
        .ok_or_else(|| WebError::BadRequest("এই নামে কোনো জেলা নেই; তালিকা থেকে বেছে নিন।".into()))?;
    let cookie = format!(
        "{DISTRICT_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax{secure}",
        place.path.replace('/', "%2F")
    );
    Ok(see_other(&place.url(), &cookie))
}

fn see_other(to: &str, cookie: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    if let Ok(v) = HeaderValue::from_str(cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The districts by division, for the home page's district picker.
#[derive(Serialize)]
pub struct DivisionOptions {
    pub name: String,
    pub districts: Vec<(String, String)>,
}

pub async fn district_options(state: &AppState) -> Result<Vec<DivisionOptions>, WebError> {
    let places = state.store().places().await?;
    let out = places
        .iter()
        .filter(|d| d.kind == PlaceKind::Division)
        .map(|d| DivisionOptions {
            name: geo::label(d, None),
            districts: places
                .iter()
                .filter(|p| p.parent_id == Some(d.id))
                .map(|p| (p.path.clone(), p.name_bn.clone()))
                .collect(),
        })
        .collect();
    Ok(out)
}
