//! Two-factor login on each person's account page: enrolment (a new secret shown in base32 and
//! as an otpauth:// URI, switched on only by a first right code), ten recovery codes shown
//! once, and switching it off with the password and a code. The login's code step is in
//! login.rs; the rule that some roles must enrol is in session.rs.

use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth;
use crate::storage::now;
use crate::web::{AppState, WebError};

pub use super::login::MAX_PASSWORD_BYTES;
use super::login::{check_second_factor, MAX_CODE_BYTES};
use super::session::two_factor_required;
use super::{page, CsrfOnly, Staff};

/// The account page with its two-factor part: on, waiting for the first code, or off.
pub async fn account_page(
    state: &AppState,
    staff: &Staff,
    status: StatusCode,
    ctx: minijinja::Value,
) -> Result<Response, WebError> {
    let store = state.store();
    let totp = store.totp(staff.user.id).await?;
    let on = totp.as_ref().is_some_and(|t| t.confirmed);
    let pending = totp.filter(|t| !t.confirmed).map(|t| {
        minijinja::context! {
            uri => auth::totp_uri(&t.secret, &state.config().site.name, &staff.user.email),
            secret => t.secret,
        }
    });
    let required = !on && two_factor_required(state, staff.user.role).await?;
    let codes_left = if on {
        store.recovery_codes_left(staff.user.id).await?
    } else {
        0
    };
    page(
        state,
        staff,
        status,
        "newsroom/account.html",
        minijinja::context! {
            totp_on => on, pending => pending, required => required, codes_left => codes_left,
            ..ctx
        },
    )
    .await
}

/// Starts enrolment: a new secret waits for its first code (a second start replaces it).
pub async fn start(
    State(state): State<AppState>,
    staff: Staff,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    state
        .store()
        .start_totp(staff.user.id, &auth::new_totp_secret())
        .await?;
    Ok(Redirect::to("/newsroom/account#two-factor").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CodeForm {
    csrf: String,
    code: String,
}

/// Switches two-factor on once the app shows the right code, and shows the recovery codes.
pub async fn confirm(
    State(state): State<AppState>,
    staff: Staff,
    Form(form): Form<CodeForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    let store = state.store();
    let pending = store.totp(staff.user.id).await?.filter(|t| !t.confirmed);
    let Some(totp) = pending else {
        return Ok(Redirect::to("/newsroom/account#two-factor").into_response());
    };
    let step = (form.code.len() <= MAX_CODE_BYTES)
        .then(|| auth::totp_step_of(&totp.secret, &form.code, now()))
        .flatten();
    let Some(step) = step else {
        return account_page(
            &state,
            &staff,
            StatusCode::UNPROCESSABLE_ENTITY,
            minijinja::context! {
                two_factor_error => "কোডটি মেলেনি। ফোনের সময় ঠিক আছে কি না দেখে অ্যাপে এখন যে কোড দেখাচ্ছে সেটি দিন।",
            },
        )
        .await;
    };
    let codes = auth::new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| auth::recovery_code_hash(c)).collect();
    let id = staff.user.id;
    store
        .confirm_totp(
            id,
            step,
            &hashes,
            &staff.audit("2fa.enable", "user", Some(id), String::new()),
        )
        .await?;
    // Shown in this response only; the store keeps their hashes.
    account_page(
        &state,
        &staff,
        StatusCode::OK,
        minijinja::context! { recovery_codes => codes },
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DisableForm {
    csrf: String,
    password: String,
    code: String,
}

/// Switches two-factor off: needs the password and a code (or a recovery code), and is
/// refused while the person's role requires it.
pub async fn disable(
    State(state): State<AppState>,
    staff: Staff,
    Form(form): Form<DisableForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    let refuse = |message: &'static str| {
        account_page(
            &state,
            &staff,
            StatusCode::UNPROCESSABLE_ENTITY,
            minijinja::context! { two_factor_error => message },
        )
    };
    if two_factor_required(&state, staff.user.role).await? {
        return refuse("আপনার ভূমিকার জন্য দুই-ধাপ যাচাই বাধ্যতামূলক, তাই বন্ধ করা যাবে না।").await;
    }
    if form.password.len() > MAX_PASSWORD_BYTES || form.code.len() > MAX_CODE_BYTES {
        return refuse("পাসওয়ার্ড বা কোড ঠিক নয়।").await;
    }
    let hash = state
        .store()
        .password_hash(staff.user.id)
        .await?
        .unwrap_or_default();
    if !state.verify_password(&form.password, &hash).await
        || check_second_factor(&state, staff.user.id, &form.code, now())
            .await?
            .is_none()
    {
        return refuse("পাসওয়ার্ড বা কোড ঠিক নয়।").await;
    }
    let id = staff.user.id;
    state
        .store()
        .disable_totp(
            id,
            &staff.audit("2fa.disable", "user", Some(id), String::new()),
        )
        .await?;
    account_page(
        &state,
        &staff,
        StatusCode::OK,
        minijinja::context! { flash => "দুই-ধাপ যাচাই বন্ধ হয়েছে।" },
    )
    .await
}
