//! Logging in and out. The login form carries a CSRF token (double-submit cookie, as there is
//! no session yet).
//!
//! Failed logins slow further attempts down (the rules are in [`crate::domain::throttle`]):
//! per account, per client address and site-wide for browsers not known to the account, and
//! only per browser for one that is. A browser becomes known by a successful login, which
//! gives it a long-lived random device cookie (the store keeps its SHA-256), so strangers
//! hammering an account do not lock its owner out. An attempt made while a delay runs is
//! answered 429 with `Retry-After` before the password is checked, and is not counted.
//!
//! With two-factor login on, a right password leaves a short-lived challenge in the store (a
//! cookie holds its random id) and the code form finishes the login.

use axum::extract::{Form, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use crate::auth;
use crate::domain::throttle::{self, Delay};
use crate::storage::now;
use crate::storage::users::{Audit, User};
use crate::web::{AppState, WebError};

use super::session::{
    self, cookie, expired_cookie, no_store, read_cookie, two_factor_required, ClientAddr, Staff,
    ENROL_PATH, LOGIN_CSRF_COOKIE, SESSION_COOKIE, SESSION_SECONDS,
};

/// The known-browser cookie, and how long a browser stays known after its last login.
pub const DEVICE_COOKIE: &str = "khobor_device";
pub const DEVICE_SECONDS: i64 = 180 * 24 * 3600;
/// The half-finished login's cookie, and how long the code form waits.
pub const CHALLENGE_COOKIE: &str = "khobor_login_challenge";
pub const CHALLENGE_SECONDS: i64 = 5 * 60;
/// Wrong codes one challenge takes before the password must be given again.
pub const MAX_CODE_ATTEMPTS: i64 = 5;

/// Field limits, checked before any work or write (RFC 5321 caps an address at 254 bytes; a
/// longer password or code is an attack, not a typo).
pub const MAX_EMAIL_BYTES: usize = 254;
pub const MAX_PASSWORD_BYTES: usize = 1024;
pub const MAX_CODE_BYTES: usize = 64;
/// Our CSRF tokens and cookies are 43 characters.
const MAX_TOKEN_BYTES: usize = 128;
/// The login forms' whole body: the fields above and slack; a bigger body is refused unread.
pub const MAX_LOGIN_BODY_BYTES: usize = 8 * 1024;

/// Failures of strangers are also counted here, for the site-wide cap.
const SITE_SCOPE: &str = "site";

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

/// Whose allowance an attempt uses.
enum Scopes {
    /// A browser that has logged in to this account before: only its own.
    Known { device: String },
    /// Anyone else: the account's, the address's and the site's.
    Stranger { account: String, address: String },
}

impl Scopes {
    fn new(email: &str, address: &str, device_id: Option<i64>) -> Scopes {
        match device_id {
            Some(id) => Scopes::Known {
                device: format!("device:{id}"),
            },
            None => Scopes::Stranger {
                account: format!("email:{email}"),
                address: format!("addr:{address}"),
            },
        }
    }

    fn delays(&self) -> Vec<(&str, Delay)> {
        match self {
            Scopes::Known { device } => vec![(device, throttle::DEVICE)],
            Scopes::Stranger { account, address } => {
                vec![(account, throttle::ACCOUNT), (address, throttle::ADDRESS)]
            }
        }
    }

    /// Where a failure is recorded.
    fn recorded(&self) -> Vec<&str> {
        match self {
            Scopes::Known { device } => vec![device],
            Scopes::Stranger { account, address } => vec![account, address, SITE_SCOPE],
        }
    }

    /// What a full login clears: the allowance it proved itself in. Not the address's, which
    /// other people (an attacker behind the same address) share.
    fn cleared(&self) -> &str {
        match self {
            Scopes::Known { device } => device,
            Scopes::Stranger { account, .. } => account,
        }
    }
}

/// How long the attempt must wait, if a delay or the site-wide cap is running.
async fn wait_needed(state: &AppState, scopes: &Scopes, t: i64) -> Result<Option<i64>, WebError> {
    let store = state.store();
    let mut wait = None;
    for (scope, delay) in scopes.delays() {
        let (failures, last) = store
            .login_failure_stats(scope, t - throttle::WINDOW_SECS)
            .await?;
        wait = wait.max(delay.remaining(failures, last, t));
    }
    if let Scopes::Stranger { .. } = scopes {
        let cap = i64::from(state.config().auth.failed_logins_per_hour);
        let since = t - throttle::SITE_WINDOW_SECS;
        let (failures, _) = store.login_failure_stats(SITE_SCOPE, since).await?;
        if failures >= cap {
            let at = store
                .nth_newest_login_failure(SITE_SCOPE, since, cap)
                .await?;
            wait = wait.max(throttle::site_remaining(cap, failures, at, t));
        }
    }
    Ok(wait)
}

/// Counts a failed password or code, with its audit line, and an audit line for each delay it
/// starts (or for the site-wide cap being reached).
async fn record_failure(
    state: &AppState,
    scopes: &Scopes,
    user_id: Option<i64>,
    actor: &str,
    address: &str,
    action: &str,
    t: i64,
) -> Result<(), WebError> {
    let store = state.store();
    store.record_login_failure_at(&scopes.recorded(), t).await?;
    let line = |action, detail| Audit {
        user_id,
        actor,
        action,
        entity: if user_id.is_some() { "user" } else { "" },
        entity_id: user_id,
        detail,
        address,
    };
    store.write_audit(&line(action, String::new())).await?;
    for (scope, delay) in scopes.delays() {
        let (failures, _) = store
            .login_failure_stats(scope, t - throttle::WINDOW_SECS)
            .await?;
        let wait = delay.after(failures);
        if wait > 0 {
            store
                .write_audit(&line(
                    "login.delay",
                    format!("{scope}: {failures} failures, next attempt in {wait} s"),
                ))
                .await?;
        }
    }
    if let Scopes::Stranger { .. } = scopes {
        let cap = i64::from(state.config().auth.failed_logins_per_hour);
        let (failures, _) = store
            .login_failure_stats(SITE_SCOPE, t - throttle::SITE_WINDOW_SECS)
            .await?;
        if failures == cap {
            store
                .write_audit(&line(
                    "login.site_cap",
                    format!("{failures} failed logins in the last hour: browsers not known to their account wait"),
                ))
                .await?;
        }
    }
    Ok(())
}

/// 429 with `Retry-After` and the wait in Bengali.
async fn too_many(
    state: &AppState,
    jar: CookieJar,
    email: &str,
    wait: i64,
) -> Result<Response, WebError> {
    let message = format!(
        "অনেকবার ভুল চেষ্টা হয়েছে। নিরাপত্তার জন্য {} পরে আবার চেষ্টা করুন। যে ব্রাউজারে আগে এই অ্যাকাউন্টে লগইন করেছেন, সেখান থেকে এখনই লগইন করা যাবে।",
        throttle::wait_text(wait)
    );
    let mut response = render_form(
        state,
        jar,
        StatusCode::TOO_MANY_REQUESTS,
        email,
        Some(&message),
    )
    .await?;
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(wait.max(1)));
    Ok(response)
}

