//! The admin API under `/api/v1/admin/`: stories (create, read, update with optimistic
//! concurrency, move between states, delete, revisions) and media (upload, list, read).
//! Authenticated by an API token (`Authorization: Bearer khobor_…`) or by the newsroom
//! session plus its CSRF token in `X-CSRF-Token` for anything that changes state. The same
//! permission table as the newsroom pages applies; a token never has more than its role.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequestParts, Multipart, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth;
use crate::domain::newsroom::Transition;
use crate::domain::story::{FieldError, StoryFields};
use crate::domain::{urls, Action, Status};
use crate::feeds::sitemap::w3c_time;
use crate::storage::stories::{Story, StoryQuery};
use crate::storage::users::Audit;
use crate::stories::{Caller, ServiceError};
use crate::web::newsroom::media::{read_upload, spool_dir, store_upload};
use crate::web::newsroom::session::{session_from_jar, ClientAddr};
use crate::web::newsroom::UPLOAD_BODY_LIMIT;
use crate::web::{absolute, media_url, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/articles", get(list).post(create))
        .route("/articles/{id}", get(one).put(update).delete(remove))
        .route("/articles/{id}/transitions", post(transition))
        .route("/articles/{id}/revisions", get(revisions))
        .route("/articles/{id}/cards", get(cards_list).post(card_create))
        .route(
            "/media",
            get(media_list)
                .post(media_upload)
                .layer(axum::extract::DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
        .route("/media/{id}", get(media_one))
        // Everything here is private to the newsroom: never stored by a browser or a CDN.
        .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store, private"),
        ))
}

/// An admin API error: `{"error": {"code", "message", "fields"?}, "current"?}`.
#[derive(Debug)]
pub struct AdminError {
    status: StatusCode,
    body: Value,
}

impl AdminError {
    fn new(status: StatusCode, code: &str, message: impl Into<String>) -> AdminError {
        AdminError {
            status,
            body: json!({"error": {"code": code, "message": message.into()}}),
        }
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let mut r = (self.status, Json(self.body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"khobor\""),
            );
        }
        r.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store, private"),
        );
        r
    }
}

impl From<crate::storage::StorageError> for AdminError {
    fn from(e: crate::storage::StorageError) -> AdminError {
        tracing::error!(error = %e, "admin api failed");
        AdminError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
    }
}

fn invalid(errors: &[FieldError]) -> AdminError {
    // The story rules name the newsroom form's fields; an API client sent `body_html` and
    // `section`, so the error names those.
    let errors: Vec<FieldError> = errors
        .iter()
        .map(|e| FieldError {
            field: match e.field {
                "body" => "body_html",
                "section_id" => "section",
                other => other,
            },
            message: e.message.clone(),
        })
        .collect();
    let message = errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ");
    AdminError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        body: json!({"error": {"code": "invalid", "message": message, "fields": errors}}),
    }
}

fn from_service(state: &AppState, e: ServiceError) -> AdminError {
    match e {
        ServiceError::Forbidden => forbidden(),
        ServiceError::NotFound => {
            AdminError::new(StatusCode::NOT_FOUND, "not_found", "article not found")
        }
        ServiceError::Invalid(errors) => invalid(&errors),
        ServiceError::Conflict {
            expected,
            current,
            by,
        } => AdminError {
            status: StatusCode::CONFLICT,
            body: json!({
                "error": {"code": "conflict", "message": format!(
                    "the story was changed{} since version {expected}; it is now at version {}; nothing was overwritten and your text is kept in the revisions",
                    by.map(|b| format!(" by {b}")).unwrap_or_default(), current.version)},
                "current": story_json(state, &current),
            }),
        },
        ServiceError::WrongState(s) => AdminError::new(
            StatusCode::CONFLICT,
            "wrong_state",
            format!("not possible while the story is {}", s.as_str()),
        ),
        ServiceError::Storage(e) => e.into(),
    }
}

fn forbidden() -> AdminError {
    AdminError::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "your role does not allow this",
    )
}

