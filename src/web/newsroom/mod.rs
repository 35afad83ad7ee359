//! The newsroom under `/newsroom/`: login, the story dashboard and editor, revisions, the
//! media library, and the admin pages. Every handler takes a [`Staff`] (logged in) and checks
//! the permission table and the CSRF token itself; nothing here is cached.

pub mod admin;
pub mod breaking;
pub mod cards;
pub mod client_addr;
pub mod live;
pub mod login;
pub mod media;
pub mod places;
pub mod redirects;
pub mod session;
pub mod stories;
pub mod taxonomy;
pub mod two_factor;
pub mod webhooks;
pub mod wires;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;

use crate::domain::story::FieldError;
use crate::web::AppState;

pub use session::{ClientAddr, Staff};

/// A form that carries nothing but its CSRF token (a button that acts on what its address
/// names).
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct CsrfOnly {
    pub csrf: String,
}

/// Largest upload the media form and API accept (the image crate checks pixels on top).
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;

/// Request body limit of the two upload routes: the file plus the describing fields and the
/// multipart framing. Every other route keeps axum's default of 2 MB.
pub const UPLOAD_BODY_LIMIT: usize = MAX_UPLOAD_BYTES + 64 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/newsroom/", get(stories::dashboard))
        .route(
            "/newsroom",
            get(|| async { axum::response::Redirect::permanent("/newsroom/") }),
        )
        .route(
            "/newsroom/login",
            get(login::form)
                .post(login::submit)
                .layer(DefaultBodyLimit::max(login::MAX_LOGIN_BODY_BYTES)),
        )
        .route(
            "/newsroom/login/code",
            get(login::code_form)
                .post(login::code_submit)
                .layer(DefaultBodyLimit::max(login::MAX_LOGIN_BODY_BYTES)),
        )
        .route("/newsroom/logout", post(login::logout))
        .route(
            "/newsroom/account",
            get(admin::account).post(admin::change_password),
        )
        .route("/newsroom/account/2fa/start", post(two_factor::start))
        .route("/newsroom/account/2fa/confirm", post(two_factor::confirm))
        .route("/newsroom/account/2fa/disable", post(two_factor::disable))
        .route(
            "/newsroom/stories/new",
            get(stories::new_form).post(stories::create),
        )
        .route(
            "/newsroom/stories/{id}",
            get(stories::edit_form).post(stories::update),
        )
        .route("/newsroom/stories/{id}/revisions", get(stories::revisions))
        .route(
            "/newsroom/stories/{id}/corrections",
            post(stories::add_correction),
        )
        .route(
            "/newsroom/stories/{id}/revisions/{rev}/restore",
            post(stories::restore),
        )
        .route("/newsroom/stories/{id}/presence", post(stories::presence))
        .route(
            "/newsroom/redirects",
            get(redirects::list).post(redirects::set),
        )
        .route("/newsroom/redirects/delete", post(redirects::delete))
        .route("/newsroom/wires", get(wires::queue))
        .route(
            "/newsroom/wires/sources",
            get(wires::sources).post(wires::add_source),
        )
        .route(
            "/newsroom/wires/sources/{id}/active",
            post(wires::set_active),
        )
        .route(
            "/newsroom/wires/sources/{id}/delete",
            post(wires::delete_source),
        )
        .route("/newsroom/wires/{id}", get(wires::item))
        .route("/newsroom/wires/{id}/draft", post(wires::draft))
        .route(
            "/newsroom/stories/{id}/cards",
            get(cards::form).post(cards::submit),
        )
        .route("/newsroom/stories/{id}/live", get(live::show))
        .route("/newsroom/stories/{id}/live/start", post(live::start))
        .route("/newsroom/stories/{id}/live/end", post(live::end))
        .route("/newsroom/stories/{id}/live/entries", post(live::add))
        .route(
            "/newsroom/stories/{id}/live/entries/{entry}",
            get(live::edit_form).post(live::update),
        )
        .route(
            "/newsroom/stories/{id}/live/entries/{entry}/delete",
            post(live::delete),
        )
        .route("/newsroom/bijoy", post(stories::bijoy))
        .route(
            "/newsroom/media",
            get(media::library)
                .post(media::upload)
                .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
        .route(
            "/newsroom/breaking",
            get(breaking::show).post(breaking::add),
        )
        .route("/newsroom/breaking/{id}/clear", post(breaking::clear))
        .route("/newsroom/users", get(admin::users).post(admin::add_user))
        .route("/newsroom/users/{id}", post(admin::update_user))
        .route(
            "/newsroom/users/{id}/two-factor/reset",
            post(admin::reset_two_factor),
        )
        .route(
            "/newsroom/tokens",
            get(admin::tokens).post(admin::create_token),
        )
        .route("/newsroom/tokens/{id}/revoke", post(admin::revoke_token))
        .route(
            "/newsroom/settings",
            get(admin::settings).post(admin::save_settings),
        )
        .route("/newsroom/settings/cards", post(admin::save_card_settings))
        .route(
            "/newsroom/settings/two-factor",
            post(admin::save_two_factor_roles),
        )
        .route("/newsroom/audit", get(admin::audit))
        .route(
            "/newsroom/webhooks",
            get(webhooks::list).post(webhooks::add),
        )
        .route("/newsroom/webhooks/{id}", get(webhooks::log))
        .route("/newsroom/webhooks/{id}/active", post(webhooks::set_active))
        .route("/newsroom/webhooks/{id}/delete", post(webhooks::delete))
        .route(
            "/newsroom/webhooks/{id}/deliveries/{delivery}/redeliver",
            post(webhooks::redeliver),
        )
        .route(
            "/newsroom/sections",
            get(taxonomy::show).post(taxonomy::add_section),
        )
        .route("/newsroom/sections/{id}", post(taxonomy::update_section))
        .route("/newsroom/labels/{kind}/{id}", post(taxonomy::rename))
        .route("/newsroom/places", get(places::list).post(places::add))
        .route(
            "/newsroom/places/{id}",
            get(places::show).post(places::update),
        )
        .route("/newsroom/places/{id}/remove", post(places::remove))
}

