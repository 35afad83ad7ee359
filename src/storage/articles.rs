//! Articles: reading published stories for the reader site, feeds and API, and writing
//! imported stories (insert or update by external id, with a change-feed row).

use std::collections::HashMap;

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::QueryBuilder;

use crate::domain::{Article, ArticleCard, Author, Section, Status, Tag};

use super::{changes, now, taxonomy, Result, StorageError, Store, Tx};

/// Which published stories a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    All,
    Section(i64),
    Tag(i64),
    Author(i64),
    /// Published in `[from, to)`, Unix seconds.
    Between(i64, i64),
}

/// A position in a newest-first list: the next page starts strictly after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub published_at: i64,
    pub id: i64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        format!("{}-{}", self.published_at, self.id)
    }

    pub fn parse(s: &str) -> Option<Cursor> {
        let (t, id) = s.split_once('-')?;
        Some(Cursor {
            published_at: t.parse().ok()?,
            id: id.parse().ok()?,
        })
    }
}

/// A story as it arrives from outside (import, wire), already cleaned and validated.
#[derive(Debug, Clone, Serialize)]
pub struct NewArticle {
    pub external_id: String,
    pub headline: String,
    pub kicker: Option<String>,
    pub summary: Option<String>,
    pub body_html: String,
    pub body_text: String,
    pub section_name: String,
    pub tags: Vec<String>,
    pub authors: Vec<String>,
    pub credit: Option<String>,
    pub signature: Option<String>,
    pub dateline: Option<String>,
    pub hero_url: Option<String>,
    pub source_name: Option<String>,
    pub source_url: Option<String>,
    /// `None`: keep the stored time, or use the import time for a new story.
    pub published_at: Option<i64>,
}

