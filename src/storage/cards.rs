//! Photocards and the public halves of the keys they are signed with.

use serde::Serialize;

use super::users::{audit, Audit};
use super::{now, Result, Store};

/// A card as its page and the API show it, with the story it belongs to.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Card {
    pub id: i64,
    pub code: String,
    pub article_id: i64,
    pub layout: String,
    /// `headline` or `quote`.
    pub kind: String,
    pub text: String,
    pub speaker: Option<String>,
    pub media_id: Option<i64>,
    pub image_name: String,
    pub png_sha256: String,
    pub png_bytes: i64,
    pub width: i64,
    pub height: i64,
    pub record: String,
    pub signature: String,
    pub kid: String,
    pub created_at: i64,
    /// The code of the card that replaced this one, if any.
    pub superseded_by: Option<String>,
    pub story_headline: String,
    pub story_status: String,
    pub section_slug: String,
    pub section_name: String,
}

/// A card about to be recorded; everything in it was fixed before it was signed.
pub struct NewCard<'a> {
    pub code: &'a str,
    pub article_id: i64,
    pub layout: &'a str,
    pub kind: &'a str,
    pub text: &'a str,
    pub speaker: Option<&'a str>,
    pub media_id: Option<i64>,
    pub image_name: &'a str,
    pub png_sha256: &'a str,
    pub png_bytes: usize,
    pub width: u32,
    pub height: u32,
    pub record: &'a str,
    pub signature: &'a str,
    pub kid: &'a str,
    pub created_by: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CardKey {
    pub kid: String,
    /// The raw 32-byte Ed25519 public key, base64url without padding (a JWK's `x`).
    pub public_key: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

const CARD_SELECT: &str =
    "SELECT c.id, c.code, c.article_id, c.layout, c.kind, c.text, c.speaker, \
     c.media_id, c.image_name, c.png_sha256, c.png_bytes, c.width, c.height, c.record, \
     c.signature, c.kid, c.created_at, n.code AS superseded_by, a.headline AS story_headline, \
     a.status AS story_status, s.slug AS section_slug, s.name AS section_name \
     FROM cards c JOIN articles a ON a.id = c.article_id JOIN sections s ON s.id = a.section_id \
     LEFT JOIN cards n ON n.id = c.superseded_by";

impl Store {
    /// Records a card; the story's earlier cards of the same layout with other words are
    /// marked superseded by it, and the story's pages are told (they list its cards).
    pub async fn add_card(&self, c: &NewCard<'_>, audit_line: &Audit<'_>) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO cards (code, article_id, layout, kind, text, speaker, media_id, \
             image_name, png_sha256, png_bytes, width, height, record, signature, kid, \
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
             $13, $14, $15, $16, $17) RETURNING id",
        )
        .bind(c.code)
        .bind(c.article_id)
        .bind(c.layout)
        .bind(c.kind)
        .bind(c.text)
        .bind(c.speaker)
        .bind(c.media_id)
        .bind(c.image_name)
        .bind(c.png_sha256)
        .bind(c.png_bytes as i64)
        .bind(i64::from(c.width))
        .bind(i64::from(c.height))
        .bind(c.record)
        .bind(c.signature)
        .bind(c.kid)
        .bind(c.created_by)
        .bind(c.created_at)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE cards SET superseded_by = $1 WHERE article_id = $2 AND layout = $3 \
             AND id <> $1 AND superseded_by IS NULL AND (kind <> $4 OR text <> $5)",
        )
        .bind(id)
        .bind(c.article_id)
        .bind(c.layout)
        .bind(c.kind)
        .bind(c.text)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            &Audit {
                entity_id: Some(id),
                ..audit_line.clone()
            },
        )
        .await?;
        super::changes::append(&mut tx, "article.updated", "article", c.article_id).await?;
        self.commit(tx).await?;
        Ok(id)
    }

    /// Whether a code has been handed out already (codes are random; a clash is retried).
    pub async fn card_code_taken(&self, code: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cards WHERE code = $1")
            .bind(code)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    pub async fn card_by_code(&self, code: &str) -> Result<Option<Card>> {
        Ok(sqlx::query_as(&format!("{CARD_SELECT} WHERE c.code = $1"))
            .bind(code)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// A story's cards, newest first.
    pub async fn cards_of(&self, article_id: i64) -> Result<Vec<Card>> {
        Ok(sqlx::query_as(&format!(
            "{CARD_SELECT} WHERE c.article_id = $1 ORDER BY c.id DESC"
        ))
        .bind(article_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The newest cards of published stories, for `/cards`.
    pub async fn recent_cards(&self, limit: i64) -> Result<Vec<Card>> {
        Ok(sqlx::query_as(&format!(
            "{CARD_SELECT} WHERE a.status = 'published' ORDER BY c.id DESC LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every key cards were ever signed with, newest first.
    pub async fn card_keys(&self) -> Result<Vec<CardKey>> {
        Ok(sqlx::query_as(
            "SELECT kid, public_key, created_at, retired_at FROM card_keys \
             ORDER BY created_at DESC, kid",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Publishes a signing key's public half (again: a node that starts with its key makes
    /// sure the store knows it). A key once retired stays retired.
    pub async fn publish_card_key(&self, kid: &str, public_key: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO card_keys (kid, public_key, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (kid) DO NOTHING",
        )
        .bind(kid)
        .bind(public_key)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Marks a key retired: it signs nothing more, and stays published so that the cards it
    /// signed can still be checked.
    pub async fn retire_card_key(&self, kid: &str, at: i64) -> Result<()> {
        sqlx::query("UPDATE card_keys SET retired_at = $2 WHERE kid = $1 AND retired_at IS NULL")
            .bind(kid)
            .bind(at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
