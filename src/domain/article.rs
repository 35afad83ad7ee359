//! The article and what it belongs to. These are the values the rest of Khobor passes around;
//! storage builds them from rows, the web and feeds read them.

use serde::{Deserialize, Serialize};

/// Where a story is in its life. The transitions themselves are the newsroom's business; the
/// reader site shows only `Published`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Draft,
    Review,
    Scheduled,
    Published,
    Unpublished,
    Spiked,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Review => "review",
            Status::Scheduled => "scheduled",
            Status::Published => "published",
            Status::Unpublished => "unpublished",
            Status::Spiked => "spiked",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "draft" => Status::Draft,
            "review" => Status::Review,
            "scheduled" => Status::Scheduled,
            "published" => Status::Published,
            "unpublished" => Status::Unpublished,
            "spiked" => Status::Spiked,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub colour: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tag {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Author {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

/// A library image as reader pages show it: `srcset` lists of its WebP and JPEG variants
/// ("/media/…-320.webp 320w, …") and a JPEG to fall back on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Picture {
    pub src: String,
    pub webp: String,
    pub jpeg: String,
    pub width: i64,
    pub height: i64,
    /// The library's alt text for the image.
    #[serde(default)]
    pub alt: String,
}

impl Picture {
    /// The picture with every image address as readers fetch it (see
    /// [`crate::domain::urls::media_public`]): the stored `/media/` paths unchanged, or under
    /// the media base URL.
    pub fn for_readers(&self, media_base: Option<&str>) -> Picture {
        let Some(base) = media_base else {
            return self.clone();
        };
        let srcset = |list: &str| {
            list.split(", ")
                .filter(|entry| !entry.is_empty())
                .map(|entry| match entry.split_once(' ') {
                    Some((url, width)) => {
                        format!("{} {width}", super::urls::media_public(Some(base), url))
                    }
                    None => super::urls::media_public(Some(base), entry),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        Picture {
            src: super::urls::media_public(Some(base), &self.src),
            webp: srcset(&self.webp),
            jpeg: srcset(&self.jpeg),
            ..self.clone()
        }
    }
}

/// A whole story, as the article page, feeds and API need it.
#[derive(Debug, Clone, Serialize)]
pub struct Article {
    pub id: i64,
    pub external_id: Option<String>,
    pub headline: String,
    pub kicker: Option<String>,
    pub summary: Option<String>,
    pub body_html: String,
    pub body_text: String,
    pub section: Section,
    pub tags: Vec<Tag>,
    pub authors: Vec<Author>,
    pub credit: Option<String>,
    pub signature: Option<String>,
    pub dateline: Option<String>,
    pub hero_url: Option<String>,
    pub hero_picture: Option<Picture>,
    pub hero_caption: Option<String>,
    pub hero_credit: Option<String>,
    pub source_name: Option<String>,
    pub source_url: Option<String>,
    pub status: Status,
    /// Unix seconds, UTC.
    pub published_at: Option<i64>,
    pub updated_at: i64,
    pub created_at: i64,
}

/// Characters of a story's text that decide its related stories: news is written with the
/// essentials first.
pub const LEAD_CHARS: usize = 600;

/// What decides a story's related stories: its headline and the opening [`LEAD_CHARS`]
/// characters of its text.
#[derive(Debug, Clone)]
pub struct StoryLead {
    pub id: i64,
    pub headline: String,
    pub lead: String,
}

impl StoryLead {
    /// The lead of `article`.
    pub fn of(article: &Article) -> StoryLead {
        StoryLead {
            id: article.id,
            headline: article.headline.clone(),
            lead: lead_of(&article.body_text).to_owned(),
        }
    }
}

/// The opening [`LEAD_CHARS`] characters of `text` (all of it if shorter).
pub fn lead_of(text: &str) -> &str {
    match text.char_indices().nth(LEAD_CHARS) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

/// What a list shows of a story: enough for a headline, thumbnail and date.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleCard {
    pub id: i64,
    pub headline: String,
    pub kicker: Option<String>,
    pub summary: Option<String>,
    pub section: Section,
    pub hero_url: Option<String>,
    pub hero_picture: Option<Picture>,
    pub published_at: i64,
    pub updated_at: i64,
}

impl Article {
    /// What a list shows of this story.
    pub fn card(&self) -> ArticleCard {
        ArticleCard {
            id: self.id,
            headline: self.headline.clone(),
            kicker: self.kicker.clone(),
            summary: self.summary.clone(),
            section: self.section.clone(),
            hero_url: self.hero_url.clone(),
            hero_picture: self.hero_picture.clone(),
            published_at: self.published_at.unwrap_or(self.updated_at),
            updated_at: self.updated_at,
        }
    }

    /// The summary if the desk wrote one, otherwise the opening of the body.
    pub fn description(&self) -> String {
        match &self.summary {
            Some(s) if !s.trim().is_empty() => s.clone(),
            _ => super::text::excerpt(&self.body_text, 160),
        }
    }
}
