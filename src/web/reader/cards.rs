//! Photocards on the reader site: `/c/{CODE}` (the card's page: its image, exact text, story
//! and a statement that the card is ours), `/c/{CODE}.png`, `/c/{CODE}.json` (the signed
//! record), `/cards` (recent cards), the keys at `/.well-known/khobor-card-keys.json` and
//! `/.well-known/trust.txt`. A code is read in any case: the QR carries the URL upper-cased.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use crate::cards::{card_path, normalise_code};
use crate::domain::urls;
use crate::storage::cards::Card;
use crate::storage::now;
use crate::web::http_cache::CacheTags;
use crate::web::view::DateView;
use crate::web::{absolute, AppState, WebError};

/// A card as its page and the list show it.
#[derive(Serialize)]
pub struct CardPageView {
    pub code: String,
    pub url: String,
    pub image: String,
    pub record: String,
    pub width: i64,
    pub height: i64,
    pub layout: String,
    pub quote: bool,
    pub text: String,
    pub speaker: Option<String>,
    pub story_url: String,
    pub story_headline: String,
    pub section_name: String,
    pub section_url: String,
    pub date: DateView,
    pub superseded_by: Option<String>,
    pub withdrawn: bool,
}

impl CardPageView {
    pub fn new(state: &AppState, c: &Card, now: i64) -> CardPageView {
        let path = card_path(&c.code);
        CardPageView {
            code: c.code.clone(),
            url: absolute(state, &path),
            image: format!("{path}.png"),
            record: format!("{path}.json"),
            width: c.width,
            height: c.height,
            layout: c.layout.clone(),
            quote: c.kind == "quote",
            text: c.text.clone(),
            speaker: c.speaker.clone(),
            story_url: urls::article(&c.section_slug, c.article_id),
            story_headline: c.story_headline.clone(),
            section_name: c.section_name.clone(),
            section_url: urls::section(&c.section_slug),
            date: DateView::new(c.created_at, state.tz(), now),
            superseded_by: c.superseded_by.as_ref().map(|s| card_path(s)),
            withdrawn: c.story_status != "published",
        }
    }
}

enum Wanted {
    Page,
    Image,
    Record,
}

/// `/c/{file}` and `/C/{file}`: `CODE`, `CODE.png` or `CODE.json`, any case.
pub async fn card_file(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, WebError> {
    let lower = file.to_ascii_lowercase();
    let (code, wanted) = if let Some(c) = lower.strip_suffix(".png") {
        (c, Wanted::Image)
    } else if let Some(c) = lower.strip_suffix(".json") {
        (c, Wanted::Record)
    } else {
        (lower.as_str(), Wanted::Page)
    };
    let found = match normalise_code(code) {
        Some(code) => state.store().card_by_code(&code).await?,
        None => None,
    };
    let Some(card) = found else {
        return match wanted {
            Wanted::Page => unknown(&state, &file).await,
            _ => Err(WebError::NotFound),
        };
    };
    // The address as printed (and as the QR carries it, upper-case) is the one kept.
    if file != card.code && matches!(wanted, Wanted::Page) {
        return Ok(Redirect::permanent(&card_path(&card.code)).into_response());
    }
    match wanted {
        Wanted::Page => page(&state, &card).await,
        Wanted::Image => image(&state, &card).await,
        Wanted::Record => Ok(record(&card)),
    }
}

async fn page(state: &AppState, card: &Card) -> Result<Response, WebError> {
    let now = now();
    let view = CardPageView::new(state, card, now);
    let html = state
        .render(
            "card.html",
            now,
            minijinja::context! { card => view, found => true },
        )
        .await?;
    let tags = CacheTags(vec![format!("article:{}", card.article_id)]);
    Ok((tags, Html(html)).into_response())
}

async fn image(state: &AppState, card: &Card) -> Result<Response, WebError> {
    let bytes = match state.cards().images().get(&card.image_name).await {
        Ok(Some(b)) => b,
        Ok(None) => return Err(WebError::NotFound),
        Err(e) => {
            tracing::error!(error = %e, card = %card.code, "card image unavailable");
            return Ok((
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CACHE_CONTROL, "no-store")],
                "the media store cannot be reached",
            )
                .into_response());
        }
    };
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "image/png".to_owned()),
            (
                header::CACHE_CONTROL,
                "public, max-age=31536000, immutable".to_owned(),
            ),
            (header::ETAG, format!("\"{}\"", card.png_sha256)),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"khobor-card-{}.png\"", card.code),
            ),
        ],
        bytes,
    )
        .into_response())
}

