//! Articles: reading published stories for the reader site, feeds and API, and writing
//! imported stories (insert or update by external id, with a change-feed row).

use std::collections::HashMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::domain::article::LEAD_CHARS;
use crate::domain::{Article, ArticleCard, Author, Section, Status, StoryLead, Tag};

use super::read::{self, Row};
use super::{changes, now, taxonomy, Result, Store, Tx};

/// Which published stories a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Filter {
    All,
    Section(i64),
    Tag(i64),
    Author(i64),
    /// About a place or anywhere below it.
    Place(i64),
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
    /// Paths of the places the story is about (`dhaka/gazipur`); left out of the serialised
    /// form when empty, so fingerprints of stories stored before places are unchanged.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub places: Vec<String>,
    pub authors: Vec<String>,
    pub credit: Option<String>,
    pub signature: Option<String>,
    pub dateline: Option<String>,
    pub hero_url: Option<String>,
    pub source_name: Option<String>,
    pub source_url: Option<String>,
    /// `None`: keep the stored time, or use the import time for a new published story (a
    /// draft or a story in review keeps none; a scheduled story needs its planned time).
    pub published_at: Option<i64>,
    /// Published for feeds and JSONL; the WordPress import also brings drafts, stories in
    /// review and scheduled stories into the newsroom. Left out of the serialised form so
    /// that fingerprints of published stories stored before this field are unchanged.
    #[serde(skip)]
    pub status: Status,
    /// What an export brings so that its round trip is exact (the story's number, the
    /// section's slug, label slugs, library images); empty for every other import, and then
    /// left out of the fingerprint, so fingerprints stored before it are unchanged.
    #[serde(skip_serializing_if = "Exact::is_empty")]
    pub exact: Exact,
}

/// The parts of an exported story that other imports leave to the store (see
/// `import::export`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Exact {
    /// The story's number (its URL is `/{section}/{id}`); a new story gets it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// The section by slug: found by it, or made with it and `section_name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section_slug: Option<String>,
    /// The slug of each tag / author in order (`None`: made from the name, as ever).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tag_slugs: Vec<Option<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub author_slugs: Vec<Option<String>>,
    /// Library images the story shows (featured and in its body), stored before the story.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<LibraryImage>,
    /// The featured image: a library image (by its site path) with the story's caption and
    /// credit for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub featured: Option<Featured>,
}

impl Exact {
    pub fn is_empty(&self) -> bool {
        *self == Exact::default()
    }
}

/// A library image named by its site path `/media/{name}`, with the library's words for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LibraryImage {
    pub path: String,
    pub alt: String,
    pub caption: Option<String>,
    pub credit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Featured {
    pub path: String,
    pub caption: Option<String>,
    pub credit: Option<String>,
}