/// The known browser this request comes from, if its device cookie belongs to `user_id`:
/// (its id, its token).
async fn known_device(
    state: &AppState,
    jar: &CookieJar,
    user_id: Option<i64>,
    t: i64,
) -> Result<Option<(i64, String)>, WebError> {
    let (Some(user_id), Some(c)) = (user_id, read_cookie(state, jar, DEVICE_COOKIE)) else {
        return Ok(None);
    };
    let token = c;
    if token.is_empty() || token.len() > MAX_TOKEN_BYTES {
        return Ok(None);
    }
    Ok(state
        .store()
        .trusted_device(&auth::token_hash(token), t)
        .await?
        .filter(|(_, owner)| *owner == user_id)
        .map(|(id, _)| (id, token.to_owned())))
}

fn login_csrf_ok(state: &AppState, jar: &CookieJar, sent: &str) -> bool {
    let expected = read_cookie(state, jar, LOGIN_CSRF_COOKIE).unwrap_or("");
    !expected.is_empty() && auth::same_secret(expected, sent)
}

pub async fn submit(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Result<Response, WebError> {
    // Refused before anything is looked up, hashed or written.
    if form.email.len() > MAX_EMAIL_BYTES
        || form.password.len() > MAX_PASSWORD_BYTES
        || form.csrf.len() > MAX_TOKEN_BYTES
    {
        return render_form(
            &state,
            jar,
            StatusCode::UNPROCESSABLE_ENTITY,
            "",
            Some("ইমেইল বা পাসওয়ার্ড অস্বাভাবিক লম্বা।"),
        )
        .await;
    }
    if !login_csrf_ok(&state, &jar, &form.csrf) {
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
    let t = now();
    let found = store.user_for_login(&email).await?;
    let device = known_device(&state, &jar, found.as_ref().map(|(u, _)| u.id), t).await?;
    let scopes = Scopes::new(&email, &address, device.as_ref().map(|d| d.0));
    if let Some(wait) = wait_needed(&state, &scopes, t).await? {
        return too_many(&state, jar, &email, wait).await;
    }
    let ok = match &found {
        Some((user, hash)) => state.verify_password(&form.password, hash).await && !user.disabled,
        None => {
            // Same work as for a real account, so timing does not reveal which emails exist.
            state
                .verify_password(&form.password, auth::dummy_hash())
                .await;
            false
        }
    };
    let Some((user, _)) = found.filter(|_| ok) else {
        record_failure(&state, &scopes, None, &email, &address, "login.failed", t).await?;
        return render_form(
            &state,
            jar,
            StatusCode::UNAUTHORIZED,
            &email,
            Some("ইমেইল বা পাসওয়ার্ড ঠিক নয়।"),
        )
        .await;
    };
    if store
        .totp(user.id)
        .await?
        .is_some_and(|totp| totp.confirmed)
    {
        // Nothing is cleared yet: someone who knows the password must still not be able to
        // reset the delays that wrong codes add up to.
        let id = auth::random_token();
        let csrf = auth::random_token();
        store
            .create_login_challenge(
                &auth::token_hash(&id),
                user.id,
                &csrf,
                &address,
                device.as_ref().map(|d| d.0),
                t + CHALLENGE_SECONDS,
            )
            .await?;
        let jar = jar.add(cookie(&state, CHALLENGE_COOKIE, id, CHALLENGE_SECONDS));
        return Ok((jar, Redirect::to("/newsroom/login/code")).into_response());
    }
    finish_login(&state, jar, &user, &address, &scopes, device, "").await
}

/// The session, the known-browser cookie (new, or renewed), the audit line; then the
/// dashboard, or the account page for someone who must enrol in two-factor login first.
async fn finish_login(
    state: &AppState,
    jar: CookieJar,
    user: &User,
    address: &str,
    scopes: &Scopes,
    device: Option<(i64, String)>,
    detail: &str,
) -> Result<Response, WebError> {
    let store = state.store();
    let t = now();
    store.clear_login_failures(scopes.cleared()).await?;
    let id = auth::random_token();
    let csrf = auth::random_token();
    store
        .create_session(
            &auth::token_hash(&id),
            user.id,
            &csrf,
            address,
            t + SESSION_SECONDS,
        )
        .await?;
    let device_token = match device {
        Some((device_id, token)) => {
            store
                .renew_trusted_device(device_id, t + DEVICE_SECONDS)
                .await?;
            token
        }
        None => {
            let token = auth::random_token();
            store
                .add_trusted_device(&auth::token_hash(&token), user.id, t + DEVICE_SECONDS)
                .await?;
            token
        }
    };
    store
        .write_audit(&Audit {
            user_id: Some(user.id),
            actor: &user.name,
            action: "login",
            detail: detail.to_owned(),
            address,
            ..Default::default()
        })
        .await?;
    let has_totp = store.totp(user.id).await?.is_some_and(|t| t.confirmed);
    let next = if !has_totp && two_factor_required(state, user.role).await? {
        ENROL_PATH
    } else {
        "/newsroom/"
    };
    let jar = jar
        .add(cookie(state, SESSION_COOKIE, id, SESSION_SECONDS))
        .add(cookie(state, DEVICE_COOKIE, device_token, DEVICE_SECONDS))
        .add(expired_cookie(state, LOGIN_CSRF_COOKIE))
        .add(expired_cookie(state, CHALLENGE_COOKIE));
    Ok((jar, Redirect::to(next)).into_response())
}

// ---- the code step

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    csrf: String,
}

async fn challenge_from_jar(
    state: &AppState,
    jar: &CookieJar,
) -> Result<Option<(String, crate::storage::users::LoginChallenge)>, WebError> {
    let Some(c) = read_cookie(state, jar, CHALLENGE_COOKIE) else {
        return Ok(None);
    };
    if c.is_empty() || c.len() > MAX_TOKEN_BYTES {
        return Ok(None);
    }
    let hash = auth::token_hash(c);
    Ok(state
        .store()
        .login_challenge(&hash, now())
        .await?
        .map(|ch| (hash, ch)))
}

async fn render_code_form(
    state: &AppState,
    status: StatusCode,
    csrf: &str,
    error: Option<&str>,
) -> Result<Response, WebError> {
    let html = state
        .render(
            "newsroom/login_code.html",
            now(),
            minijinja::context! { csrf => csrf, error => error },
        )
        .await?;
    Ok(no_store((status, Html(html)).into_response()))
}

pub async fn code_form(
    State(state): State<AppState>,
    jar: CookieJar,
) -> Result<Response, WebError> {
    match challenge_from_jar(&state, &jar).await? {
        Some((_, ch)) => render_code_form(&state, StatusCode::OK, &ch.csrf, None).await,
        None => Ok(Redirect::to("/newsroom/login").into_response()),
    }
}

/// How the second step was passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactor {
    Code,
    RecoveryCode,
}

