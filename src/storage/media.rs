//! The media library: uploaded images (cleaned originals) and their responsive variants.

use serde::Serialize;

use super::users::{audit, Audit};
use super::{now, Result, Store};
use crate::domain::urls;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Media {
    pub id: i64,
    /// Site path of the cleaned original, e.g. `/media/3fa9c1d2e4b5a6f7.jpg`.
    pub path: String,
    pub mime: String,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub alt: String,
    pub caption: Option<String>,
    pub credit: Option<String>,
    /// 'processing' until the variants exist, then 'ready' (or 'failed').
    pub status: String,
    pub bytes: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct MediaVariant {
    pub media_id: i64,
    pub width: i64,
    pub height: i64,
    pub mime: String,
    pub name: String,
    pub bytes: i64,
}

#[derive(sqlx::FromRow)]
struct NamedMedia {
    name: String,
    #[sqlx(flatten)]
    media: Media,
}

pub struct NewMedia<'a> {
    pub path: &'a str,
    pub mime: &'a str,
    pub width: u32,
    pub height: u32,
    pub alt: &'a str,
    pub caption: &'a str,
    pub credit: &'a str,
    pub sha256: &'a str,
    pub bytes: usize,
    /// `None` for an image brought in by an import.
    pub uploaded_by: Option<i64>,
}

const MEDIA_COLUMNS: &str =
    "id, path, mime, width, height, alt, caption, credit, status, bytes, created_at";

/// The reader pages' view of an image: `srcset` lists per format and a JPEG fallback of at
/// most 1024 px.
pub fn picture_json(variants: &[MediaVariant], alt: &str) -> Option<String> {
    serde_json::to_string(&picture(variants, alt)?).ok()
}