fn record(card: &Card) -> Response {
    let body = serde_json::json!({
        "record": card.record,
        "signature": card.signature,
        "kid": card.kid,
        "alg": "EdDSA",
        "keys": "/.well-known/khobor-card-keys.json",
    });
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        body.to_string(),
    )
        .into_response()
}

/// A code no card of ours has: a clear page that says so, with a box to type a code again.
async fn unknown(state: &AppState, typed: &str) -> Result<Response, WebError> {
    let html = state
        .render(
            "card.html",
            now(),
            minijinja::context! { found => false, typed => typed.chars().take(40).collect::<String>() },
        )
        .await?;
    let mut r = (StatusCode::NOT_FOUND, Html(html)).into_response();
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        crate::web::error::error_cache_control(StatusCode::NOT_FOUND),
    );
    Ok(r)
}

#[derive(Deserialize)]
pub struct TypedCode {
    code: Option<String>,
}

/// `/c` and `/c/`: the box to type a code, or a typed code's card.
pub async fn lookup(
    State(state): State<AppState>,
    Query(q): Query<TypedCode>,
) -> Result<Response, WebError> {
    match q.code.as_deref().map(str::trim) {
        None | Some("") => {
            let html = state
                .render(
                    "card.html",
                    now(),
                    minijinja::context! { found => false, asking => true },
                )
                .await?;
            Ok((CacheTags(vec!["cards".into()]), Html(html)).into_response())
        }
        Some(typed) => match normalise_code(typed) {
            Some(code) if state.store().card_by_code(&code).await?.is_some() => {
                Ok(Redirect::to(&card_path(&code)).into_response())
            }
            _ => unknown(&state, typed).await,
        },
    }
}

/// `/cards`: the newest cards of published stories.
pub async fn recent(State(state): State<AppState>) -> Result<Response, WebError> {
    let now = now();
    let cards: Vec<CardPageView> = state
        .store()
        .recent_cards(30)
        .await?
        .iter()
        .map(|c| CardPageView::new(&state, c, now))
        .collect();
    let html = state
        .render("cards.html", now, minijinja::context! { cards => cards })
        .await?;
    Ok((CacheTags(vec!["latest".into()]), Html(html)).into_response())
}

/// `/.well-known/khobor-card-keys.json`: every key cards were signed with (RFC 7517 JWKS).
pub async fn keys(State(state): State<AppState>) -> Result<Response, WebError> {
    let keys = state.store().card_keys().await?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/jwk-set+json"),
            (header::CACHE_CONTROL, "public, max-age=300"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        crate::cards::jwks(&keys).to_string(),
    )
        .into_response())
}

/// `/.well-known/trust.txt` (JournalList's trust.txt): who the paper is and where its
/// card keys are, for fact-checkers' tools.
pub async fn trust_txt(State(state): State<AppState>) -> Response {
    let base = state.base_url();
    let body = format!(
        "# trust.txt for {name}\n# https://journallist.net/reference-document-for-trust-txt-specifications\n\
         # Photocards published by this site carry a code; check one at {base}/c/\n\
         # Card signing keys (JWKS): {base}/.well-known/khobor-card-keys.json\n\
         control={base}/\n",
        name = state.config().site.name,
    );
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}