/// Who is calling the admin API.
pub struct ApiCaller(pub Caller);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = AdminError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AdminError> {
        let ClientAddr(address) = ClientAddr::from_request_parts(parts, state)
            .await
            .unwrap_or_else(|never| match never {});
        let writes = !matches!(parts.method, Method::GET | Method::HEAD);
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .ok_or_else(|| {
                    AdminError::new(
                        StatusCode::UNAUTHORIZED,
                        "unauthenticated",
                        "use `Authorization: Bearer <token>`",
                    )
                })?;
            let (t, user) = state
                .store()
                .api_token(&auth::token_hash(token))
                .await?
                .ok_or_else(|| {
                    AdminError::new(
                        StatusCode::UNAUTHORIZED,
                        "invalid_token",
                        "the token is unknown or revoked",
                    )
                })?;
            state.store().touch_api_token(t.id).await?;
            if writes {
                state
                    .store()
                    .write_audit(&Audit {
                        user_id: Some(user.id),
                        actor: &user.name,
                        action: "token.use",
                        entity: "token",
                        entity_id: Some(t.id),
                        detail: format!("{} {}", parts.method, parts.uri.path()),
                        address: &address,
                    })
                    .await?;
            }
            return Ok(ApiCaller(Caller { user, address }));
        }
        let jar = CookieJar::from_headers(&parts.headers);
        let Some((session, _)) = session_from_jar(state, &jar).await else {
            return Err(AdminError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "log in to the newsroom or send an API token",
            ));
        };
        if !session.has_totp
            && crate::web::newsroom::session::two_factor_required(state, session.user.role)
                .await
                .unwrap_or(true)
        {
            return Err(AdminError::new(
                StatusCode::FORBIDDEN,
                "two_factor_required",
                "your role requires two-factor login: turn it on on your newsroom account page",
            ));
        }
        if writes {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !auth::same_secret(&session.csrf, sent) {
                return Err(AdminError::new(
                    StatusCode::FORBIDDEN,
                    "csrf",
                    "missing or wrong X-CSRF-Token header",
                ));
            }
        }
        Ok(ApiCaller(Caller {
            user: session.user,
            address,
        }))
    }
}

fn time_json(state: &AppState, t: Option<i64>) -> Value {
    t.map(|t| Value::String(w3c_time(t, state.tz())))
        .unwrap_or(Value::Null)
}

fn story_json(state: &AppState, s: &Story) -> Value {
    let f = &s.fields;
    json!({
        "id": s.id,
        "status": s.status.as_str(),
        "version": s.version,
        "url": (s.status == Status::Published).then(|| absolute(state, &urls::article(&s.section_slug, s.id))),
        "headline": f.headline,
        "kicker": f.kicker,
        "summary": f.summary,
        "body_html": f.body_html,
        "section": s.section_slug,
        "tags": f.tags,
        "places": f.places,
        "authors": f.authors,
        "credit": f.credit,
        "dateline": f.dateline,
        "signature": f.signature,
        "hero_media_id": f.hero_media_id,
        "hero_caption": f.hero_caption,
        "hero_credit": f.hero_credit,
        "embargo_until": time_json(state, f.embargo_until),
        "published_at": time_json(state, s.published_at),
        "updated_at": time_json(state, Some(s.updated_at)),
        "created_at": time_json(state, Some(s.created_at)),
    })
}

/// A story as the API takes it. Unknown fields are refused, so a typo is not silently lost.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoryInput {
    headline: String,
    #[serde(default)]
    kicker: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    body_html: String,
    /// Section slug.
    section: String,
    #[serde(default)]
    tags: Vec<String>,
    /// Districts, upazilas or divisions, as the editor writes them (`গাজীপুর`,
    /// `কালীগঞ্জ (গাজীপুর)`, `ঢাকা বিভাগ`) or as paths (`dhaka/gazipur`).
    #[serde(default)]
    places: Vec<String>,
    #[serde(default)]
    authors: Vec<String>,
    #[serde(default)]
    credit: String,
    #[serde(default)]
    dateline: String,
    #[serde(default)]
    signature: String,
    #[serde(default, deserialize_with = "whole_number")]
    hero_media_id: Option<i64>,
    #[serde(default)]
    hero_caption: String,
    #[serde(default)]
    hero_credit: String,
    /// RFC 3339.
    #[serde(default)]
    embargo_until: Option<String>,
    /// Required on update: the version the change was made from.
    #[serde(default, deserialize_with = "whole_number")]
    version: Option<i64>,
}

/// A 64-bit whole number, also when written `3.0`: JSON has one number type, and the
/// document's `integer` (JSON Schema) admits any number without a fraction.
fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    n.as_i64()
        .or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && (-9.2e18..=9.2e18).contains(f))
                .map(|f| f as i64)
        })
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom(format!("expected a 64-bit whole number, got {n}")))
}

fn parse_time(field: &'static str, s: &str) -> Result<i64, AdminError> {
    // RFC 3339 as documented: the parser would also take a space between day and time.
    let t_separated = matches!(s.as_bytes().get(10), Some(b'T' | b't'));
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .filter(|_| t_separated)
        .map(|t| t.timestamp())
        .filter(|t| crate::domain::in_time_range(*t))
        .ok_or_else(|| {
            invalid(&[FieldError {
                field,
                message: format!(
                    "not an RFC 3339 time in the years {}–{}: {s}",
                    crate::domain::FIRST_YEAR,
                    crate::domain::LAST_YEAR
                ),
            }])
        })
}