impl NewArticle {
    /// A fingerprint of everything the import sets, so re-importing the same line is a no-op.
    fn fingerprint(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        hex::encode(Sha256::digest(&json))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpsertOutcome {
    Inserted(i64),
    Updated(i64),
    Unchanged(i64),
}

/// The stored picture of a hero image (absent until its variants exist).
fn picture(json: Option<&str>) -> Option<crate::domain::article::Picture> {
    json.and_then(|j| serde_json::from_str(j).ok())
}

const CARD_COLUMNS: &str = "a.id, a.headline, a.kicker, a.summary, a.hero_url, \
     (SELECT m.picture FROM media m WHERE m.id = a.hero_media_id) AS hero_picture, \
     a.published_at, a.updated_at, s.id AS section_id, s.slug AS section_slug, \
     s.name AS section_name, s.colour AS section_colour";

#[derive(sqlx::FromRow)]
struct CardRow {
    id: i64,
    headline: String,
    kicker: Option<String>,
    summary: Option<String>,
    hero_url: Option<String>,
    hero_picture: Option<String>,
    published_at: Option<i64>,
    updated_at: i64,
    section_id: i64,
    section_slug: String,
    section_name: String,
    section_colour: String,
}

impl From<CardRow> for ArticleCard {
    fn from(r: CardRow) -> ArticleCard {
        ArticleCard {
            id: r.id,
            headline: r.headline,
            kicker: r.kicker,
            summary: r.summary,
            section: Section {
                id: r.section_id,
                slug: r.section_slug,
                name: r.section_name,
                colour: r.section_colour,
            },
            hero_url: r.hero_url,
            hero_picture: picture(r.hero_picture.as_deref()),
            published_at: r.published_at.unwrap_or(r.updated_at),
            updated_at: r.updated_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct ArticleRow {
    id: i64,
    external_id: Option<String>,
    headline: String,
    kicker: Option<String>,
    summary: Option<String>,
    body_html: String,
    body_text: String,
    credit: Option<String>,
    signature: Option<String>,
    dateline: Option<String>,
    hero_url: Option<String>,
    hero_picture: Option<String>,
    hero_caption: Option<String>,
    hero_credit: Option<String>,
    source_name: Option<String>,
    source_url: Option<String>,
    status: String,
    published_at: Option<i64>,
    updated_at: i64,
    created_at: i64,
    section_id: i64,
    section_slug: String,
    section_name: String,
    section_colour: String,
}

impl Store {
    /// A published story with its section, tags and authors; `None` for any other status.
    pub async fn published_article(&self, id: i64) -> Result<Option<Article>> {
        Ok(self.published_articles(&[id]).await?.pop())
    }

    /// Several published stories in full, in the order given (for feeds and the API); ids
    /// that are not published are left out. Three queries, whatever the number of stories.
    pub async fn published_articles(&self, ids: &[i64]) -> Result<Vec<Article>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = QueryBuilder::new(
            "SELECT a.id, a.external_id, a.headline, a.kicker, a.summary, a.body_html, a.body_text, \
             a.credit, a.signature, a.dateline, a.hero_url, a.hero_caption, a.hero_credit, \
             (SELECT m.picture FROM media m WHERE m.id = a.hero_media_id) AS hero_picture, \
             a.source_name, a.source_url, a.status, a.published_at, a.updated_at, a.created_at, \
             s.id AS section_id, s.slug AS section_slug, s.name AS section_name, s.colour AS section_colour \
             FROM articles a JOIN sections s ON s.id = a.section_id \
             WHERE a.status = 'published' AND a.id IN ",
        );
        push_id_list(&mut q, ids);
        let rows: Vec<ArticleRow> = q.build_query_as().fetch_all(&self.pool).await?;

        let mut tags = self
            .labels_by_article(
                "SELECT at.article_id, t.id, t.slug, t.name FROM article_tags at \
                 JOIN tags t ON t.id = at.tag_id WHERE at.article_id IN ",
                "at",
                ids,
            )
            .await?;
        let mut authors = self
            .labels_by_article(
                "SELECT aa.article_id, u.id, u.slug, u.name FROM article_authors aa \
                 JOIN authors u ON u.id = aa.author_id WHERE aa.article_id IN ",
                "aa",
                ids,
            )
            .await?;

        let mut by_id: HashMap<i64, Article> = HashMap::with_capacity(rows.len());
        for r in rows {
            let status = Status::parse(&r.status).ok_or_else(|| {
                StorageError::Corrupt(format!("article {} has status {:?}", r.id, r.status))
            })?;
            by_id.insert(
                r.id,
                Article {
                    id: r.id,
                    external_id: r.external_id,
                    headline: r.headline,
                    kicker: r.kicker,
                    summary: r.summary,
                    body_html: r.body_html,
                    body_text: r.body_text,
                    section: Section {
                        id: r.section_id,
                        slug: r.section_slug,
                        name: r.section_name,
                        colour: r.section_colour,
                    },
                    tags: tags
                        .remove(&r.id)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(id, slug, name)| Tag { id, slug, name })
                        .collect(),
                    authors: authors
                        .remove(&r.id)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(id, slug, name)| Author { id, slug, name })
                        .collect(),
                    credit: r.credit,
                    signature: r.signature,
                    dateline: r.dateline,
                    hero_url: r.hero_url,
                    hero_picture: picture(r.hero_picture.as_deref()),
                    hero_caption: r.hero_caption,
                    hero_credit: r.hero_credit,
                    source_name: r.source_name,
                    source_url: r.source_url,
                    status,
                    published_at: r.published_at,
                    updated_at: r.updated_at,
                    created_at: r.created_at,
                },
            );
        }
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    /// Published stories, newest first, `limit` of them after `after` (keyset pagination:
    /// cheap at any depth of the archive).
    pub async fn list_published(
        &self,
        filter: Filter,
        after: Option<Cursor>,
        limit: i64,
    ) -> Result<Vec<ArticleCard>> {
        let mut q = QueryBuilder::new(format!("SELECT {CARD_COLUMNS} FROM articles a "));
        q.push("JOIN sections s ON s.id = a.section_id ");
        push_filter(&mut q, filter);
        if let Some(c) = after {
            q.push(" AND (a.published_at < ")
                .push_bind(c.published_at)
                .push(" OR (a.published_at = ")
                .push_bind(c.published_at)
                .push(" AND a.id < ")
                .push_bind(c.id)
                .push("))");
        }
        q.push(" ORDER BY a.published_at DESC, a.id DESC LIMIT ")
            .push_bind(limit);
        let rows: Vec<CardRow> = q.build_query_as().fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(ArticleCard::from).collect())
    }

    /// Cards of published stories, in the order given; ids not published are left out.
    pub async fn published_cards(&self, ids: &[i64]) -> Result<Vec<ArticleCard>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = QueryBuilder::new(format!("SELECT {CARD_COLUMNS} FROM articles a "));
        q.push("JOIN sections s ON s.id = a.section_id WHERE a.status = 'published' AND a.id IN ");
        push_id_list(&mut q, ids);
        let rows: Vec<CardRow> = q.build_query_as().fetch_all(&self.pool).await?;
        let mut cards: Vec<ArticleCard> = rows.into_iter().map(ArticleCard::from).collect();
        cards.sort_by_key(|c| ids.iter().position(|id| *id == c.id));
        Ok(cards)
    }

    /// The API's page-numbered listing: ids of published stories, newest first.
    pub async fn published_ids_page(
        &self,
        filter: Filter,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<i64>> {
        let mut q = QueryBuilder::new("SELECT a.id FROM articles a ");
        push_filter(&mut q, filter);
        q.push(" ORDER BY a.published_at DESC, a.id DESC LIMIT ")
            .push_bind(limit)
            .push(" OFFSET ")
            .push_bind(offset);
        Ok(q.build_query_scalar().fetch_all(&self.pool).await?)
    }

    pub async fn count_published(&self, filter: Filter) -> Result<i64> {
        let mut q = QueryBuilder::new("SELECT COUNT(*) FROM articles a ");
        push_filter(&mut q, filter);
        Ok(q.build_query_scalar().fetch_one(&self.pool).await?)
    }

    pub async fn count_articles(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM articles")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Article ids in `(after_id, up_to_id]` with their last-modified time, for one sitemap file.
    pub async fn sitemap_chunk(
        &self,
        after_id: i64,
        up_to_id: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT a.id, s.slug, a.updated_at FROM articles a JOIN sections s ON s.id = a.section_id \
             WHERE a.status = 'published' AND a.id > $1 AND a.id <= $2 ORDER BY a.id LIMIT $3",
        )
        .bind(after_id)
        .bind(up_to_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn max_article_id(&self) -> Result<i64> {
        Ok(sqlx::query_scalar::<_, Option<i64>>(
            "SELECT MAX(id) FROM articles WHERE status = 'published'",
        )
        .fetch_one(&self.pool)
        .await?
        .unwrap_or(0))
    }

    /// The article an old path points to, if one was recorded.
    pub async fn redirect_for(&self, path: &str) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT article_id FROM redirects WHERE from_path = $1")
                .bind(path)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Inserts the story, or updates the one with the same external id; a story whose content
    /// is unchanged is left alone (no new change-feed row, no new `updated_at`).
    pub async fn upsert_external(&self, tx: &mut Tx<'_>, a: &NewArticle) -> Result<UpsertOutcome> {
        let fingerprint = a.fingerprint();
        let existing: Option<(i64, Option<String>)> =
            sqlx::query_as("SELECT id, import_hash FROM articles WHERE external_id = $1")
                .bind(&a.external_id)
                .fetch_optional(&mut **tx)
                .await?;
        if let Some((id, Some(hash))) = &existing {
            if *hash == fingerprint {
                return Ok(UpsertOutcome::Unchanged(*id));
            }
        }
        let section_id = taxonomy::section_for_name(tx, &a.section_name).await?;
        let t = now();
        let (id, outcome) = match existing {
            None => {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO articles (external_id, headline, kicker, summary, body_html, body_text, \
                     section_id, credit, signature, dateline, hero_url, source_name, source_url, status, \
                     published_at, updated_at, created_at, import_hash) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'published', $14, $17, $15, $16) \
                     RETURNING id",
                )
                .bind(&a.external_id)
                .bind(&a.headline)
                .bind(&a.kicker)
                .bind(&a.summary)
                .bind(&a.body_html)
                .bind(&a.body_text)
                .bind(section_id)
                .bind(&a.credit)
                .bind(&a.signature)
                .bind(&a.dateline)
                .bind(&a.hero_url)
                .bind(&a.source_name)
                .bind(&a.source_url)
                .bind(a.published_at.unwrap_or(t))
                .bind(t)
                .bind(&fingerprint)
                .bind(a.published_at.unwrap_or(t).min(t))
                .fetch_one(&mut **tx)
                .await?;
                (id, UpsertOutcome::Inserted(id))
            }
            Some((id, _)) => {
                sqlx::query(
                    "UPDATE articles SET headline = $2, kicker = $3, summary = $4, body_html = $5, \
                     body_text = $6, section_id = $7, credit = $8, signature = $9, dateline = $10, \
                     hero_url = $11, source_name = $12, source_url = $13, \
                     published_at = COALESCE($14, published_at), updated_at = $15, import_hash = $16, \
                     version = version + 1 WHERE id = $1",
                )
                .bind(id)
                .bind(&a.headline)
                .bind(&a.kicker)
                .bind(&a.summary)
                .bind(&a.body_html)
                .bind(&a.body_text)
                .bind(section_id)
                .bind(&a.credit)
                .bind(&a.signature)
                .bind(&a.dateline)
                .bind(&a.hero_url)
                .bind(&a.source_name)
                .bind(&a.source_url)
                .bind(a.published_at)
                .bind(t)
                .bind(&fingerprint)
                .execute(&mut **tx)
                .await?;
                (id, UpsertOutcome::Updated(id))
            }
        };
        taxonomy::set_labels(tx, id, &a.tags, &a.authors).await?;
        let kind = match outcome {
            UpsertOutcome::Inserted(_) => "article.published",
            _ => "article.updated",
        };
        changes::append(tx, kind, "article", id).await?;
        Ok(outcome)
    }
}

impl Store {
    /// `(id, slug, name)` of the tags or authors of each story in `ids`, in byline order.
    /// `select` ends in `IN `; `link` is the alias of the link table, which has `position`.
    async fn labels_by_article(
        &self,
        select: &str,
        link: &str,
        ids: &[i64],
    ) -> Result<HashMap<i64, Vec<(i64, String, String)>>> {
        let mut q = QueryBuilder::new(select);
        push_id_list(&mut q, ids);
        q.push(format!(" ORDER BY {link}.article_id, {link}.position"));
        let mut out: HashMap<i64, Vec<(i64, String, String)>> = HashMap::new();
        for (article, id, slug, name) in q
            .build_query_as::<(i64, i64, String, String)>()
            .fetch_all(&self.pool)
            .await?
        {
            out.entry(article).or_default().push((id, slug, name));
        }
        Ok(out)
    }
}

/// Appends `(id, id, …)`.
fn push_id_list(q: &mut QueryBuilder<'_, sqlx::Sqlite>, ids: &[i64]) {
    q.push("(");
    let mut list = q.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    list.push_unseparated(")");
}

/// Appends the joins and `WHERE` clause that select the published stories in `filter`.
fn push_filter(q: &mut QueryBuilder<'_, sqlx::Sqlite>, filter: Filter) {
    match filter {
        Filter::Tag(_) => {
            q.push("JOIN article_tags f ON f.article_id = a.id ");
        }
        Filter::Author(_) => {
            q.push("JOIN article_authors f ON f.article_id = a.id ");
        }
        _ => {}
    }
    q.push("WHERE a.status = 'published' ");
    match filter {
        Filter::All => {}
        Filter::Section(id) => {
            q.push(" AND a.section_id = ").push_bind(id);
        }
        Filter::Tag(id) | Filter::Author(id) => {
            let col = if matches!(filter, Filter::Tag(_)) {
                "f.tag_id"
            } else {
                "f.author_id"
            };
            q.push(format!(" AND {col} = ")).push_bind(id);
        }
        Filter::Between(from, to) => {
            q.push(" AND a.published_at >= ")
                .push_bind(from)
                .push(" AND a.published_at < ")
                .push_bind(to);
        }
    }
}

impl Store {
    /// Ids of published stories after `after_id`, in id order (for rebuilding derived data).
    pub async fn published_ids_after(&self, after_id: i64, limit: i64) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM articles WHERE status = 'published' AND id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Moves a story to `status` (publishing stamps the time if it has none) and records the
    /// change in the feed, in one transaction. Returns false if there is no such story.
    pub async fn set_status(&self, id: i64, status: Status) -> Result<bool> {
        let mut tx = self.begin().await?;
        let t = now();
        let done = sqlx::query(
            "UPDATE articles SET status = $2, updated_at = $3, version = version + 1, \
             published_at = CASE WHEN $2 = 'published' AND published_at IS NULL THEN $3 ELSE published_at END \
             WHERE id = $1",
        )
        .bind(id)
        .bind(status.as_str())
        .bind(t)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if done {
            changes::append(
                &mut tx,
                &format!("article.{}", status.as_str()),
                "article",
                id,
            )
            .await?;
        }
        self.commit(tx).await?;
        Ok(done)
    }
}
