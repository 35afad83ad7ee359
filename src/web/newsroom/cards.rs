//! The newsroom's photocard page for a story: pick the layout, the words (the headline or a
//! quote from the text), the photo and its focal point; preview; publish; the story's cards
//! with their codes and a PNG to download for the social team.

use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::cards::{CardFailure, CardRequest, Layout};
use crate::domain::{Action, Status};
use crate::storage::now;
use crate::web::reader::cards::CardPageView;
use crate::web::{AppState, WebError};

use super::stories::caller;
use super::{page, ClientAddr, Staff};

/// What the form sends; the focal point in per cent, as people think of it.
#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
pub struct CardForm {
    csrf: String,
    action: String,
    layout: String,
    quote: String,
    speaker: String,
    media_id: String,
    focal_x: String,
    focal_y: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Done {
    made: String,
}

const LAYOUTS: [(&str, &str); 3] = [
    ("4:5", "৪:৫ (১০৮০×১৩৫০, ফেসবুক ও ইনস্টাগ্রাম)"),
    ("1:1", "বর্গ (১০৮০×১০৮০)"),
    ("og", "লিংকের ছবি (১২০০×৬৩০)"),
];

/// What the page shows besides the form: what went wrong, a preview, a card just made.
#[derive(Default)]
struct Shown {
    problem: Option<String>,
    preview: Option<String>,
    made: Option<String>,
}

async fn render(
    state: &AppState,
    staff: &Staff,
    status: StatusCode,
    id: i64,
    form: &CardForm,
    shown: Shown,
) -> Result<Response, WebError> {
    let Shown {
        problem,
        preview,
        made,
    } = shown;
    let story = state.store().story(id).await?.ok_or(WebError::NotFound)?;
    let t = now();
    let cards: Vec<CardPageView> = state
        .store()
        .cards_of(id)
        .await?
        .iter()
        .map(|c| CardPageView::new(state, c, t))
        .collect();
    let media = super::media::picker(state).await?;
    let layouts: Vec<_> = LAYOUTS
        .iter()
        .map(|(v, l)| minijinja::context! { value => v, label => l })
        .collect();
    page(
        state,
        staff,
        status,
        "newsroom/cards.html",
        minijinja::context! {
            story => minijinja::context! {
                id => story.id, headline => story.fields.headline,
                published => story.status == Status::Published,
                hero_media_id => story.fields.hero_media_id,
            },
            f => form, layouts => layouts, media => media, cards => cards,
            problem => problem, preview => preview, made => made,
        },
    )
    .await
}

/// `GET /newsroom/stories/{id}/cards`
pub async fn form(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(done): Query<Done>,
) -> Result<Response, WebError> {
    staff.require(Action::PublishCard)?;
    let form = CardForm {
        layout: "4:5".into(),
        focal_x: "50".into(),
        focal_y: "50".into(),
        ..CardForm::default()
    };
    let made = crate::cards::normalise_code(&done.made);
    render(
        &state,
        &staff,
        StatusCode::OK,
        id,
        &form,
        Shown {
            made,
            ..Shown::default()
        },
    )
    .await
}

/// `POST /newsroom/stories/{id}/cards`: `action=preview` draws the card and shows it;
/// `action=publish` makes, signs and publishes it.
pub async fn submit(
    State(state): State<AppState>,
    staff: Staff,
    ClientAddr(address): ClientAddr,
    Path(id): Path<i64>,
    Form(form): Form<CardForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    staff.require(Action::PublishCard)?;
    let request = match parse(&form) {
        Ok(r) => r,
        Err(problem) => {
            return render(
                &state,
                &staff,
                StatusCode::UNPROCESSABLE_ENTITY,
                id,
                &form,
                Shown {
                    problem: Some(problem),
                    ..Shown::default()
                },
            )
            .await
        }
    };
    let who = caller(&staff, &address);
    let outcome = if form.action == "preview" {
        state
            .cards()
            .preview(&who, id, request)
            .await
            .map(Outcome::Preview)
    } else {
        state
            .cards()
            .make(&who, id, request)
            .await
            .map(|c| Outcome::Made(c.code))
    };
    match outcome {
        Ok(Outcome::Made(code)) => {
            Ok(Redirect::to(&format!("/newsroom/stories/{id}/cards?made={code}")).into_response())
        }
        Ok(Outcome::Preview(png)) => {
            let png = base64::engine::general_purpose::STANDARD.encode(png);
            let preview = format!("data:image/png;base64,{png}");
            render(
                &state,
                &staff,
                StatusCode::OK,
                id,
                &form,
                Shown {
                    preview: Some(preview),
                    ..Shown::default()
                },
            )
            .await
        }
        Err(CardFailure::Forbidden) => Err(super::session::forbidden()),
        Err(CardFailure::NotFound) => Err(WebError::NotFound),
        Err(CardFailure::Storage(e)) => Err(WebError::Storage(e)),
        Err(e) => {
            let status = match e {
                CardFailure::Key(_) | CardFailure::Image(_) => StatusCode::INTERNAL_SERVER_ERROR,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let problem = match &e {
                CardFailure::NotPublished(_) => "কার্ড শুধু প্রকাশিত খবরের হয়।".to_owned(),
                CardFailure::Invalid {
                    field: "quote",
                    message,
                } if message.contains("not in the story") => {
                    "উদ্ধৃতিটি খবরের লেখায় নেই: কার্ডে শুধু খবরে যা আছে, তা-ই উদ্ধৃত হয়।".to_owned()
                }
                other => format!("কার্ড তৈরি হয়নি: {other}"),
            };
            render(
                &state,
                &staff,
                status,
                id,
                &form,
                Shown {
                    problem: Some(problem),
                    ..Shown::default()
                },
            )
            .await
        }
    }
}

enum Outcome {
    /// The new card's code.
    Made(String),
    Preview(Vec<u8>),
}

fn parse(form: &CardForm) -> Result<CardRequest, String> {
    let layout = Layout::parse(&form.layout).ok_or("কার্ডের মাপ বেছে নিন।")?;
    let percent = |s: &str, what: &str| -> Result<f32, String> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(0.5);
        }
        let n: f32 = s
            .parse()
            .ok()
            .filter(|n: &f32| (0.0..=100.0).contains(n))
            .ok_or_else(|| format!("{what} ০ থেকে ১০০-এর মধ্যে একটি সংখ্যা দিন।"))?;
        Ok(n / 100.0)
    };
    let media_id = match form.media_id.trim() {
        "" => None,
        s => Some(s.parse::<i64>().map_err(|_| "ছবিটি তালিকা থেকে বেছে নিন।")?),
    };
    let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    Ok(CardRequest {
        layout,
        quote: text(&form.quote),
        speaker: text(&form.speaker),
        media_id,
        focal: (
            percent(&form.focal_x, "ফোকাস (বাম থেকে)")?,
            percent(&form.focal_y, "ফোকাস (ওপর থেকে)")?,
        ),
    })
}