/// Checks a TOTP code (once per time step: a replayed code is refused) or, failing that, an
/// unused recovery code, which is used up.
pub async fn check_second_factor(
    state: &AppState,
    user_id: i64,
    code: &str,
    t: i64,
) -> Result<Option<SecondFactor>, WebError> {
    let store = state.store();
    let Some(totp) = store.totp(user_id).await?.filter(|t| t.confirmed) else {
        return Ok(None);
    };
    if let Some(step) = auth::totp_step_of(&totp.secret, code, t) {
        return Ok(store
            .use_totp_step(user_id, step)
            .await?
            .then_some(SecondFactor::Code));
    }
    let letters = code.chars().filter(char::is_ascii_alphanumeric).count();
    if letters == 16
        && store
            .use_recovery_code(user_id, &auth::recovery_code_hash(code))
            .await?
    {
        return Ok(Some(SecondFactor::RecoveryCode));
    }
    Ok(None)
}

pub async fn code_submit(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    jar: CookieJar,
    Form(form): Form<CodeForm>,
) -> Result<Response, WebError> {
    if form.code.len() > MAX_CODE_BYTES || form.csrf.len() > MAX_TOKEN_BYTES {
        return Err(WebError::BadRequest("কোডটি অস্বাভাবিক লম্বা।".into()));
    }
    let Some((hash, ch)) = challenge_from_jar(&state, &jar).await? else {
        return render_form(
            &state,
            jar,
            StatusCode::UNAUTHORIZED,
            "",
            Some("কোড দেওয়ার সময় শেষ হয়ে গেছে। আবার ইমেইল ও পাসওয়ার্ড দিন।"),
        )
        .await;
    };
    if !auth::same_secret(&ch.csrf, &form.csrf) {
        return Err(WebError::Forbidden(
            "ফর্মটির মেয়াদ শেষ হয়েছে বা এটি এই সাইটের নয়। আবার চেষ্টা করুন।".into(),
        ));
    }
    let store = state.store();
    let Some(user) = store.user(ch.user_id).await?.filter(|u| !u.disabled) else {
        store.delete_login_challenge(&hash).await?;
        return Ok(Redirect::to("/newsroom/login").into_response());
    };
    let t = now();
    let scopes = Scopes::new(&user.email, &address, ch.device_id);
    match check_second_factor(&state, user.id, &form.code, t).await? {
        Some(how) => {
            store.delete_login_challenge(&hash).await?;
            if how == SecondFactor::RecoveryCode {
                let left = store.recovery_codes_left(user.id).await?;
                store
                    .write_audit(&Audit {
                        user_id: Some(user.id),
                        actor: &user.name,
                        action: "2fa.recovery_used",
                        entity: "user",
                        entity_id: Some(user.id),
                        detail: format!("{left} recovery codes left"),
                        address: &address,
                    })
                    .await?;
            }
            let device = known_device(&state, &jar, Some(user.id), t).await?;
            let detail = match how {
                SecondFactor::Code => "two-factor code",
                SecondFactor::RecoveryCode => "recovery code",
            };
            finish_login(&state, jar, &user, &address, &scopes, device, detail).await
        }
        None => {
            let attempts = store.login_challenge_failed(&hash).await?;
            record_failure(
                &state,
                &scopes,
                Some(user.id),
                &user.name,
                &address,
                "login.code_failed",
                t,
            )
            .await?;
            if attempts >= MAX_CODE_ATTEMPTS {
                store.delete_login_challenge(&hash).await?;
                let jar = jar.add(expired_cookie(&state, CHALLENGE_COOKIE));
                return render_form(
                    &state,
                    jar,
                    StatusCode::UNAUTHORIZED,
                    &user.email,
                    Some("অনেকবার ভুল কোড দেওয়া হয়েছে। আবার ইমেইল ও পাসওয়ার্ড দিয়ে শুরু করুন।"),
                )
                .await;
            }
            render_code_form(
                &state,
                StatusCode::UNAUTHORIZED,
                &ch.csrf,
                Some("কোডটি ঠিক নয়, বা আগেই ব্যবহার করা হয়েছে।"),
            )
            .await
        }
    }
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