/// [`picture_json`]'s picture itself, for pages that draw it at once.
pub fn picture(variants: &[MediaVariant], alt: &str) -> Option<crate::domain::article::Picture> {
    let list = |mime: &str| {
        variants
            .iter()
            .filter(|v| v.mime == mime)
            .map(|v| format!("{} {}w", urls::media(&v.name), v.width))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let jpegs: Vec<&MediaVariant> = variants.iter().filter(|v| v.mime == "image/jpeg").collect();
    let fallback = jpegs
        .iter()
        .filter(|v| v.width <= 1024)
        .max_by_key(|v| v.width)
        .or_else(|| jpegs.iter().min_by_key(|v| v.width))?;
    let widest = variants.iter().max_by_key(|v| v.width)?;
    Some(crate::domain::article::Picture {
        src: urls::media(&fallback.name),
        webp: list("image/webp"),
        jpeg: list("image/jpeg"),
        width: widest.width,
        height: widest.height,
        alt: alt.to_owned(),
    })
}

impl Store {
    /// Records an upload (its variants still to be made) and the audit line.
    pub async fn add_media(&self, m: &NewMedia<'_>, audit_line: &Audit<'_>) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO media (path, mime, width, height, alt, caption, credit, sha256, created_at, \
             status, uploaded_by, bytes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'processing', $10, $11) \
             RETURNING id",
        )
        .bind(m.path)
        .bind(m.mime)
        .bind(i64::from(m.width))
        .bind(i64::from(m.height))
        .bind(m.alt)
        .bind((!m.caption.is_empty()).then_some(m.caption))
        .bind((!m.credit.is_empty()).then_some(m.credit))
        .bind(m.sha256)
        .bind(now())
        .bind(m.uploaded_by)
        .bind(m.bytes as i64)
        .fetch_one(&mut *tx)
        .await?;
        audit(
            &mut tx,
            &Audit {
                entity_id: Some(id),
                ..audit_line.clone()
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The library's image with these exact bytes (an import run again finds what it brought).
    pub async fn media_by_sha256(&self, sha256: &str) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM media WHERE sha256 = $1 ORDER BY id LIMIT 1")
                .bind(sha256)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn media(&self, id: i64) -> Result<Option<Media>> {
        Ok(
            sqlx::query_as(&format!("SELECT {MEDIA_COLUMNS} FROM media WHERE id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The library, newest first.
    pub async fn media_list(&self, before_id: Option<i64>, limit: i64) -> Result<Vec<Media>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {MEDIA_COLUMNS} FROM media WHERE id < $1 ORDER BY id DESC LIMIT $2"
        ))
        .bind(before_id.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Claims the oldest upload whose variants are still to be made and that no node holds
    /// a live lease on, for `owner` until `lease_seconds` from now. Claims are made under
    /// the store's write lock, so two nodes never get the same upload; a claim that runs out
    /// (its node died) is taken over by the next node that asks.
    pub async fn claim_media(&self, owner: &str, lease_seconds: i64) -> Result<Option<Media>> {
        let mut tx = self.begin_write().await?;
        let t = now();
        let claimed: Option<Media> = sqlx::query_as(&format!(
            "UPDATE media SET lease_owner = $1, lease_until = $2 WHERE id = \
             (SELECT id FROM media WHERE status = 'processing' \
              AND (lease_until IS NULL OR lease_until < $3) ORDER BY id LIMIT 1) \
             RETURNING {MEDIA_COLUMNS}"
        ))
        .bind(owner)
        .bind(t + lease_seconds)
        .bind(t)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(claimed)
    }

    /// Gives a claim back before its lease runs out (this node could not do the work, e.g.
    /// the original is on another node's disk): another node may take it at once.
    pub async fn release_media(&self, id: i64, owner: &str) -> Result<()> {
        sqlx::query(
            "UPDATE media SET lease_owner = NULL, lease_until = NULL \
             WHERE id = $1 AND lease_owner = $2",
        )
        .bind(id)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Stores the variants and marks the upload ready, in one transaction; the articles that
    /// show it are announced on the change feed so their pages pick up the images.
    pub async fn finish_media(&self, id: i64, variants: &[MediaVariant]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for v in variants {
            sqlx::query(
                "INSERT INTO media_variants (media_id, width, height, mime, name, bytes) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(v.width)
            .bind(v.height)
            .bind(&v.mime)
            .bind(&v.name)
            .bind(v.bytes)
            .execute(&mut *tx)
            .await?;
        }
        let alt: String = sqlx::query_scalar("SELECT alt FROM media WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query("UPDATE media SET status = 'ready', picture = $2 WHERE id = $1")
            .bind(id)
            .bind(picture_json(variants, &alt))
            .execute(&mut *tx)
            .await?;
        let articles: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM articles WHERE hero_media_id = $1 AND status = 'published'",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        for a in articles {
            super::changes::append(&mut tx, "article.updated", "article", a).await?;
        }
        self.commit(tx).await?;
        Ok(())
    }

    pub async fn fail_media(&self, id: i64) -> Result<()> {
        sqlx::query("UPDATE media SET status = 'failed' WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The library images that objects named `names` belong to (an original, or one of its
    /// variants): `(name, the image)` for each name the library knows.
    pub async fn media_for_names(&self, names: &[String]) -> Result<Vec<(String, Media)>> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let list = super::read::placeholders(names.len());
        let columns = MEDIA_COLUMNS
            .split(", ")
            .map(|c| format!("m.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = super::read::numbered(&format!(
            "SELECT v.name, {columns} FROM media_variants v JOIN media m ON m.id = v.media_id \
             WHERE v.name IN ({list})"
        ));
        let mut variants = sqlx::query_as::<_, NamedMedia>(&sql);
        let paths: Vec<String> = names.iter().map(|n| urls::media(n)).collect();
        for n in names {
            variants = variants.bind(n);
        }
        let mut found: Vec<(String, Media)> = variants
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| (r.name, r.media))
            .collect();
        let sql = super::read::numbered(&format!(
            "SELECT {MEDIA_COLUMNS} FROM media WHERE path IN ({list})"
        ));
        let mut originals = sqlx::query_as::<_, Media>(&sql);
        for p in &paths {
            originals = originals.bind(p);
        }
        for m in originals.fetch_all(&self.pool).await? {
            let name = m.path.trim_start_matches("/media/").to_owned();
            found.push((name, m));
        }
        Ok(found)
    }

    /// Variants of several uploads at once, narrowest first.
    pub async fn media_variants(&self, ids: &[i64]) -> Result<Vec<MediaVariant>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        Ok(sqlx::query_as(&format!(
            "SELECT media_id, width, height, mime, name, bytes FROM media_variants \
             WHERE media_id IN ({list}) ORDER BY media_id, width"
        ))
        .fetch_all(&self.pool)
        .await?)
    }
}