async fn to_fields(
    state: &AppState,
    input: StoryInput,
) -> Result<(StoryFields, Option<i64>), AdminError> {
    let section = state
        .store()
        .section_by_slug(&input.section)
        .await?
        .ok_or_else(|| {
            invalid(&[FieldError {
                field: "section",
                message: format!("no section `{}`", input.section),
            }])
        })?;
    let embargo_until = input
        .embargo_until
        .as_deref()
        .map(|s| parse_time("embargo_until", s))
        .transpose()?;
    Ok((
        StoryFields {
            headline: input.headline,
            kicker: input.kicker,
            summary: input.summary,
            body_html: input.body_html,
            section_id: section.id,
            tags: input.tags,
            places: input.places,
            place_ids: Vec::new(),
            authors: input.authors,
            credit: input.credit,
            dateline: input.dateline,
            signature: input.signature,
            hero_media_id: input.hero_media_id,
            hero_caption: input.hero_caption,
            hero_credit: input.hero_credit,
            embargo_until,
        },
        input.version,
    ))
}

/// `{"article": …}` as the story now stands.
async fn article_response(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<Json<Value>, AdminError> {
    let story = state
        .stories()
        .load(caller, id)
        .await
        .map_err(|e| from_service(state, e))?;
    Ok(Json(json!({"article": story_json(state, &story)})))
}

/// A body that is not the documented JSON is a 400 (not JSON, a wrong type, a missing or
/// unknown field), 415 without `Content-Type: application/json`, 413 when too large; 422 is
/// kept for well-formed input that breaks a story rule, with the field named.
fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, AdminError> {
    body.map(|Json(v)| v).map_err(|e| {
        let status = match &e {
            JsonRejection::JsonDataError(_) => StatusCode::BAD_REQUEST,
            _ => e.status(),
        };
        AdminError::new(status, "invalid_json", e.body_text())
    })
}

fn parse_id(id: &str) -> Result<i64, AdminError> {
    id.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| AdminError::new(StatusCode::NOT_FOUND, "not_found", "article not found"))
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ListQuery {
    status: Option<String>,
    limit: Option<i64>,
}

/// `GET /admin/articles?status=&limit=`: newest change first; contributors see their own.
async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, AdminError> {
    let Query(q) = q.map_err(|e| {
        AdminError::new(StatusCode::BAD_REQUEST, "invalid_parameter", e.body_text())
    })?;
    // `?status=` is refused like any other value outside the enum: leave it out for all.
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(Status::parse(s).ok_or_else(|| {
            AdminError::new(
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                format!("unknown status `{s}`"),
            )
        })?),
    };
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(AdminError::new(
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            "`limit` must be 1 to 200",
        ));
    }
    let rows = state
        .store()
        .newsroom_stories(&StoryQuery {
            status,
            section_id: None,
            owner: (!caller.allows(Action::EditAnyStory)).then_some(caller.user.id),
            limit,
        })
        .await?;
    let items: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "id": r.id, "headline": r.headline, "status": r.status, "section": r.section_slug,
                "owner": r.owner_name, "version": r.version,
                "updated_at": time_json(&state, Some(r.updated_at)),
                "published_at": time_json(&state, r.published_at),
            })
        })
        .collect();
    Ok(Json(json!({"articles": items})))
}

async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    body: Result<Json<StoryInput>, JsonRejection>,
) -> Result<Response, AdminError> {
    let (fields, _) = to_fields(&state, json_body(body)?).await?;
    let id = state
        .stories()
        .create(&caller, fields)
        .await
        .map_err(|e| from_service(&state, e))?;
    let story = state
        .stories()
        .load(&caller, id)
        .await
        .map_err(|e| from_service(&state, e))?;
    let mut r = (
        StatusCode::CREATED,
        Json(json!({"article": story_json(&state, &story)})),
    )
        .into_response();
    r.headers_mut().insert(
        header::LOCATION,
        header::HeaderValue::from_str(&format!("/api/v1/admin/articles/{id}")).expect("ascii"),
    );
    Ok(r)
}

