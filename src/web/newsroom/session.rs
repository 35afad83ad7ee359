//! Who is asking: the session cookie (pages and the admin API) or an API token (admin API),
//! the CSRF check for every state-changing request, the client's address, and the rule that
//! people whose role requires two-factor login enrol before anything else.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

use crate::auth;
use crate::domain::{Action, Role};
use crate::storage::users::{SessionUser, User};
use crate::web::{AppState, WebError};

pub const SESSION_COOKIE: &str = "khobor_session";
/// Before there is a session, the login form's CSRF token is a double-submit cookie.
pub const LOGIN_CSRF_COOKIE: &str = "khobor_login_csrf";
/// How long a session lasts after login.
pub const SESSION_SECONDS: i64 = 12 * 3600;

/// The client's address: the connection's, or from a trusted proxy the one it forwarded for
/// (see [`super::client_addr`]); "local" in-process.
#[derive(Debug, Clone)]
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        Ok(ClientAddr(super::client_addr::client_address(
            peer,
            &parts.headers,
            &state.config().auth.trusted_proxies,
        )))
    }
}

/// The site setting naming the roles that must use two-factor login (comma-separated).
pub const REQUIRE_2FA_SETTING: &str = "auth.require_2fa";

/// Whether people of `role` must have two-factor login on (an admin's site setting).
pub async fn two_factor_required(state: &AppState, role: Role) -> Result<bool, WebError> {
    let roles = state
        .store()
        .setting(REQUIRE_2FA_SETTING)
        .await?
        .unwrap_or_default();
    Ok(roles.split(',').any(|r| r.trim() == role.as_str()))
}

/// Where someone who must enrol in two-factor login may still go: their account page (to
/// enrol) and logout.
fn allowed_before_enrolment(path: &str) -> bool {
    path == "/newsroom/account"
        || path.starts_with("/newsroom/account/")
        || path == "/newsroom/logout"
}

/// Where people are sent to enrol in two-factor login.
pub const ENROL_PATH: &str = "/newsroom/account#two-factor";

/// A logged-in person on a newsroom page. Anonymous requests are sent to the login form.
#[derive(Debug, Clone)]
pub struct Staff {
    pub user: User,
    pub csrf: String,
    pub session_hash: String,
    pub address: String,
    pub has_totp: bool,
}

impl Staff {
    /// 403 unless the permission table allows `action` for this person's role.
    pub fn require(&self, action: Action) -> Result<(), WebError> {
        if crate::domain::newsroom::allows(self.user.role, action) {
            Ok(())
        } else {
            Err(forbidden())
        }
    }

    /// 403 unless `token` is this session's CSRF token.
    /// [`Staff::check_csrf`] for a script's request: the token in its `X-CSRF-Token` header.
    pub fn check_csrf_header(&self, headers: &axum::http::HeaderMap) -> Result<(), WebError> {
        let token = headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        self.check_csrf(token)
    }

    pub fn check_csrf(&self, token: &str) -> Result<(), WebError> {
        if auth::same_secret(&self.csrf, token) {
            Ok(())
        } else {
            Err(WebError::Forbidden(
                "ফর্মটির নিরাপত্তা-টোকেন মেলেনি (পাতাটি হয়তো অনেকক্ষণ খোলা ছিল)। পাতাটি আবার খুলে চেষ্টা করুন।"
                    .into(),
            ))
        }
    }

    pub fn actor(&self) -> crate::storage::stories::Actor<'_> {
        crate::storage::stories::Actor {
            user_id: self.user.id,
            name: &self.user.name,
            address: &self.address,
        }
    }

    /// An audit-log line for something this person did.
    pub fn audit<'a>(
        &'a self,
        action: &'a str,
        entity: &'a str,
        entity_id: Option<i64>,
        detail: String,
    ) -> crate::storage::users::Audit<'a> {
        crate::storage::stories::Actor {
            user_id: self.user.id,
            name: &self.user.name,
            address: &self.address,
        }
        .audit(action, entity, entity_id, detail)
    }

    pub fn is(&self, role: Role) -> bool {
        self.user.role >= role
    }
}

pub fn forbidden() -> WebError {
    WebError::Forbidden("এই কাজের অনুমতি আপনার নেই।".into())
}

/// Where an anonymous request to a newsroom page goes.
pub struct LoginRedirect;

impl IntoResponse for LoginRedirect {
    fn into_response(self) -> Response {
        Redirect::to("/newsroom/login").into_response()
    }
}

pub async fn session_from_jar(state: &AppState, jar: &CookieJar) -> Option<(SessionUser, String)> {
    let id = read_cookie(state, jar, SESSION_COOKIE)?.to_owned();
    let hash = auth::token_hash(&id);
    match state.store().session(&hash, crate::storage::now()).await {
        Ok(Some(s)) => Some((s, hash)),
        Ok(None) => None,
        Err(e) => {
            tracing::error!(error = %e, "session lookup failed");
            None
        }
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let jar = CookieJar::from_headers(&parts.headers);
        let ClientAddr(address) = ClientAddr::from_request_parts(parts, state)
            .await
            .unwrap_or_else(|never| match never {});
        let Some((s, session_hash)) = session_from_jar(state, &jar).await else {
            return Err(LoginRedirect.into_response());
        };
        // Until someone whose role requires two-factor login has it, they can do nothing but
        // enrol. A store error counts as "required": the account page stays reachable anyway.
        if !s.has_totp
            && !allowed_before_enrolment(parts.uri.path())
            && two_factor_required(state, s.user.role)
                .await
                .unwrap_or(true)
        {
            return Err(Redirect::to(ENROL_PATH).into_response());
        }
        Ok(Staff {
            user: s.user,
            csrf: s.csrf,
            session_hash,
            address,
            has_totp: s.has_totp,
        })
    }
}

/// Whether cookies should be `Secure`: when the site is served over HTTPS.
pub fn secure_cookies(state: &AppState) -> bool {
    state.base_url().starts_with("https://")
}

/// A cookie's name as set and read: with the `__Host-` prefix when the site is served over
/// HTTPS, so that browsers accept it only from this host, over HTTPS, for the whole site —
/// a sibling subdomain or a plain-http page cannot plant or overwrite it. (Browsers refuse
/// the prefix without `Secure`, so a plain-http site, such as a developer's, keeps the name.)
pub fn cookie_name(state: &AppState, name: &'static str) -> std::borrow::Cow<'static, str> {
    if secure_cookies(state) {
        std::borrow::Cow::Owned(format!("__Host-{name}"))
    } else {
        std::borrow::Cow::Borrowed(name)
    }
}

/// The value of the cookie called `name` (see [`cookie_name`]).
pub fn read_cookie<'j>(
    state: &AppState,
    jar: &'j CookieJar,
    name: &'static str,
) -> Option<&'j str> {
    jar.get(&cookie_name(state, name)).map(|c| c.value())
}

pub fn cookie(
    state: &AppState,
    name: &'static str,
    value: String,
    max_age_secs: i64,
) -> Cookie<'static> {
    Cookie::build((cookie_name(state, name), value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure_cookies(state))
        .max_age(time::Duration::seconds(max_age_secs))
        .build()
}

pub fn expired_cookie(state: &AppState, name: &'static str) -> Cookie<'static> {
    cookie(state, name, String::new(), 0)
}

/// Newsroom pages are private and never cached.
pub fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store, private"),
    );
    response
}
