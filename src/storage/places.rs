//! Places (migration 0017): Bangladesh's divisions, districts and upazilas, seeded from
//! [`geo::builtin`] into a store whose place table is empty, then edited by the newsroom; and
//! the places each story is about. A story's row in `article_places` names each place it was
//! given (`direct = 1`) and every place above them (`direct = 0`), so a district's page lists
//! the stories of its upazilas too. Editing a place appends `place` to the change feed, which
//! purges every cached page (a place's name shows on its stories' pages).

use crate::domain::geo::{self, Place, PlaceKind};

use super::read::value_rows;
use super::users::{audit, Audit};
use super::{now, Result, Store, Tx};

const PLACE_COLUMNS: &str = "id, kind, parent_id, path, slug, name_bn, name_en, position";

#[derive(sqlx::FromRow)]
struct PlaceRow {
    id: i64,
    kind: String,
    parent_id: Option<i64>,
    path: String,
    slug: String,
    name_bn: String,
    name_en: String,
    position: i64,
}

impl From<PlaceRow> for Place {
    fn from(r: PlaceRow) -> Place {
        Place {
            id: r.id,
            kind: PlaceKind::parse(&r.kind).unwrap_or(PlaceKind::Upazila),
            parent_id: r.parent_id,
            path: r.path,
            slug: r.slug,
            name_bn: r.name_bn,
            name_en: r.name_en,
            position: r.position,
        }
    }
}

/// A place and its parent, read in one row.
#[derive(sqlx::FromRow)]
struct PlaceWithParent {
    #[sqlx(flatten)]
    place: PlaceRow,
    q_id: Option<i64>,
    q_kind: Option<String>,
    q_parent_id: Option<i64>,
    q_path: Option<String>,
    q_slug: Option<String>,
    q_name_bn: Option<String>,
    q_name_en: Option<String>,
    q_position: Option<i64>,
}

impl PlaceWithParent {
    fn split(self) -> (Place, Option<Place>) {
        let parent = self.q_id.map(|id| {
            Place::from(PlaceRow {
                id,
                kind: self.q_kind.unwrap_or_default(),
                parent_id: self.q_parent_id,
                path: self.q_path.unwrap_or_default(),
                slug: self.q_slug.unwrap_or_default(),
                name_bn: self.q_name_bn.unwrap_or_default(),
                name_en: self.q_name_en.unwrap_or_default(),
                position: self.q_position.unwrap_or_default(),
            })
        });
        (Place::from(self.place), parent)
    }
}

/// Why a place could not be added or changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaceRefusal {
    /// Another place under the same parent has the slug.
    SlugTaken,
    /// An upazila has nothing below it.
    NoChildren,
    /// Only a place with no stories and nothing below it can be removed.
    InUse,
}