impl NewArticle {
    /// A fingerprint of everything the import sets, so re-importing the same line is a no-op.
    pub fn fingerprint(&self) -> String {
        let mut json = serde_json::to_vec(self).unwrap_or_default();
        if self.status != Status::Published {
            json.extend_from_slice(self.status.as_str().as_bytes());
        }
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

/// Reads a card from a row selected with [`CARD_COLUMNS`]. Columns are read by position:
/// looking a name up compares it with every column's name, per row.
fn card<R: Row>(r: &R) -> Result<ArticleCard, R::Error> {
    let updated_at: i64 = r.col(7)?;
    Ok(ArticleCard {
        id: r.col(0)?,
        headline: r.col(1)?,
        kicker: r.col(2)?,
        summary: r.col(3)?,
        hero_url: r.col(4)?,
        hero_picture: picture(r.col::<Option<String>>(5)?.as_deref()),
        published_at: r.col::<Option<i64>>(6)?.unwrap_or(updated_at),
        updated_at,
        section: section(r, 8)?,
    })
}

/// The story's section, from the four `section_*` columns starting at `at`.
fn section<R: Row>(r: &R, at: usize) -> Result<Section, R::Error> {
    Ok(Section {
        id: r.col(at)?,
        slug: r.col(at + 1)?,
        name: r.col(at + 2)?,
        colour: r.col(at + 3)?,
    })
}

const ARTICLE_COLUMNS: &str = "a.id, a.external_id, a.headline, a.kicker, a.summary, b.body_html, \
     b.body_text, a.credit, a.signature, a.dateline, a.hero_url, a.hero_caption, a.hero_credit, \
     (SELECT m.picture FROM media m WHERE m.id = a.hero_media_id) AS hero_picture, \
     a.source_name, a.source_url, a.status, a.published_at, a.updated_at, a.created_at, \
     s.id AS section_id, s.slug AS section_slug, s.name AS section_name, s.colour AS section_colour";

/// Reads a story (without its tags and authors) from a row selected with [`ARTICLE_COLUMNS`],
/// by position.
fn article<R: Row>(r: &R) -> Result<Article, R::Error> {
    let id: i64 = r.col(0)?;
    let status: String = r.col(16)?;
    let Some(status) = Status::parse(&status) else {
        return Err(r.invalid(16, format!("article {id} has status {status:?}")));
    };
    Ok(Article {
        id,
        external_id: r.col(1)?,
        headline: r.col(2)?,
        kicker: r.col(3)?,
        summary: r.col(4)?,
        body_html: r.col(5)?,
        body_text: r.col(6)?,
        credit: r.col(7)?,
        signature: r.col(8)?,
        dateline: r.col(9)?,
        hero_url: r.col(10)?,
        hero_caption: r.col(11)?,
        hero_credit: r.col(12)?,
        hero_picture: picture(r.col::<Option<String>>(13)?.as_deref()),
        source_name: r.col(14)?,
        source_url: r.col(15)?,
        status,
        published_at: r.col(17)?,
        updated_at: r.col(18)?,
        created_at: r.col(19)?,
        section: section(r, 20)?,
        tags: Vec::new(),
        authors: Vec::new(),
    })
}

impl Store {
    /// A published story with its section, tags and authors; `None` for any other status.
    pub async fn published_article(&self, id: i64) -> Result<Option<Article>> {
        Ok(self.published_articles(&[id]).await?.pop())
    }

    /// Several published stories in full, in the order given (for feeds and the API); ids
    /// that are not published are left out. One snapshot and a fixed number of statements,
    /// whatever the number of stories: three in one read transaction on SQLite (in process,
    /// each one is cheap), one on PostgreSQL (each one is a round trip).
    pub async fn published_articles(&self, ids: &[i64]) -> Result<Vec<Article>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = read::placeholders(ids.len());
        let Some(readers) = &self.readers else {
            // PostgreSQL: one statement, each story's tags and authors aggregated beside it,
            // so one round trip (and one snapshot) whatever the number of stories.
            let sql = read::numbered(&format!(
                "SELECT {ARTICLE_COLUMNS}, \
                 (SELECT json_agg(json_build_array(t.id, t.slug, t.name) ORDER BY at.position)::text \
                  FROM article_tags at JOIN tags t ON t.id = at.tag_id WHERE at.article_id = a.id), \
                 (SELECT json_agg(json_build_array(u.id, u.slug, u.name) ORDER BY aa.position)::text \
                  FROM article_authors aa JOIN authors u ON u.id = aa.author_id WHERE aa.article_id = a.id) \
                 FROM articles a JOIN sections s ON s.id = a.section_id \
                 JOIN article_bodies b ON b.article_id = a.id \
                 WHERE a.status = 'published' AND a.id IN ({list})"
            ));
            let stories = self
                .read_all(&sql, ids, |r| article_with_labels(r), article_with_labels)
                .await?;
            let mut by_id: HashMap<i64, Article> = stories.into_iter().map(|a| (a.id, a)).collect();
            return Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect());
        };
        let stories = format!(
            "SELECT {ARTICLE_COLUMNS} FROM articles a JOIN sections s ON s.id = a.section_id \
             JOIN article_bodies b ON b.article_id = a.id \
             WHERE {} AND a.id IN ({list})",
            self.published_by_id()
        );
        let tags = format!(
            "SELECT at.article_id, t.id, t.slug, t.name FROM article_tags at \
             JOIN tags t ON t.id = at.tag_id WHERE at.article_id IN ({list}) \
             ORDER BY at.article_id, at.position"
        );
        let authors = format!(
            "SELECT aa.article_id, u.id, u.slug, u.name FROM article_authors aa \
             JOIN authors u ON u.id = aa.author_id WHERE aa.article_id IN ({list}) \
             ORDER BY aa.article_id, aa.position"
        );
        // SQLite, in process: three reads in one read transaction (one snapshot).
        let params = rusqlite::params_from_iter(ids);
        let (stories, tags, authors) = readers.with(|c| {
            let tx = c.unchecked_transaction()?;
            let stories = tx
                .prepare_cached(&stories)?
                .query_map(params.clone(), |r| article(r))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let tags = tx
                .prepare_cached(&tags)?
                .query_map(params.clone(), |r| label(r))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let authors = tx
                .prepare_cached(&authors)?
                .query_map(params.clone(), |r| label(r))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            tx.finish()?;
            Ok((stories, tags, authors))
        })?;
        let mut by_id: HashMap<i64, Article> = stories.into_iter().map(|a| (a.id, a)).collect();
        for (article, id, slug, name) in tags {
            if let Some(a) = by_id.get_mut(&article) {
                a.tags.push(Tag { id, slug, name });
            }
        }
        for (article, id, slug, name) in authors {
            if let Some(a) = by_id.get_mut(&article) {
                a.authors.push(Author { id, slug, name });
            }
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
        let (filter_sql, mut params) = filter_sql(filter);
        let mut sql = format!(
            "SELECT {CARD_COLUMNS} FROM articles a JOIN sections s ON s.id = a.section_id {filter_sql}"
        );
        if let Some(c) = after {
            sql.push_str(" AND (a.published_at < ? OR (a.published_at = ? AND a.id < ?))");
            params.extend([c.published_at, c.published_at, c.id]);
        }
        sql.push_str(" ORDER BY a.published_at DESC, a.id DESC LIMIT ?");
        params.push(limit);
        self.read_all(&read::numbered(&sql), &params, |r| card(r), card)
            .await
    }

    /// Cards of published stories, in the order given; ids not published are left out.
    pub async fn published_cards(&self, ids: &[i64]) -> Result<Vec<ArticleCard>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = read::numbered(&format!(
            "SELECT {CARD_COLUMNS} FROM articles a JOIN sections s ON s.id = a.section_id \
             WHERE {} AND a.id IN ({})",
            self.published_by_id(),
            read::placeholders(ids.len())
        ));
        let mut cards: Vec<ArticleCard> = self.read_all(&sql, ids, |r| card(r), card).await?;
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
        let (filter_sql, mut params) = filter_sql(filter);
        let sql = format!(
            "SELECT a.id FROM articles a {filter_sql} \
             ORDER BY a.published_at DESC, a.id DESC LIMIT ? OFFSET ?"
        );
        params.extend([limit, offset]);
        self.read_column(&read::numbered(&sql), &params).await
    }

