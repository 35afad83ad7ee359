//! Admin pages (users, API tokens, site settings with the roles that must use two-factor
//! login, the audit log) and each person's account page (password change; two-factor
//! enrolment is in two_factor.rs).

use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth;
use crate::domain::text::clean_line;
use crate::domain::{Action, Role};
use crate::storage::now;
use crate::web::view::DateView;
use crate::web::{AppState, WebError};

use super::{page, session, two_factor, CsrfOnly, Staff};

// ---- users

/// The roles as a form's `<select>` lists them.
fn role_options() -> Vec<minijinja::Value> {
    Role::ALL
        .into_iter()
        .map(|r| minijinja::context! { code => r.as_str(), label => r.label() })
        .collect()
}

async fn users_page(
    state: &AppState,
    staff: &Staff,
    status: StatusCode,
    error: Option<String>,
    flash: Option<String>,
) -> Result<Response, WebError> {
    let t = now();
    let two_factor = state.store().two_factor_users().await?;
    let users: Vec<_> = state
        .store()
        .users()
        .await?
        .into_iter()
        .map(|u| {
            minijinja::context! {
                id => u.id, name => u.name, email => u.email, initials => u.initials,
                role => u.role.as_str(), role_label => u.role.label(), disabled => u.disabled,
                created => DateView::new(u.created_at, state.tz(), t),
                two_factor => two_factor.contains(&u.id), me => u.id == staff.user.id,
            }
        })
        .collect();
    page(
        state,
        staff,
        status,
        "newsroom/users.html",
        minijinja::context! { users => users, roles => role_options(), error => error, flash => flash },
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FlashQuery {
    done: String,
}

pub async fn users(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<FlashQuery>,
) -> Result<Response, WebError> {
    staff.require(Action::ManageUsers)?;
    let flash = (q.done == "added").then(|| "নতুন ব্যবহারকারী যোগ হয়েছে।".to_owned());
    let flash =
        flash.or_else(|| (q.done == "updated").then(|| "পরিবর্তন সংরক্ষিত হয়েছে।".to_owned()));
    let flash = flash.or_else(|| {
        (q.done == "2fa-reset").then(|| {
            "দুই-ধাপ যাচাই রিসেট হয়েছে; তাঁর সব সেশন বন্ধ। পরের লগইনে তিনি আবার চালু করবেন।".to_owned()
        })
    });
    users_page(&state, &staff, StatusCode::OK, None, flash).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewUserForm {
    csrf: String,
    email: String,
    name: String,
    initials: String,
    role: String,
    password: String,
}

pub async fn add_user(
    State(state): State<AppState>,
    staff: Staff,
    Form(form): Form<NewUserForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    staff.require(Action::ManageUsers)?;
    let Some(role) = Role::parse(&form.role) else {
        return users_page(
            &state,
            &staff,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("ভূমিকা বেছে নিন।".into()),
            None,
        )
        .await;
    };
    let by = staff.audit("", "", None, String::new());
    match crate::accounts::add_user(
        state.store(),
        &form.email,
        &form.name,
        &form.initials,
        role,
        &form.password,
        &by,
    )
    .await
    {
        Ok(_) => {}
        Err(crate::accounts::AccountError::Storage(e)) => return Err(e.into()),
        Err(e) => {
            let status = match e {
                crate::accounts::AccountError::Taken(_) => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            return users_page(&state, &staff, status, Some(e.to_string()), None).await;
        }
    }
    Ok(Redirect::to("/newsroom/users?done=added").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct UpdateUserForm {
    csrf: String,
    role: String,
    initials: String,
    disabled: String,
}

pub async fn update_user(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<UpdateUserForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    staff.require(Action::ManageUsers)?;
    let user = state.store().user(id).await?.ok_or(WebError::NotFound)?;
    let role =
        Role::parse(&form.role).ok_or_else(|| WebError::BadRequest("ভূমিকা বেছে নিন।".into()))?;
    let disabled = form.disabled == "1";
    if id == staff.user.id && (role != Role::Admin || disabled) {
        return users_page(
            &state,
            &staff,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("নিজের প্রশাসকের ভূমিকা বা অ্যাকাউন্ট বন্ধ করা যায় না; অন্য একজন প্রশাসককে বলুন।".into()),
            None,
        )
        .await;
    }
    let initials = match crate::accounts::clean_initials(&form.initials) {
        Ok(i) => i,
        Err(problem) => {
            return users_page(
                &state,
                &staff,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(problem),
                None,
            )
            .await;
        }
    };
    let mut detail = Vec::new();
    if role != user.role {
        detail.push(format!("role {} → {}", user.role.as_str(), role.as_str()));
    }
    if initials != user.initials {
        detail.push(format!("initials {} → {}", user.initials, initials));
    }
    if disabled != user.disabled {
        detail.push(if disabled {
            "disabled".into()
        } else {
            "enabled".into()
        });
    }
    let action = if role != user.role {
        "user.role"
    } else {
        "user.update"
    };
    state
        .store()
        .update_user(
            id,
            role,
            &initials,
            disabled,
            &staff.audit(action, "user", Some(id), detail.join("; ")),
        )
        .await?;
    Ok(Redirect::to("/newsroom/users?done=updated").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ResetTwoFactorForm {
    csrf: String,
    /// The administrator's own password: a session left open is not enough to strip someone
    /// of their second factor.
    password: String,
}

/// `POST /newsroom/users/{id}/two-factor/reset`: an administrator turns off someone else's
/// two-factor login (lost phone, recovery codes used up), confirming with their own password;
/// the person's sessions and known browsers end with it. Audited as `2fa.reset`.
pub async fn reset_two_factor(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<ResetTwoFactorForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    staff.require(Action::ManageUsers)?;
    let user = state.store().user(id).await?.ok_or(WebError::NotFound)?;
    let refuse = |message: &'static str| {
        users_page(
            &state,
            &staff,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(message.to_owned()),
            None,
        )
    };
    if id == staff.user.id {
        return refuse("নিজের দুই-ধাপ যাচাই এখানে নয়, নিজের অ্যাকাউন্ট পাতা থেকে বদলান।").await;
    }
    if !state.store().two_factor_users().await?.contains(&id) {
        return refuse("তাঁর দুই-ধাপ যাচাই চালু নেই।").await;
    }
    let hash = state
        .store()
        .password_hash(staff.user.id)
        .await?
        .unwrap_or_default();
    if form.password.len() > two_factor::MAX_PASSWORD_BYTES
        || !state.verify_password(&form.password, &hash).await
    {
        return refuse("আপনার পাসওয়ার্ড ঠিক নয়; দুই-ধাপ যাচাই রিসেট হয়নি।").await;
    }
    state
        .store()
        .reset_two_factor(
            id,
            &staff.audit("2fa.reset", "user", Some(id), user.email.clone()),
        )
        .await?;
    Ok(Redirect::to("/newsroom/users?done=2fa-reset").into_response())
}

// ---- API tokens

async fn tokens_page(
    state: &AppState,
    staff: &Staff,
    status: StatusCode,
    new_token: Option<String>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let t = now();
    let users = state.store().users().await?;
    let tokens: Vec<_> = state
        .store()
        .api_tokens()
        .await?
        .into_iter()
        .map(|k| {
            let owner = users
                .iter()
                .find(|u| u.id == k.user_id)
                .map(|u| u.name.clone());
            minijinja::context! {
                id => k.id, name => k.name, role => k.role,
                role_label => Role::parse(&k.role).map(Role::label),
                owner => owner, created => DateView::new(k.created_at, state.tz(), t),
                last_used => k.last_used_at.map(|u| DateView::new(u, state.tz(), t)),
                revoked => k.revoked_at.is_some(),
            }
        })
        .collect();
    page(
        state,
        staff,
        status,
        "newsroom/tokens.html",
        minijinja::context! { tokens => tokens, roles => role_options(), new_token => new_token, error => error },
    )
    .await
}

pub async fn tokens(State(state): State<AppState>, staff: Staff) -> Result<Response, WebError> {
    staff.require(Action::ManageTokens)?;
    tokens_page(&state, &staff, StatusCode::OK, None, None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TokenForm {
    csrf: String,
    name: String,
    role: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    staff: Staff,
    Form(form): Form<TokenForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    staff.require(Action::ManageTokens)?;
    let Some(role) = Role::parse(&form.role) else {
        return tokens_page(
            &state,
            &staff,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some("ভূমিকা বেছে নিন।".into()),
        )
        .await;
    };
    let Some(name) = crate::accounts::clean_token_label(&form.name) else {
        return tokens_page(
            &state,
            &staff,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some("টোকেনের একটি নাম দিন (যেমন ‘এএফপি ওয়্যার’)।".into()),
        )
        .await;
    };
    let token = auth::new_api_token();
    state
        .store()
        .create_api_token(
            &name,
            &auth::token_hash(&token),
            role,
            staff.user.id,
            &staff.audit(
                "token.create",
                "token",
                None,
                format!("{name} ({})", role.as_str()),
            ),
        )
        .await?;
    // Shown once, in this response only; the store keeps its hash.
    tokens_page(&state, &staff, StatusCode::CREATED, Some(token), None).await
}

pub async fn revoke_token(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    staff.require(Action::ManageTokens)?;
    state
        .store()
        .revoke_api_token(
            id,
            &staff.audit("token.revoke", "token", Some(id), String::new()),
        )
        .await?;
    Ok(Redirect::to("/newsroom/tokens").into_response())
}

// ---- settings

/// The roles with whether each must use two-factor login, for the settings page.
async fn two_factor_roles(state: &AppState) -> Result<Vec<minijinja::Value>, WebError> {
    let mut roles = Vec::new();
    for r in Role::ALL {
        roles.push(minijinja::context! {
            code => r.as_str(), label => r.label(),
            required => session::two_factor_required(state, r).await?,
        });
    }
    Ok(roles)
}

async fn settings_page(
    state: &AppState,
    staff: &Staff,
    status: StatusCode,
    short_name: &str,
    error: Option<&str>,
    flash: Option<&str>,
) -> Result<Response, WebError> {
    let roles = two_factor_roles(state).await?;
    let card_logo = state.store().setting(crate::cards::LOGO_SETTING).await?;
    let card_accent = state.store().setting(crate::cards::ACCENT_SETTING).await?;
    let media = super::media::picker(state).await?;
    page(
        state,
        staff,
        status,
        "newsroom/settings.html",
        minijinja::context! {
            short_name => short_name, error => error, flash => flash, two_factor_roles => roles,
            card_logo => card_logo.unwrap_or_default(), card_accent => card_accent.unwrap_or_default(),
            media => media,
        },
    )
    .await
}

/// The photocards' logo (an image from the media library) and colour.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CardSettingsForm {
    csrf: String,
    logo_media_id: String,
    accent: String,
}

pub async fn save_card_settings(
    State(state): State<AppState>,
    staff: Staff,
    Form(form): Form<CardSettingsForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    staff.require(Action::ManageSettings)?;
    let logo = form.logo_media_id.trim();
    let accent = form.accent.trim().to_ascii_lowercase();
    let logo_ok = logo.is_empty()
        || match logo.parse::<i64>() {
            Ok(id) => state.store().media(id).await?.is_some(),
            Err(_) => false,
        };
    let accent_ok = accent.is_empty() || crate::cards::parse_colour(&accent).is_some();
    if !logo_ok || !accent_ok {
        let short = state
            .stories()
            .short_name()
            .await
            .map_err(|e| WebError::BadRequest(e.to_string()))?;
        let error = if logo_ok {
            "কার্ডের রং #rrggbb আকারে দিন, যেমন #c8102e।"
        } else {
            "লোগোটি মিডিয়া লাইব্রেরি থেকে বেছে নিন।"
        };
        return settings_page(
            &state,
            &staff,
            StatusCode::UNPROCESSABLE_ENTITY,
            &short,
            Some(error),
            None,
        )
        .await;
    }
    for (key, value) in [
        (crate::cards::LOGO_SETTING, logo),
        (crate::cards::ACCENT_SETTING, accent.as_str()),
    ] {
        state
            .store()
            .set_setting(
                key,
                value,
                &staff.audit(
                    "settings.update",
                    "settings",
                    None,
                    format!("{key} = {value}"),
                ),
            )
            .await?;
    }
    Ok(Redirect::to("/newsroom/settings#cards").into_response())
}

pub async fn settings(State(state): State<AppState>, staff: Staff) -> Result<Response, WebError> {
    staff.require(Action::ManageSettings)?;
    let short = state
        .stories()
        .short_name()
        .await
        .map_err(|e| WebError::BadRequest(e.to_string()))?;
    settings_page(&state, &staff, StatusCode::OK, &short, None, None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SettingsForm {
    csrf: String,
    short_name: String,
}

pub async fn save_settings(
    State(state): State<AppState>,
    staff: Staff,
    Form(form): Form<SettingsForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    staff.require(Action::ManageSettings)?;
    let short = clean_line(&form.short_name);
    if short.is_empty() || short.chars().count() > 30 || short.contains('/') {
        return settings_page(
            &state,
            &staff,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form.short_name,
            Some("সংক্ষিপ্ত নাম দিন (সর্বোচ্চ ৩০ অক্ষর, ‘/’ ছাড়া)।"),
            None,
        )
        .await;
    }
    state
        .store()
        .set_setting(
            "site.short_name",
            &short,
            &staff.audit(
                "settings.update",
                "settings",
                None,
                format!("short_name = {short}"),
            ),
        )
        .await?;
    settings_page(
        &state,
        &staff,
        StatusCode::OK,
        &short,
        None,
        Some("সংরক্ষিত হয়েছে।"),
    )
    .await
}

/// The roles ticked on the settings page's two-factor form ("1" each).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TwoFactorRolesForm {
    csrf: String,
    contributor: String,
    editor: String,
    admin: String,
}

pub async fn save_two_factor_roles(
    State(state): State<AppState>,
    staff: Staff,
    Form(form): Form<TwoFactorRolesForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    staff.require(Action::ManageSettings)?;
    let roles: Vec<&str> = [
        (Role::Contributor, &form.contributor),
        (Role::Editor, &form.editor),
        (Role::Admin, &form.admin),
    ]
    .into_iter()
    .filter(|(_, ticked)| ticked.as_str() == "1")
    .map(|(r, _)| r.as_str())
    .collect();
    let value = roles.join(",");
    state
        .store()
        .set_setting(
            session::REQUIRE_2FA_SETTING,
            &value,
            &staff.audit(
                "settings.require_2fa",
                "settings",
                None,
                format!(
                    "two-factor required for: {}",
                    if value.is_empty() { "nobody" } else { &value }
                ),
            ),
        )
        .await?;
    Ok(Redirect::to("/newsroom/settings#two-factor").into_response())
}

// ---- audit log

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AuditQuery {
    before: Option<i64>,
}

pub async fn audit(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<AuditQuery>,
) -> Result<Response, WebError> {
    staff.require(Action::ViewAudit)?;
    let t = now();
    let entries = state.store().audit_log(q.before, 100).await?;
    let next = (entries.len() == 100)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    let rows: Vec<_> = entries
        .into_iter()
        .map(|e| {
            let story = (e.entity == "article").then_some(e.entity_id).flatten();
            minijinja::context! {
                when => DateView::new(e.at, state.tz(), t), actor => e.actor, action => e.action,
                entity => e.entity, entity_id => e.entity_id, detail => e.detail, address => e.address,
                story_url => story.map(|id| format!("/newsroom/stories/{id}")),
            }
        })
        .collect();
    page(
        &state,
        &staff,
        StatusCode::OK,
        "newsroom/audit.html",
        minijinja::context! { rows => rows, next => next },
    )
    .await
}

// ---- own account

pub async fn account(State(state): State<AppState>, staff: Staff) -> Result<Response, WebError> {
    two_factor::account_page(&state, &staff, StatusCode::OK, minijinja::context! {}).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    csrf: String,
    current: String,
    new_password: String,
    confirm: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    staff: Staff,
    Form(form): Form<PasswordForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    let hash = state
        .store()
        .password_hash(staff.user.id)
        .await?
        .unwrap_or_default();
    let problem = if !state.verify_password(&form.current, &hash).await {
        Some("বর্তমান পাসওয়ার্ডটি ঠিক নয়।".to_owned())
    } else if form.new_password != form.confirm {
        Some("নতুন পাসওয়ার্ড দুটি মেলেনি।".to_owned())
    } else {
        auth::password_problem(&form.new_password)
    };
    if let Some(error) = problem {
        return two_factor::account_page(
            &state,
            &staff,
            StatusCode::UNPROCESSABLE_ENTITY,
            minijinja::context! { error => error },
        )
        .await;
    }
    let hash = state.hash_password(&form.new_password).await;
    let revoked = state
        .store()
        .set_password(staff.user.id, &hash, &staff.session_hash)
        .await?;
    state
        .store()
        .write_audit(&staff.audit(
            "password.change",
            "user",
            Some(staff.user.id),
            format!("{revoked} API tokens revoked"),
        ))
        .await?;
    let flash = if revoked > 0 {
        format!(
            "পাসওয়ার্ড বদলানো হয়েছে; অন্য সব জায়গা থেকে লগ আউট করা হয়েছে এবং আপনার {}টি API টোকেন বাতিল হয়েছে (নতুন টোকেন বানাতে হবে)।",
            bangla::digits::to_bengali_digits(&revoked.to_string())
        )
    } else {
        "পাসওয়ার্ড বদলানো হয়েছে; অন্য সব জায়গা থেকে লগ আউট করা হয়েছে।".to_owned()
    };
    two_factor::account_page(
        &state,
        &staff,
        StatusCode::OK,
        minijinja::context! { flash => flash },
    )
    .await
}
