//! Logging in and out. The login form carries a CSRF token (double-submit cookie, as there is
//! no session yet); failures are throttled per account and per address.

use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use crate::auth;
use crate::storage::now;
use crate::storage::users::Audit;
use crate::web::{AppState, WebError};

use super::session::{
    self, cookie, expired_cookie, no_store, ClientAddr, Staff, LOGIN_CSRF_COOKIE, SESSION_COOKIE,
    SESSION_SECONDS,
};

/// Failed logins allowed per account, and per address, within the window.
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
pub const MAX_FAILURES_PER_ADDRESS: i64 = 30;
pub const FAILURE_WINDOW_SECS: i64 = 15 * 60;

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

async fn render_form(
    state: &AppState,
    jar: CookieJar,
    status: StatusCode,
    email: &str,
    error: Option<&str>,
) -> Result<Response, WebError> {
    let token = auth::random_token();
    let jar = jar.add(cookie(state, LOGIN_CSRF_COOKIE, token.clone(), 3600));
    let html = state
        .render(
            "newsroom/login.html",
            now(),
            minijinja::context! { csrf => token, email => email, error => error },
        )
        .await?;
    Ok(no_store((status, jar, Html(html)).into_response()))
}

pub async fn form(State(state): State<AppState>, jar: CookieJar) -> Result<Response, WebError> {
    if session::session_from_jar(&state, &jar).await.is_some() {
        return Ok(Redirect::to("/newsroom/").into_response());
    }
    render_form(&state, jar, StatusCode::OK, "", None).await
}

pub async fn submit(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Result<Response, WebError> {
    let expected = jar
        .get(LOGIN_CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    if expected.is_empty() || !auth::same_secret(&expected, &form.csrf) {
        return render_form(
            &state,
            jar,
            StatusCode::FORBIDDEN,
            &form.email,
            Some("ফর্মটির মেয়াদ শেষ হয়েছে বা এটি এই সাইটের নয়। আবার চেষ্টা করুন।"),
        )
        .await;
    }
    let email = form.email.trim().to_lowercase();
    let store = state.store();
    let account_scope = format!("email:{email}");
    let address_scope = format!("addr:{address}");
    let since = now() - FAILURE_WINDOW_SECS;
    if store.login_failures_since(&account_scope, since).await? >= MAX_FAILURES_PER_ACCOUNT
        || store.login_failures_since(&address_scope, since).await? >= MAX_FAILURES_PER_ADDRESS
    {
        return render_form(
            &state,
            jar,
            StatusCode::TOO_MANY_REQUESTS,
            &email,
            Some("অনেকবার ভুল পাসওয়ার্ড দেওয়া হয়েছে। নিরাপত্তার জন্য লগইন ১৫ মিনিট বন্ধ থাকবে; পরে আবার চেষ্টা করুন।"),
        )
        .await;
    }
    let found = store.user_for_login(&email).await?;
    let ok = match &found {
        Some((user, hash)) => auth::verify_password(&form.password, hash) && !user.disabled,
        None => {
            // Same work as for a real account, so timing does not reveal which emails exist.
            auth::verify_password(&form.password, auth::dummy_hash());
            false
        }
    };
    let Some((user, _)) = found.filter(|_| ok) else {
        store
            .record_login_failure(&[&account_scope, &address_scope])
            .await?;
        store
            .write_audit(&Audit {
                actor: &email,
                action: "login.failed",
                address: &address,
                ..Default::default()
            })
            .await?;
        return render_form(
            &state,
            jar,
            StatusCode::UNAUTHORIZED,
            &email,
            Some("ইমেইল বা পাসওয়ার্ড ঠিক নয়।"),
        )
        .await;
    };
    store.clear_login_failures(&account_scope).await?;
    let id = auth::random_token();
    let csrf = auth::random_token();
    store
        .create_session(
            &auth::token_hash(&id),
            user.id,
            &csrf,
            &address,
            now() + SESSION_SECONDS,
        )
        .await?;
    store
        .write_audit(&Audit {
            user_id: Some(user.id),
            actor: &user.name,
            action: "login",
            address: &address,
            ..Default::default()
        })
        .await?;
    let jar = jar
        .add(cookie(&state, SESSION_COOKIE, id, SESSION_SECONDS))
        .add(expired_cookie(&state, LOGIN_CSRF_COOKIE));
    Ok((jar, Redirect::to("/newsroom/")).into_response())
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    staff: Staff,
    jar: CookieJar,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    state.store().delete_session(&staff.session_hash).await?;
    state
        .store()
        .write_audit(&staff.audit("logout", "", None, String::new()))
        .await?;
    let jar = jar.add(expired_cookie(&state, SESSION_COOKIE));
    Ok((jar, Redirect::to("/newsroom/login")).into_response())
}