/// What every newsroom page's chrome needs: who is logged in and the CSRF token for forms.
#[derive(Serialize)]
pub struct Me<'a> {
    pub id: i64,
    pub name: &'a str,
    pub email: &'a str,
    pub role: &'a str,
    pub role_label: &'a str,
    pub is_editor: bool,
    pub is_admin: bool,
}

pub fn me(staff: &Staff) -> Me<'_> {
    use crate::domain::Role;
    Me {
        id: staff.user.id,
        name: &staff.user.name,
        email: &staff.user.email,
        role: staff.user.role.as_str(),
        role_label: staff.user.role.label(),
        is_editor: staff.is(Role::Editor),
        is_admin: staff.is(Role::Admin),
    }
}

/// Field errors as a map the templates look up by field name.
pub fn errors_by_field(errors: &[FieldError]) -> std::collections::BTreeMap<&'static str, String> {
    let mut map = std::collections::BTreeMap::new();
    for e in errors {
        map.entry(e.field)
            .and_modify(|m: &mut String| {
                m.push(' ');
                m.push_str(&e.message)
            })
            .or_insert_with(|| e.message.clone());
    }
    map
}

/// Renders a newsroom page with `me` and `csrf` added, never cached.
pub async fn page(
    state: &AppState,
    staff: &Staff,
    status: axum::http::StatusCode,
    template: &str,
    ctx: minijinja::Value,
) -> Result<axum::response::Response, crate::web::WebError> {
    use axum::response::IntoResponse;
    let ctx = minijinja::context! { me => me(staff), csrf => &staff.csrf, ..ctx };
    let html = state.render(template, crate::storage::now(), ctx).await?;
    Ok(session::no_store(
        (status, axum::response::Html(html)).into_response(),
    ))
}