impl Store {
    /// Puts the built-in places into a store that has none (a new store, or one from before
    /// places). Several nodes starting at once insert each place once.
    pub(crate) async fn seed_places(&self) -> Result<()> {
        let any: Option<i64> = sqlx::query_scalar("SELECT id FROM places LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        if any.is_some() {
            return Ok(());
        }
        let seed = geo::builtin();
        let t = now();
        let mut tx = self.begin_write().await?;
        for kind in [PlaceKind::Division, PlaceKind::District, PlaceKind::Upazila] {
            let rows: Vec<&geo::SeedPlace> = seed.iter().filter(|s| s.kind == kind).collect();
            for chunk in rows.chunks(200) {
                // Each row: kind, parent path, path, slug, name_bn, name_en, position, time.
                let sql = format!(
                    "INSERT INTO places (kind, parent_id, path, slug, name_bn, name_en, position, created_at) \
                     SELECT v.column1, p.id, v.column3, v.column4, v.column5, v.column6, v.column7, v.column8 \
                     FROM (VALUES {}) AS v LEFT JOIN places p ON p.path = v.column2 \
                     WHERE true ON CONFLICT (path) DO NOTHING",
                    value_rows(chunk.len(), 8)
                );
                let mut q = sqlx::query(&sql);
                for s in chunk {
                    let (parent, slug) = match s.path.rsplit_once('/') {
                        Some((parent, slug)) => (parent, slug),
                        None => ("", s.path.as_str()),
                    };
                    q = q
                        .bind(s.kind.as_str())
                        .bind(parent)
                        .bind(&s.path)
                        .bind(slug)
                        .bind(&s.name_bn)
                        .bind(&s.name_en)
                        .bind(s.position)
                        .bind(t);
                }
                q.execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every place, divisions first, each list in its order.
    pub async fn places(&self) -> Result<Vec<Place>> {
        let rows: Vec<PlaceRow> = sqlx::query_as(&format!(
            "SELECT {PLACE_COLUMNS} FROM places ORDER BY \
             CASE kind WHEN 'division' THEN 0 WHEN 'district' THEN 1 ELSE 2 END, parent_id, position, id"
        ))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Place::from).collect())
    }

    pub async fn place(&self, id: i64) -> Result<Option<Place>> {
        let row: Option<PlaceRow> =
            sqlx::query_as(&format!("SELECT {PLACE_COLUMNS} FROM places WHERE id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(Place::from))
    }

    pub async fn place_by_path(&self, path: &str) -> Result<Option<Place>> {
        let row: Option<PlaceRow> = sqlx::query_as(&format!(
            "SELECT {PLACE_COLUMNS} FROM places WHERE path = $1"
        ))
        .bind(path)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Place::from))
    }

    /// The places directly under `parent` (the divisions for `None`), in order.
    pub async fn place_children(&self, parent: Option<i64>) -> Result<Vec<Place>> {
        let rows: Vec<PlaceRow> = match parent {
            Some(id) => {
                sqlx::query_as(&format!(
                    "SELECT {PLACE_COLUMNS} FROM places WHERE parent_id = $1 ORDER BY position, id"
                ))
                .bind(id)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query_as(&format!(
                "SELECT {PLACE_COLUMNS} FROM places WHERE parent_id IS NULL ORDER BY position, id"
            ))
                .fetch_all(&self.pool)
                .await?
            }
        };
        Ok(rows.into_iter().map(Place::from).collect())
    }

    /// The places a story was given, in the order given, each with its parent (for labels).
    pub async fn article_places(&self, article_id: i64) -> Result<Vec<(Place, Option<Place>)>> {
        let rows: Vec<PlaceWithParent> = sqlx::query_as(
            "SELECT p.id, p.kind, p.parent_id, p.path, p.slug, p.name_bn, p.name_en, p.position, \
             q.id AS q_id, q.kind AS q_kind, q.parent_id AS q_parent_id, q.path AS q_path, \
             q.slug AS q_slug, q.name_bn AS q_name_bn, q.name_en AS q_name_en, q.position AS q_position \
             FROM article_places x JOIN places p ON p.id = x.place_id \
             LEFT JOIN places q ON q.id = p.parent_id \
             WHERE x.article_id = $1 AND x.direct = 1 ORDER BY x.position",
        )
        .bind(article_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(PlaceWithParent::split).collect())
    }

    /// How many published stories are on a place's page.
    pub async fn place_story_count(&self, place_id: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM article_places x JOIN articles a ON a.id = x.article_id \
             WHERE x.place_id = $1 AND a.status = 'published'",
        )
        .bind(place_id)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Adds a place under `parent` (a division for `None`); its id.
    pub async fn add_place(
        &self,
        parent: Option<&Place>,
        slug: &str,
        name_bn: &str,
        name_en: &str,
        audit_line: &Audit<'_>,
    ) -> Result<Result<i64, PlaceRefusal>> {
        let kind = match parent {
            None => PlaceKind::Division,
            Some(p) => match p.kind.child() {
                Some(k) => k,
                None => return Ok(Err(PlaceRefusal::NoChildren)),
            },
        };
        let path = match parent {
            None => slug.to_owned(),
            Some(p) => format!("{}/{slug}", p.path),
        };
        let mut tx = self.begin_write().await?;
        if path_taken(&mut tx, &path).await? {
            return Ok(Err(PlaceRefusal::SlugTaken));
        }
        let position: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(position), 0) + 1 FROM places WHERE COALESCE(parent_id, 0) = COALESCE($1, 0)",
        )
        .bind(parent.map(|p| p.id))
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO places (kind, parent_id, path, slug, name_bn, name_en, position, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(kind.as_str())
        .bind(parent.map(|p| p.id))
        .bind(&path)
        .bind(slug)
        .bind(name_bn)
        .bind(name_en)
        .bind(position)
        .bind(now())
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
        super::changes::append(&mut tx, "place.added", "place", id).await?;
        self.commit(tx).await?;
        Ok(Ok(id))
    }