    pub async fn count_published(&self, filter: Filter) -> Result<i64> {
        let (filter_sql, params) = filter_sql(filter);
        let sql = format!("SELECT COUNT(*) FROM articles a {filter_sql}");
        let counts = self.read_column(&read::numbered(&sql), &params).await?;
        Ok(counts.into_iter().next().unwrap_or(0))
    }

    /// The related stories worked out for story `id` (best first; some may no longer be
    /// published), or `None` if none were.
    pub async fn related_ids(&self, id: i64) -> Result<Option<Vec<i64>>> {
        let list: Option<String> = self
            .read_column(
                "SELECT related FROM article_related WHERE article_id = $1",
                &[id],
            )
            .await?
            .into_iter()
            .next();
        Ok(list.map(|l| l.split(',').filter_map(|n| n.parse().ok()).collect()))
    }

    /// Cards of the published ones among the related stories kept for story `id`, best
    /// first; `None` if none were worked out for it. One round trip on PostgreSQL.
    pub async fn related_cards(&self, id: i64) -> Result<Option<Vec<ArticleCard>>> {
        if self.readers.is_some() {
            // SQLite, in process: two cheap reads.
            return match self.related_ids(id).await? {
                Some(ids) => Ok(Some(self.published_cards(&ids).await?)),
                None => Ok(None),
            };
        }
        // PostgreSQL: every row carries the list; a story that is gone leaves a row of
        // NULLs.
        let sql = format!(
            "SELECT {CARD_COLUMNS}, r.related FROM article_related r \
             LEFT JOIN LATERAL unnest(string_to_array(r.related, ',')::bigint[]) \
             WITH ORDINALITY AS x(id, n) ON true \
             LEFT JOIN articles a ON a.id = x.id AND a.status = 'published' \
             LEFT JOIN sections s ON s.id = a.section_id \
             WHERE r.article_id = $1 ORDER BY x.n"
        );
        let rows = self
            .read_all(&sql, &[id], |r| related_row(r), related_row)
            .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        Ok(Some(rows.into_iter().flatten().collect()))
    }