async fn one(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<Value>, AdminError> {
    article_response(&state, &caller, parse_id(&id)?).await
}

async fn update(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    body: Result<Json<StoryInput>, JsonRejection>,
) -> Result<Json<Value>, AdminError> {
    let id = parse_id(&id)?;
    let (fields, version) = to_fields(&state, json_body(body)?).await?;
    let version = version.ok_or_else(|| {
        invalid(&[FieldError {
            field: "version",
            message: "give the version your change starts from".into(),
        }])
    })?;
    state
        .stories()
        .save(&caller, id, version, fields, "save")
        .await
        .map_err(|e| from_service(&state, e))?;
    article_response(&state, &caller, id).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionInput {
    action: String,
    #[serde(default)]
    publish_at: Option<String>,
    #[serde(default, deserialize_with = "whole_number")]
    version: Option<i64>,
}

async fn transition(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    body: Result<Json<TransitionInput>, JsonRejection>,
) -> Result<Json<Value>, AdminError> {
    let id = parse_id(&id)?;
    let input = json_body(body)?;
    let t = Transition::parse(&input.action).ok_or_else(|| {
        invalid(&[FieldError {
            field: "action",
            message:
                "one of submit, return, schedule, unschedule, publish, unpublish, spike, restore"
                    .into(),
        }])
    })?;
    let publish_at = input
        .publish_at
        .as_deref()
        .map(|s| parse_time("publish_at", s))
        .transpose()?;
    state
        .stories()
        .transition(&caller, id, t, publish_at, input.version)
        .await
        .map_err(|e| from_service(&state, e))?;
    article_response(&state, &caller, id).await
}

async fn remove(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> Result<StatusCode, AdminError> {
    let id = parse_id(&id)?;
    if !caller.allows(Action::DeleteStory) {
        return Err(forbidden());
    }
    state
        .stories()
        .load(&caller, id)
        .await
        .map_err(|e| from_service(&state, e))?;
    if state.store().delete_story(id, caller.actor()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AdminError::new(
            StatusCode::CONFLICT,
            "wrong_state",
            "unpublish a published story before deleting it",
        ))
    }
}

async fn revisions(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<Value>, AdminError> {
    let id = parse_id(&id)?;
    state
        .stories()
        .load(&caller, id)
        .await
        .map_err(|e| from_service(&state, e))?;
    let revs = state.store().revisions(id).await?;
    let mut items = Vec::with_capacity(revs.len());
    for r in revs {
        let full = state.store().revision(id, r.id).await?;
        items.push(json!({
            "id": r.id, "version": r.version, "kind": r.kind, "user": r.user_name,
            "created_at": time_json(&state, Some(r.created_at)),
            "changed": r.changed.split(',').filter(|c| !c.is_empty()).collect::<Vec<_>>(),
            "headline": full.as_ref().map(|f| f.fields.headline.clone()),
            "body_html": full.as_ref().map(|f| f.fields.body_html.clone()),
        }));
    }
    Ok(Json(json!({"revisions": items})))
}

/// A photocard as the API answers it.
pub fn card_json(state: &AppState, c: &crate::storage::cards::Card) -> Value {
    let path = crate::cards::card_path(&c.code);
    json!({
        "code": c.code,
        "url": absolute(state, &path),
        "image_url": absolute(state, &format!("{path}.png")),
        "record_url": absolute(state, &format!("{path}.json")),
        "layout": c.layout,
        "kind": c.kind,
        "text": c.text,
        "speaker": c.speaker,
        "media_id": c.media_id,
        "width": c.width,
        "height": c.height,
        "png_sha256": c.png_sha256,
        "superseded_by": c.superseded_by,
        "created_at": time_json(state, Some(c.created_at)),
    })
}

/// What `POST /admin/articles/{id}/cards` takes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardInput {
    /// `4:5`, `1:1` or `og`.
    layout: String,
    #[serde(default)]
    quote: Option<String>,
    #[serde(default)]
    speaker: Option<String>,
    #[serde(default, deserialize_with = "whole_number")]
    media_id: Option<i64>,
    #[serde(default)]
    focal_x: Option<f64>,
    #[serde(default)]
    focal_y: Option<f64>,
}

pub fn from_card_failure(e: crate::cards::CardFailure) -> AdminError {
    use crate::cards::CardFailure as F;
    match e {
        F::Forbidden => forbidden(),
        F::NotFound => AdminError::new(StatusCode::NOT_FOUND, "not_found", "article not found"),
        F::NotPublished(_) => AdminError::new(StatusCode::CONFLICT, "wrong_state", e.to_string()),
        F::Invalid { field, message } => invalid(&[FieldError { field, message }]),
        F::Key(_) | F::Image(_) => {
            tracing::error!(error = %e, "card failed");
            AdminError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
        }
        F::Storage(e) => e.into(),
    }
}

/// `POST /admin/articles/{id}/cards`: makes, signs and publishes a photocard of the story.
async fn card_create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    body: Result<Json<CardInput>, JsonRejection>,
) -> Result<Response, AdminError> {
    let id = parse_id(&id)?;
    let input = json_body(body)?;
    // Values outside what the document states are a 400, as for any other field.
    let bad = |message: String| AdminError::new(StatusCode::BAD_REQUEST, "invalid_json", message);
    let layout = crate::cards::Layout::parse(&input.layout).ok_or_else(|| {
        bad(format!(
            "layout: `{}` is not a layout; use 4:5, 1:1 or og",
            input.layout
        ))
    })?;
    for (name, v) in [("focal_x", input.focal_x), ("focal_y", input.focal_y)] {
        if v.is_some_and(|v| !(0.0..=1.0).contains(&v)) {
            return Err(bad(format!("{name}: the focal point is between 0 and 1")));
        }
    }
    if input.media_id.is_some_and(|m| m < 1) {
        return Err(bad("media_id: ids start at 1".into()));
    }
    for (name, v) in [("quote", &input.quote), ("speaker", &input.speaker)] {
        if v.as_ref().is_some_and(|v| v.chars().count() > 2000) {
            return Err(bad(format!("{name}: at most 2000 characters")));
        }
    }
    let focal = |v: Option<f64>| v.unwrap_or(0.5) as f32;
    let card = state
        .cards()
        .make(
            &caller,
            id,
            crate::cards::CardRequest {
                layout,
                quote: input.quote,
                speaker: input.speaker,
                media_id: input.media_id,
                focal: (focal(input.focal_x), focal(input.focal_y)),
            },
        )
        .await
        .map_err(from_card_failure)?;
    let mut r = (
        StatusCode::CREATED,
        Json(json!({"card": card_json(&state, &card)})),
    )
        .into_response();
    if let Ok(v) = header::HeaderValue::from_str(&crate::cards::card_path(&card.code)) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    Ok(r)
}

/// `GET /admin/articles/{id}/cards`: the story's cards, newest first.
async fn cards_list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<Value>, AdminError> {
    let id = parse_id(&id)?;
    state
        .stories()
        .load(&caller, id)
        .await
        .map_err(|e| from_service(&state, e))?;
    let cards = state.store().cards_of(id).await?;
    Ok(Json(
        json!({"cards": cards.iter().map(|c| card_json(&state, c)).collect::<Vec<_>>()}),
    ))
}

async fn media_json(state: &AppState, id: i64) -> Result<Value, AdminError> {
    let m =
        state.store().media(id).await?.ok_or_else(|| {
            AdminError::new(StatusCode::NOT_FOUND, "not_found", "media not found")
        })?;
    let variants: Vec<Value> = state
        .store()
        .media_variants(&[id])
        .await?
        .into_iter()
        .map(|v| json!({"width": v.width, "height": v.height, "type": v.mime, "url": media_url(state, &urls::media(&v.name)), "bytes": v.bytes}))
        .collect();
    Ok(json!({
        "id": m.id, "url": media_url(state, &m.path), "type": m.mime, "width": m.width, "height": m.height,
        "alt": m.alt, "caption": m.caption, "credit": m.credit, "status": m.status, "bytes": m.bytes,
        "variants": variants,
    }))
}

async fn media_upload(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, AdminError> {
    if !caller.allows(Action::UploadMedia) {
        return Err(forbidden());
    }
    let multipart =
        multipart.map_err(|e| AdminError::new(e.status(), "invalid_upload", e.body_text()))?;
    let up = read_upload(multipart, &spool_dir(&state))
        .await
        .map_err(|e| AdminError::new(e.status, e.code, e.message))?;
    let id = store_upload(
        &state,
        up,
        caller.user.id,
        &caller.user.name,
        &caller.address,
    )
    .await
    .map_err(|e| AdminError::new(e.status, e.code, e.message))?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"media": media_json(&state, id).await?})),
    )
        .into_response())
}

async fn media_list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<Value>, AdminError> {
    if !caller.allows(Action::UploadMedia) {
        return Err(forbidden());
    }
    let mut items = Vec::new();
    for m in state.store().media_list(None, 100).await? {
        items.push(media_json(&state, m.id).await?);
    }
    Ok(Json(json!({"media": items})))
}

async fn media_one(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<Value>, AdminError> {
    if !caller.allows(Action::UploadMedia) {
        return Err(forbidden());
    }
    let id = id
        .parse::<i64>()
        .map_err(|_| AdminError::new(StatusCode::NOT_FOUND, "not_found", "media not found"))?;
    Ok(Json(json!({"media": media_json(&state, id).await?})))
}