    /// Renames a place and may give it a new slug (the paths of the places below it follow).
    pub async fn update_place(
        &self,
        place: &Place,
        slug: &str,
        name_bn: &str,
        name_en: &str,
        audit_line: &Audit<'_>,
    ) -> Result<Result<(), PlaceRefusal>> {
        let path = match place.parent_path() {
            None => slug.to_owned(),
            Some(parent) => format!("{parent}/{slug}"),
        };
        let mut tx = self.begin_write().await?;
        if path != place.path {
            if path_taken(&mut tx, &path).await? {
                return Ok(Err(PlaceRefusal::SlugTaken));
            }
            // Below it: 'old/…' becomes 'new/…'.
            sqlx::query(
                "UPDATE places SET path = $1 || substr(path, CAST($2 AS INTEGER)) \
                 WHERE substr(path, 1, CAST($3 AS INTEGER)) = $4",
            )
            .bind(&path)
            .bind(place.path.chars().count() as i64 + 1)
            .bind(place.path.chars().count() as i64 + 1)
            .bind(format!("{}/", place.path))
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "UPDATE places SET path = $2, slug = $3, name_bn = $4, name_en = $5 WHERE id = $1",
        )
        .bind(place.id)
        .bind(&path)
        .bind(slug)
        .bind(name_bn)
        .bind(name_en)
        .execute(&mut *tx)
        .await?;
        audit(&mut tx, audit_line).await?;
        super::changes::append(&mut tx, "place.updated", "place", place.id).await?;
        self.commit(tx).await?;
        Ok(Ok(()))
    }

    /// Removes a place that has no stories and nothing below it.
    pub async fn remove_place(
        &self,
        id: i64,
        audit_line: &Audit<'_>,
    ) -> Result<Result<bool, PlaceRefusal>> {
        let mut tx = self.begin_write().await?;
        let used: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM places WHERE parent_id = $1) \
                  + (SELECT COUNT(*) FROM article_places WHERE place_id = $1)",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        if used > 0 {
            return Ok(Err(PlaceRefusal::InUse));
        }
        let done = sqlx::query("DELETE FROM places WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if done {
            audit(&mut tx, audit_line).await?;
            super::changes::append(&mut tx, "place.removed", "place", id).await?;
        }
        self.commit(tx).await?;
        Ok(Ok(done))
    }
}

async fn path_taken(tx: &mut Tx<'_>, path: &str) -> Result<bool> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT id FROM places WHERE path = $1")
            .bind(path)
            .fetch_optional(&mut **tx)
            .await?
            .is_some(),
    )
}

/// Gives a story the places `ids` (in order) and, below `direct`, every place above them.
pub async fn set_article_places(tx: &mut Tx<'_>, article_id: i64, ids: &[i64]) -> Result<()> {
    sqlx::query("DELETE FROM article_places WHERE article_id = $1")
        .bind(article_id)
        .execute(&mut **tx)
        .await?;
    let mut seen = std::collections::HashSet::new();
    let mut rows: Vec<(i64, i64, i64)> = Vec::new();
    for (position, id) in ids.iter().enumerate() {
        if seen.insert(*id) {
            rows.push((*id, 1, position as i64));
        } else if let Some(row) = rows.iter_mut().find(|r| r.0 == *id) {
            row.1 = 1;
        }
    }
    // The places above: at most two levels.
    let mut above = Vec::new();
    for (id, _, _) in &rows {
        let mut current = *id;
        for _ in 0..2 {
            let parent: Option<Option<i64>> =
                sqlx::query_scalar("SELECT parent_id FROM places WHERE id = $1")
                    .bind(current)
                    .fetch_optional(&mut **tx)
                    .await?;
            match parent.flatten() {
                Some(p) => {
                    above.push(p);
                    current = p;
                }
                None => break,
            }
        }
    }
    for p in above {
        if seen.insert(p) {
            rows.push((p, 0, rows.len() as i64));
        }
    }
    if rows.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO article_places (article_id, place_id, direct, position) VALUES {}",
        value_rows(rows.len(), 4)
    );
    let mut q = sqlx::query(&sql);
    for (place, direct, position) in rows {
        q = q.bind(article_id).bind(place).bind(direct).bind(position);
    }
    q.execute(&mut **tx).await?;
    Ok(())
}

/// [`set_article_places`] from place paths (an import's); a path no place has is left out.
pub async fn set_article_place_paths(
    tx: &mut Tx<'_>,
    article_id: i64,
    paths: &[String],
) -> Result<()> {
    let mut ids = Vec::with_capacity(paths.len());
    for path in paths {
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM places WHERE path = $1")
            .bind(path)
            .fetch_optional(&mut **tx)
            .await?;
        ids.extend(id);
    }
    set_article_places(tx, article_id, &ids).await
}