    /// `a.status = 'published'` for a statement that picks stories by id: on SQLite written
    /// `+a.status`, so that the status cannot pick the index. Without statistics SQLite
    /// otherwise walks `articles_by_update` over every published story instead of looking the
    /// ids up (22 ms at 100,000 stories against 0.3 ms; a fresh import has no statistics).
    /// PostgreSQL has no unary plus for text and plans by its own statistics.
    fn published_by_id(&self) -> &'static str {
        if self.readers.is_some() {
            "+a.status = 'published'"
        } else {
            "a.status = 'published'"
        }
    }

    /// The headline and lead of each published story of `ids` (in their order), all that
    /// working out related stories reads: not a whole story each.
    pub async fn published_leads(&self, ids: &[i64]) -> Result<Vec<StoryLead>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = read::numbered(&format!(
            "SELECT a.id, a.headline, substr(b.body_text, 1, {LEAD_CHARS}) FROM articles a \
             JOIN article_bodies b ON b.article_id = a.id \
             WHERE {} AND a.id IN ({})",
            self.published_by_id(),
            read::placeholders(ids.len())
        ));
        fn lead<R: Row>(r: &R) -> Result<StoryLead, R::Error> {
            Ok(StoryLead {
                id: r.col(0)?,
                headline: r.col(1)?,
                lead: r.col(2)?,
            })
        }
        let leads = self.read_all(&sql, ids, |r| lead(r), lead).await?;
        let mut by_id: HashMap<i64, StoryLead> = leads.into_iter().map(|l| (l.id, l)).collect();
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    /// Stores the related stories worked out for each story (replacing earlier ones), in one
    /// transaction. Derived data: no change-feed entry.
    pub async fn set_related(&self, lists: &[(i64, Vec<i64>)]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let t = now();
        for (id, related) in lists {
            let related: Vec<String> = related.iter().map(i64::to_string).collect();
            sqlx::query(
                "INSERT INTO article_related (article_id, related, computed_at) \
                 SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM articles WHERE id = $1) \
                 ON CONFLICT (article_id) DO UPDATE SET related = excluded.related, \
                 computed_at = excluded.computed_at",
            )
            .bind(id)
            .bind(related.join(","))
            .bind(t)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
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

    /// The article an old path points to, if one was recorded: under the path as it came,
    /// or under its normalised key (`domain::urls::redirect_key`, which imports store).
    pub async fn redirect_for(&self, path: &str, query: Option<&str>) -> Result<Option<i64>> {
        let key = crate::domain::urls::redirect_key(path, query);
        Ok(sqlx::query_scalar(
            "SELECT article_id FROM redirects WHERE from_path = $1 OR from_path = $2 \
             ORDER BY CASE WHEN from_path = $1 THEN 0 ELSE 1 END LIMIT 1",
        )
        .bind(path)
        .bind(&key)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The page (not a story) an old path points to, if an import recorded one.
    pub async fn path_redirect_for(
        &self,
        path: &str,
        query: Option<&str>,
    ) -> Result<Option<String>> {
        let key = crate::domain::urls::redirect_key(path, query);
        Ok(
            sqlx::query_scalar("SELECT to_path FROM path_redirects WHERE from_path = $1")
                .bind(&key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The id of the story imported as `external_id`, if there is one.
    pub async fn article_id_by_external(
        &self,
        tx: &mut Tx<'_>,
        external_id: &str,
    ) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM articles WHERE external_id = $1")
                .bind(external_id)
                .fetch_optional(&mut **tx)
                .await?,
        )
    }

    /// Records that the old path `from` (any form: it is stored under its normalised key)
    /// now answers 301 to story `article_id`; a path recorded before is pointed here.
    pub async fn set_redirect(&self, tx: &mut Tx<'_>, from: &str, article_id: i64) -> Result<()> {
        let (path, query) = match from.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (from, None),
        };
        sqlx::query(
            "INSERT INTO redirects (from_path, article_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (from_path) DO UPDATE SET article_id = excluded.article_id",
        )
        .bind(crate::domain::urls::redirect_key(path, query))
        .bind(article_id)
        .bind(now())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Records that the old path `from` answers 301 to the section, tag or author page of
    /// the one named `name` (`kind`: `section`, `tag` or `author`); false if there is none
    /// by that name (a tag no imported story carries, say).
    pub async fn set_label_redirect(
        &self,
        tx: &mut Tx<'_>,
        from: &str,
        kind: &str,
        name: &str,
    ) -> Result<bool> {
        let table = match kind {
            "section" => "sections",
            "tag" => "tags",
            _ => "authors",
        };
        // `table` is one of our own constants, never input.
        let slug: Option<String> =
            sqlx::query_scalar(&format!("SELECT slug FROM {table} WHERE name = $1"))
                .bind(name)
                .fetch_optional(&mut **tx)
                .await?;
        let Some(slug) = slug else {
            return Ok(false);
        };
        let to = match kind {
            "section" => crate::domain::urls::section(&slug),
            "tag" => crate::domain::urls::tag(&slug),
            _ => crate::domain::urls::author(&slug),
        };
        let key = crate::domain::urls::redirect_key(from, None);
        if key == crate::domain::urls::redirect_key(&to, None) {
            return Ok(true);
        }
        sqlx::query(
            "INSERT INTO path_redirects (from_path, to_path, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (from_path) DO UPDATE SET to_path = excluded.to_path",
        )
        .bind(key)
        .bind(to)
        .bind(now())
        .execute(&mut **tx)
        .await?;
        Ok(true)
    }

    /// Makes media `media_id` the hero image of the story imported as `external_id` (with a
    /// change-feed row); false if there is no such story or it already has that image.
    pub async fn set_hero_media(&self, external_id: &str, media_id: i64) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "UPDATE articles SET hero_media_id = $2, updated_at = $3, version = version + 1 \
             WHERE external_id = $1 AND (hero_media_id IS NULL OR hero_media_id <> $2) RETURNING id",
        )
        .bind(external_id)
        .bind(media_id)
        .bind(now())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(id) = id {
            changes::append(&mut tx, "article.updated", "article", id).await?;
        }
        self.commit(tx).await?;
        Ok(id.is_some())
    }

    /// Whether story number `id` is held by a story other than the one imported as
    /// `external_id` (an export imported where that number is taken).
    pub async fn number_taken(&self, tx: &mut Tx<'_>, id: i64, external_id: &str) -> Result<bool> {
        Ok(sqlx::query_scalar::<_, i64>(
            "SELECT id FROM articles WHERE id = $1 AND (external_id IS NULL OR external_id <> $2)",
        )
        .bind(id)
        .bind(external_id)
        .fetch_optional(&mut **tx)
        .await?
        .is_some())
    }

    /// The site path of each story's featured library image, for the stories given that have
    /// one.
    pub async fn hero_media_paths(&self, ids: &[i64]) -> Result<Vec<(i64, String)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = read::numbered(&format!(
            "SELECT a.id, m.path FROM articles a JOIN media m ON m.id = a.hero_media_id \
             WHERE a.id IN ({})",
            read::placeholders(ids.len())
        ));
        let mut q = sqlx::query_as(&sql);
        for id in ids {
            q = q.bind(*id);
        }
        Ok(q.fetch_all(&self.pool).await?)
    }

    /// Inserts the story, or updates the one with the same external id; a story whose content
    /// is unchanged is left alone (no new change-feed row, no new `updated_at`).
    pub async fn upsert_external(&self, tx: &mut Tx<'_>, a: &NewArticle) -> Result<UpsertOutcome> {
        let fingerprint = a.fingerprint();
        let outcomes = self
            .upsert_external_many(tx, &[(a, fingerprint.as_str())])
            .await?;
        Ok(outcomes[0])
    }

    /// [`Store::upsert_external`] for many stories at once, each with its
    /// [`NewArticle::fingerprint`] (worked out beforehand, off the writer): the same rules, in
    /// a few multi-row statements per batch instead of a dozen statements per story. The
    /// outcomes come in the order given; a story given twice is written twice in turn, as one
    /// call each would.
    pub async fn upsert_external_many(
        &self,
        tx: &mut Tx<'_>,
        items: &[(&NewArticle, &str)],
    ) -> Result<Vec<UpsertOutcome>> {
        let mut out = Vec::with_capacity(items.len());
        if items.iter().any(|(a, _)| !a.exact.is_empty()) {
            // An export's stories: one at a time, each as it was exported.
            for item in items {
                let outcome = if item.0.exact.is_empty() {
                    upsert_run(tx, std::slice::from_ref(item)).await?[0]
                } else {
                    upsert_exact(tx, item.0, item.1, self.readers.is_some()).await?
                };
                out.push(outcome);
            }
            return Ok(out);
        }
        let mut start = 0;
        let mut seen = std::collections::HashSet::new();
        for (i, (a, _)) in items.iter().enumerate() {
            if !seen.insert(a.external_id.as_str()) {
                out.extend(upsert_run(tx, &items[start..i]).await?);
                start = i;
                seen.clear();
                seen.insert(a.external_id.as_str());
            }
        }
        out.extend(upsert_run(tx, &items[start..]).await?);
        Ok(out)
    }
}

/// Rows per multi-row statement of an import batch: a story's row has 16 parameters. Far
/// below SQLite's and PostgreSQL's limits on parameters, and kept small because binding costs
/// grow with the square of a statement's parameters (sqlx looks each `$N` name up, and SQLite
/// finds a name by walking the statement's list of them).
const ROWS_PER_STATEMENT: usize = 25;

/// [`Store::upsert_external_many`] for stories with distinct external ids.
async fn upsert_run(tx: &mut Tx<'_>, items: &[(&NewArticle, &str)]) -> Result<Vec<UpsertOutcome>> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    // Before anything is read: on PostgreSQL two imports at once would otherwise both find a
    // tag missing and both create it.
    super::take_write_lock(tx).await?;
    let mut existing: HashMap<String, (i64, Option<String>)> = HashMap::new();
    for chunk in items.chunks(ROWS_PER_STATEMENT) {
        let sql = read::numbered(&format!(
            "SELECT id, external_id, import_hash FROM articles WHERE external_id IN ({})",
            read::placeholders(chunk.len())
        ));
        let mut q = sqlx::query_as::<_, (i64, String, Option<String>)>(&sql);
        for (a, _) in chunk {
            q = q.bind(&a.external_id);
        }
        for (id, external_id, hash) in q.fetch_all(&mut **tx).await? {
            existing.insert(external_id, (id, hash));
        }
    }
    let mut outcomes: Vec<Option<UpsertOutcome>> = vec![None; items.len()];
    let mut new = Vec::new();
    let mut changed = Vec::new();
    for (i, (a, fingerprint)) in items.iter().enumerate() {
        match existing.get(&a.external_id) {
            Some((id, Some(hash))) if hash == fingerprint => {
                outcomes[i] = Some(UpsertOutcome::Unchanged(*id))
            }
            Some((id, _)) => changed.push((i, *id)),
            None => new.push(i),
        }
    }
    if new.is_empty() && changed.is_empty() {
        return Ok(outcomes.into_iter().flatten().collect());
    }
    // Sections in the order the stories name them, created on demand.
    let mut sections: HashMap<&str, i64> = HashMap::new();
    for i in new.iter().copied().chain(changed.iter().map(|(i, _)| *i)) {
        let name = items[i].0.section_name.as_str();
        if !sections.contains_key(name) {
            let id = taxonomy::section_for_name(tx, name).await?;
            sections.insert(name, id);
        }
    }
    let t = now();
    for chunk in new.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO articles (external_id, headline, kicker, summary, section_id, credit, \
             signature, dateline, hero_url, source_name, source_url, status, published_at, \
             updated_at, created_at, import_hash) VALUES {} RETURNING id, external_id",
            read::value_rows(chunk.len(), 16)
        );
        let mut q = sqlx::query_as::<_, (i64, String)>(&sql);
        for &i in chunk {
            let (a, fingerprint) = items[i];
            let published_at = match a.status {
                Status::Published => Some(a.published_at.unwrap_or(t)),
                _ => a.published_at,
            };
            q = q
                .bind(&a.external_id)
                .bind(&a.headline)
                .bind(&a.kicker)
                .bind(&a.summary)
                .bind(sections[a.section_name.as_str()])
                .bind(&a.credit)
                .bind(&a.signature)
                .bind(&a.dateline)
                .bind(&a.hero_url)
                .bind(&a.source_name)
                .bind(&a.source_url)
                .bind(a.status.as_str())
                .bind(published_at)
                // updated_at: when it was published (an imported story is as old as it is)
                .bind(published_at.unwrap_or(t).min(t))
                // created_at: now, when it came into this store
                .bind(t)
                .bind(fingerprint);
        }
        let ids: HashMap<String, i64> = q
            .fetch_all(&mut **tx)
            .await?
            .into_iter()
            .map(|(id, e)| (e, id))
            .collect();
        for &i in chunk {
            let id = ids.get(&items[i].0.external_id).copied().ok_or_else(|| {
                super::StorageError::Corrupt(format!(
                    "story {:?} was not given an id on insert",
                    items[i].0.external_id
                ))
            })?;
            outcomes[i] = Some(UpsertOutcome::Inserted(id));
        }
    }
    for &(i, id) in &changed {
        let (a, fingerprint) = items[i];
        update_row(tx, id, a, sections[a.section_name.as_str()], fingerprint, t).await?;
        outcomes[i] = Some(UpsertOutcome::Updated(id));
    }
    // Every story written, in the order given, with its id.
    let written: Vec<(&NewArticle, i64)> = items
        .iter()
        .zip(&outcomes)
        .filter_map(|((a, _), o)| match o {
            Some(UpsertOutcome::Inserted(id) | UpsertOutcome::Updated(id)) => Some((*a, *id)),
            _ => None,
        })
        .collect();
    for chunk in written.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO article_bodies (article_id, body_html, body_text) VALUES {} \
             ON CONFLICT (article_id) DO UPDATE SET body_html = excluded.body_html, \
             body_text = excluded.body_text",
            read::value_rows(chunk.len(), 3)
        );
        let mut q = sqlx::query(&sql);
        for (a, id) in chunk {
            q = q.bind(*id).bind(&a.body_html).bind(&a.body_text);
        }
        q.execute(&mut **tx).await?;
    }
    // A new story has no labels yet (its id is new, or its predecessor's went with it).
    let updated: Vec<i64> = changed.iter().map(|(_, id)| *id).collect();
    taxonomy::set_labels_many(tx, &written, &updated).await?;
    for (a, id) in &written {
        if !a.places.is_empty() || updated.contains(id) {
            super::places::set_article_place_paths(tx, *id, &a.places).await?;
        }
    }
    let kinds: Vec<(&str, i64)> = items
        .iter()
        .zip(&outcomes)
        .filter_map(|((a, _), o)| match o {
            Some(UpsertOutcome::Inserted(id)) if a.status == Status::Published => {
                Some(("article.published", *id))
            }
            Some(UpsertOutcome::Inserted(id) | UpsertOutcome::Updated(id)) => {
                Some(("article.updated", *id))
            }
            _ => None,
        })
        .collect();
    changes::append_many(tx, "article", &kinds).await?;
    Ok(outcomes.into_iter().flatten().collect())
}

