//! Static assets compiled into the binary (so `khobor` runs from any directory), and the small
//! generated stylesheet that gives each section its colour.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{AppState, WebError};

struct Asset {
    path: &'static str,
    mime: &'static str,
    bytes: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        path: "site.css",
        mime: "text/css; charset=utf-8",
        bytes: include_bytes!("../../static/site.css"),
    },
    Asset {
        path: "share.js",
        mime: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../static/share.js"),
    },
    Asset {
        path: "breaking.js",
        mime: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../static/breaking.js"),
    },
    Asset {
        path: "live.js",
        mime: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../static/live.js"),
    },
    Asset {
        path: "district.js",
        mime: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../static/district.js"),
    },
    Asset {
        path: "card-verify.js",
        mime: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../static/card-verify.js"),
    },
    Asset {
        path: "newsroom.css",
        mime: "text/css; charset=utf-8",
        bytes: include_bytes!("../../static/newsroom.css"),
    },
    Asset {
        path: "newsroom.js",
        mime: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../static/newsroom.js"),
    },
    Asset {
        path: "fonts/NotoSansBengali-Regular.woff2",
        mime: "font/woff2",
        bytes: include_bytes!("../../static/fonts/NotoSansBengali-Regular.woff2"),
    },
    Asset {
        path: "fonts/NotoSansBengali-Bold.woff2",
        mime: "font/woff2",
        bytes: include_bytes!("../../static/fonts/NotoSansBengali-Bold.woff2"),
    },
    Asset {
        path: "favicon.svg",
        mime: "image/svg+xml",
        bytes: include_bytes!("../../static/favicon.svg"),
    },
    Asset {
        path: "fonts/OFL.txt",
        mime: "text/plain; charset=utf-8",
        bytes: include_bytes!("../../static/fonts/OFL.txt"),
    },
];

pub async fn static_file(Path(path): Path<String>) -> Result<Response, WebError> {
    let asset = ASSETS
        .iter()
        .find(|a| a.path == path)
        .ok_or(WebError::NotFound)?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, asset.mime),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        asset.bytes,
    )
        .into_response())
}

/// `/favicon.ico`, which browsers and crawlers ask for whatever the page links: the same SVG
/// icon the pages link (`/static/favicon.svg`), rather than a 404 in every console.
pub async fn favicon() -> Result<Response, WebError> {
    static_file(Path("favicon.svg".to_owned())).await
}

/// `.s-{id}` sets `--tone` to the section's colour; placeholders and section headings use it.
pub async fn theme_css(State(state): State<AppState>) -> Result<Response, WebError> {
    let mut css = String::from("/* section colours */\n");
    for s in state.store().sections().await? {
        if is_hex_colour(&s.colour) {
            css.push_str(&format!(".s-{}{{--tone:{}}}\n", s.id, s.colour));
        }
    }
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        css,
    )
        .into_response())
}

/// Colours come from the store; only `#rgb`/`#rrggbb` may reach a stylesheet.
fn is_hex_colour(s: &str) -> bool {
    crate::cards::parse_colour(s).is_some()
}
