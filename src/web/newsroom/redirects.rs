//! `/newsroom/redirects` (admins): the old links that answer 301 — an import's, or made here —
//! listed by path and searchable, added (to a story by id or to a page of this site) and
//! removed.

use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use crate::domain::urls::{check_old_link, LinkTarget};
use crate::domain::Action;
use crate::web::{AppState, WebError};

use super::stories::caller;
use super::{page, ClientAddr, Staff};

/// Old links a page lists.
const PAGE_SIZE: i64 = 100;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    q: String,
    after: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LinkForm {
    csrf: String,
    from: String,
    to: String,
}

#[derive(Serialize)]
struct Row {
    from: String,
    story: Option<i64>,
    story_url: Option<String>,
    to: Option<String>,
}

async fn list_page(
    state: &AppState,
    staff: &Staff,
    status: StatusCode,
    query: &ListQuery,
    errors: Vec<String>,
    form: &LinkForm,
) -> Result<Response, WebError> {
    let q: String = query.q.trim().chars().take(200).collect();
    let after = query.after.trim();
    let mut links = state
        .store()
        .old_links(
            (!q.is_empty()).then_some(q.as_str()),
            (!after.is_empty()).then_some(after),
            PAGE_SIZE + 1,
        )
        .await?;
    let next = (links.len() as i64 > PAGE_SIZE).then(|| {
        links.truncate(PAGE_SIZE as usize);
        let last = &links.last().expect("a full page").from_path;
        let mut url = format!(
            "/newsroom/redirects?after={}",
            crate::domain::urls::query_value(last)
        );
        if !q.is_empty() {
            url.push_str(&format!("&q={}", crate::domain::urls::query_value(&q)));
        }
        url
    });
    let ids: Vec<i64> = links.iter().filter_map(|l| l.article_id).collect();
    let cards = state.store().published_cards(&ids).await?;
    let rows: Vec<Row> = links
        .into_iter()
        .map(|l| Row {
            story_url: l.article_id.and_then(|id| {
                cards
                    .iter()
                    .find(|c| c.id == id)
                    .map(|c| crate::domain::urls::article(&c.section.slug, c.id))
            }),
            from: l.from_path,
            story: l.article_id,
            to: l.to_path,
        })
        .collect();
    let clip = |s: &str| s.chars().take(2000).collect::<String>();
    page(
        state,
        staff,
        status,
        "newsroom/redirects.html",
        minijinja::context! {
            rows => rows, q => q, next => next, errors => errors,
            from => clip(&form.from), to => clip(&form.to),
        },
    )
    .await
}

/// `GET /newsroom/redirects`
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(query): Query<ListQuery>,
) -> Result<Response, WebError> {
    staff.require(Action::ManageRedirects)?;
    list_page(
        &state,
        &staff,
        StatusCode::OK,
        &query,
        Vec::new(),
        &LinkForm::default(),
    )
    .await
}

/// `POST /newsroom/redirects`: adds (or repoints) an old link.
pub async fn set(
    State(state): State<AppState>,
    staff: Staff,
    ClientAddr(address): ClientAddr,
    Form(form): Form<LinkForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    staff.require(Action::ManageRedirects)?;
    let refuse = |errors: Vec<String>| async {
        list_page(
            &state,
            &staff,
            StatusCode::UNPROCESSABLE_ENTITY,
            &ListQuery::default(),
            errors,
            &form,
        )
        .await
    };
    let (from, to) = match check_old_link(&form.from, &form.to) {
        Ok(checked) => checked,
        Err(errors) => return refuse(errors).await,
    };
    if let LinkTarget::Story(id) = to {
        if state.store().published_article(id).await?.is_none() {
            return refuse(vec![format!(
                "{id} নম্বরে কোনো প্রকাশিত খবর নেই: পুরোনো ঠিকানা প্রকাশিত খবরেই নিয়ে যায়।"
            )])
            .await;
        }
    }
    let who = caller(&staff, &address);
    state.store().set_old_link(&from, &to, who.actor()).await?;
    Ok(Redirect::to("/newsroom/redirects").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeleteForm {
    csrf: String,
    from: String,
}

/// `POST /newsroom/redirects/delete`
pub async fn delete(
    State(state): State<AppState>,
    staff: Staff,
    ClientAddr(address): ClientAddr,
    Form(form): Form<DeleteForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    staff.require(Action::ManageRedirects)?;
    let who = caller(&staff, &address);
    if !state
        .store()
        .delete_old_link(&form.from, who.actor())
        .await?
    {
        return Err(WebError::NotFound);
    }
    Ok(Redirect::to("/newsroom/redirects").into_response())
}