/// One story with an export's exact fields (its number, section slug, label slugs, featured
/// library image): written on its own, as the round trip needs.
async fn upsert_exact(
    tx: &mut Tx<'_>,
    a: &NewArticle,
    fingerprint: &str,
    is_sqlite: bool,
) -> Result<UpsertOutcome> {
    let existing: Option<(i64, Option<String>)> =
        sqlx::query_as("SELECT id, import_hash FROM articles WHERE external_id = $1")
            .bind(&a.external_id)
            .fetch_optional(&mut **tx)
            .await?;
    if let Some((id, Some(hash))) = &existing {
        if hash == fingerprint {
            return Ok(UpsertOutcome::Unchanged(*id));
        }
    }
    let section_id = match &a.exact.section_slug {
        Some(slug) => taxonomy::section_for_slug(tx, slug, &a.section_name).await?,
        None => taxonomy::section_for_name(tx, &a.section_name).await?,
    };
    let t = now();
    let (id, outcome) = match existing {
        None => {
            let published_at = match a.status {
                Status::Published => Some(a.published_at.unwrap_or(t)),
                _ => a.published_at,
            };
            // An exported story keeps its number; any other gets the next one.
            let (id_column, id_value) = match a.exact.id {
                Some(_) => ("id, ", "$17, "),
                None => ("", ""),
            };
            let sql = format!(
                "INSERT INTO articles ({id_column}external_id, headline, kicker, summary, \
                 section_id, credit, signature, dateline, hero_url, source_name, source_url, status, \
                 published_at, updated_at, created_at, import_hash) \
                 VALUES ({id_value}$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $16, $12, $15, $13, $14) \
                 RETURNING id"
            );
            let mut insert = sqlx::query_scalar(&sql)
                .bind(&a.external_id)
                .bind(&a.headline)
                .bind(&a.kicker)
                .bind(&a.summary)
                .bind(section_id)
                .bind(&a.credit)
                .bind(&a.signature)
                .bind(&a.dateline)
                .bind(&a.hero_url)
                .bind(&a.source_name)
                .bind(&a.source_url)
                .bind(published_at)
                .bind(t)
                .bind(fingerprint)
                .bind(published_at.unwrap_or(t).min(t))
                .bind(a.status.as_str());
            if let Some(id) = a.exact.id {
                insert = insert.bind(id);
            }
            let id: i64 = insert.fetch_one(&mut **tx).await?;
            if a.exact.id.is_some() && !is_sqlite {
                // PostgreSQL: the identity sequence moves past the number given, so the
                // newsroom's next story does not meet it.
                sqlx::query_scalar::<_, i64>(
                    "SELECT setval(pg_get_serial_sequence('articles', 'id'), MAX(id)) FROM articles",
                )
                .fetch_one(&mut **tx)
                .await?;
            }
            (id, UpsertOutcome::Inserted(id))
        }
        Some((id, _)) => {
            update_row(tx, id, a, section_id, fingerprint, t).await?;
            (id, UpsertOutcome::Updated(id))
        }
    };
    write_body(tx, id, &a.body_html, &a.body_text).await?;
    if a.exact.tag_slugs.is_empty() && a.exact.author_slugs.is_empty() {
        taxonomy::set_labels(tx, id, &a.tags, &a.authors).await?;
    } else {
        let with = |names: &[String], slugs: &[Option<String>]| -> Vec<(String, Option<String>)> {
            names
                .iter()
                .enumerate()
                .map(|(i, n)| (n.clone(), slugs.get(i).cloned().flatten()))
                .collect()
        };
        taxonomy::set_labels_slugged(
            tx,
            id,
            &with(&a.tags, &a.exact.tag_slugs),
            &with(&a.authors, &a.exact.author_slugs),
        )
        .await?;
    }
    if let Some(f) = &a.exact.featured {
        sqlx::query(
            "UPDATE articles SET hero_media_id = \
             (SELECT m.id FROM media m WHERE m.path = $2 ORDER BY m.id LIMIT 1), \
             hero_caption = $3, hero_credit = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(&f.path)
        .bind(&f.caption)
        .bind(&f.credit)
        .execute(&mut **tx)
        .await?;
    }
    super::places::set_article_place_paths(tx, id, &a.places).await?;
    let kind = match outcome {
        UpsertOutcome::Inserted(_) if a.status == Status::Published => "article.published",
        _ => "article.updated",
    };
    changes::append(tx, kind, "article", id).await?;
    Ok(outcome)
}

/// Rewrites imported story `id`'s row with `a` (its section, fingerprint and time given).
async fn update_row(
    tx: &mut Tx<'_>,
    id: i64,
    a: &NewArticle,
    section_id: i64,
    fingerprint: &str,
    t: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE articles SET headline = $2, kicker = $3, summary = $4, \
         section_id = $5, credit = $6, signature = $7, dateline = $8, \
         hero_url = $9, source_name = $10, source_url = $11, \
         published_at = COALESCE($12, published_at), updated_at = $13, import_hash = $14, \
         status = $15, version = version + 1 WHERE id = $1",
    )
    .bind(id)
    .bind(&a.headline)
    .bind(&a.kicker)
    .bind(&a.summary)
    .bind(section_id)
    .bind(&a.credit)
    .bind(&a.signature)
    .bind(&a.dateline)
    .bind(&a.hero_url)
    .bind(&a.source_name)
    .bind(&a.source_url)
    .bind(a.published_at)
    .bind(t)
    .bind(fingerprint)
    .bind(a.status.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Stores a story's body (kept in `article_bodies`, apart from the story's row, so that lists
/// of cards read narrow rows).
pub(super) async fn write_body(tx: &mut Tx<'_>, id: i64, html: &str, text: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO article_bodies (article_id, body_html, body_text) VALUES ($1, $2, $3) \
         ON CONFLICT (article_id) DO UPDATE SET body_html = excluded.body_html, \
         body_text = excluded.body_text",
    )
    .bind(id)
    .bind(html)
    .bind(text)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// `(article id, id, slug, name)` of a tag or author.
/// A row of [`Store::related_cards`] on PostgreSQL: a card, or `None` where the related
/// story is no longer published.
fn related_row<R: Row>(r: &R) -> Result<Option<ArticleCard>, R::Error> {
    match r.col::<Option<i64>>(0)? {
        Some(_) => card(r).map(Some),
        None => Ok(None),
    }
}

/// A story read with [`ARTICLE_COLUMNS`] followed by its tags and its authors, each a JSON
/// array of `[id, slug, name]` in their order (NULL for none).
fn article_with_labels<R: Row>(r: &R) -> Result<Article, R::Error> {
    let mut a = article(r)?;
    let labels = |at: usize| -> Result<Vec<(i64, String, String)>, R::Error> {
        match r.col::<Option<String>>(at)? {
            None => Ok(Vec::new()),
            Some(json) => serde_json::from_str(&json).map_err(|e| r.invalid(at, e.to_string())),
        }
    };
    a.tags = labels(24)?
        .into_iter()
        .map(|(id, slug, name)| Tag { id, slug, name })
        .collect();
    a.authors = labels(25)?
        .into_iter()
        .map(|(id, slug, name)| Author { id, slug, name })
        .collect();
    Ok(a)
}

fn label<R: Row>(r: &R) -> Result<(i64, i64, String, String), R::Error> {
    Ok((r.col(0)?, r.col(1)?, r.col(2)?, r.col(3)?))
}

/// The joins and `WHERE` clause that select the published stories in `filter` (for a query
/// on `articles a`), with their parameters.
fn filter_sql(filter: Filter) -> (String, Vec<i64>) {
    let published = "WHERE a.status = 'published'";
    match filter {
        Filter::All => (published.to_owned(), Vec::new()),
        Filter::Section(id) => (format!("{published} AND a.section_id = ?"), vec![id]),
        Filter::Tag(id) => (
            format!("JOIN article_tags f ON f.article_id = a.id {published} AND f.tag_id = ?"),
            vec![id],
        ),
        Filter::Author(id) => (
            format!(
                "JOIN article_authors f ON f.article_id = a.id {published} AND f.author_id = ?"
            ),
            vec![id],
        ),
        Filter::Place(id) => (
            format!("JOIN article_places f ON f.article_id = a.id {published} AND f.place_id = ?"),
            vec![id],
        ),
        Filter::Between(from, to) => (
            format!("{published} AND a.published_at >= ? AND a.published_at < ?"),
            vec![from, to],
        ),
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
        let mut tx = self.begin_write().await?;
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
