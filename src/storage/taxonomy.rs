//! Sections, tags and authors: looked up by slug for reader pages, created on demand by imports.

use crate::domain::{Author, Section, Tag};

use super::{now, Result, Store, Tx};

/// Well-known desks get short English slugs, as Bangladeshi papers use; any other section
/// keeps a Bengali slug.
const KNOWN_SECTIONS: &[(&str, &str)] = &[
    ("জাতীয়", "national"),
    ("রাজনীতি", "politics"),
    ("আন্তর্জাতিক", "international"),
    ("অর্থনীতি", "economy"),
    ("বাণিজ্য", "business"),
    ("খেলা", "sports"),
    ("বিনোদন", "entertainment"),
    ("সারাদেশ", "country"),
    ("মতামত", "opinion"),
    ("শিক্ষা", "education"),
    ("স্বাস্থ্য", "health"),
    ("প্রযুক্তি", "technology"),
    ("বিজ্ঞান", "science"),
    ("লাইফস্টাইল", "lifestyle"),
    ("ধর্ম", "religion"),
];

/// First path segments the site itself answers: a section may not take one as its slug, or its
/// pages would be hidden behind the site's own routes.
const RESERVED_SLUGS: &[&str] = &[
    "api",
    "archive",
    "atom.xml",
    "author",
    "feed.json",
    "feed.xml",
    "latest",
    "newsroom",
    "robots.txt",
    "search",
    "sitemap.xml",
    "sitemaps",
    "static",
    "tag",
    "theme.css",
    "c",
    "card",
    "cards",
    ".well-known",
    "media",
    "most-read",
    "my-district",
    "corrections",
    "live",
];

const PALETTE: &[&str] = &[
    "#8c1c13", "#1d4e89", "#2a6f4e", "#7a5c12", "#0f6d75", "#7b2d6b", "#4a4e69", "#9c4221",
];

#[derive(sqlx::FromRow)]
struct SectionRow {
    id: i64,
    slug: String,
    name: String,
    colour: String,
}

impl From<SectionRow> for Section {
    fn from(r: SectionRow) -> Section {
        Section {
            id: r.id,
            slug: r.slug,
            name: r.name,
            colour: r.colour,
        }
    }
}

fn slug_for(name: &str) -> String {
    let known = KNOWN_SECTIONS
        .iter()
        .find(|(n, _)| crate::domain::text::nfc(n) == name)
        .map(|(_, s)| (*s).to_owned());
    known.unwrap_or_else(|| bangla::slug::slugify(name))
}

impl Store {
    pub async fn sections(&self) -> Result<Vec<Section>> {
        let rows: Vec<SectionRow> =
            sqlx::query_as("SELECT id, slug, name, colour FROM sections ORDER BY position, id")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(Section::from).collect())
    }

    pub async fn section_by_slug(&self, slug: &str) -> Result<Option<Section>> {
        let row: Option<SectionRow> =
            sqlx::query_as("SELECT id, slug, name, colour FROM sections WHERE slug = $1")
                .bind(slug)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(Section::from))
    }

    pub async fn tag_by_slug(&self, slug: &str) -> Result<Option<Tag>> {
        Ok(sqlx::query_as::<_, (i64, String, String)>(
            "SELECT id, slug, name FROM tags WHERE slug = $1",
        )
        .bind(slug)
        .fetch_optional(&self.pool)
        .await?
        .map(|(id, slug, name)| Tag { id, slug, name }))
    }

    pub async fn author_by_slug(&self, slug: &str) -> Result<Option<Author>> {
        Ok(sqlx::query_as::<_, (i64, String, String)>(
            "SELECT id, slug, name FROM authors WHERE slug = $1",
        )
        .bind(slug)
        .fetch_optional(&self.pool)
        .await?
        .map(|(id, slug, name)| Author { id, slug, name }))
    }

    /// Tags with how many published stories carry them, most used first.
    pub async fn tags_with_counts(&self, limit: i64) -> Result<Vec<(Tag, i64)>> {
        let rows: Vec<(i64, String, String, i64)> = sqlx::query_as(
            "SELECT t.id, t.slug, t.name, COUNT(a.id) AS n FROM tags t \
             JOIN article_tags at ON at.tag_id = t.id \
             JOIN articles a ON a.id = at.article_id AND a.status = 'published' \
             GROUP BY t.id, t.slug, t.name ORDER BY n DESC, t.id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, slug, name, n)| (Tag { id, slug, name }, n))
            .collect())
    }
}

/// The section called `name`, created (with a fresh slug and colour) if the store has none.
pub async fn section_for_name(tx: &mut Tx<'_>, name: &str) -> Result<i64> {
    if let Some(id) = sqlx::query_scalar::<_, i64>("SELECT id FROM sections WHERE name = $1")
        .bind(name)
        .fetch_optional(&mut **tx)
        .await?
    {
        return Ok(id);
    }
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sections")
        .fetch_one(&mut **tx)
        .await?;
    let base = non_empty_slug(slug_for(name), "section", count + 1);
    let slug = free_slug(tx, "sections", &base).await?;
    insert_section(tx, &slug, name, count).await
}

/// Adds a section after the `count` there are, in the next colour; a new section joins every
/// page's menu, so the change feed hears of it.
async fn insert_section(tx: &mut Tx<'_>, slug: &str, name: &str, count: i64) -> Result<i64> {
    let colour = PALETTE[(count as usize) % PALETTE.len()];
    let id = sqlx::query_scalar(
        "INSERT INTO sections (slug, name, position, colour, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(slug)
    .bind(name)
    .bind(100 + count)
    .bind(colour)
    .bind(now())
    .fetch_one(&mut **tx)
    .await?;
    super::changes::append(tx, "section.created", "section", id).await?;
    Ok(id)
}

/// The section with this slug, made with it and `name` (and the next colour) if the store has
/// none: an export's sections keep their addresses.
pub async fn section_for_slug(tx: &mut Tx<'_>, slug: &str, name: &str) -> Result<i64> {
    if let Some(id) = sqlx::query_scalar::<_, i64>("SELECT id FROM sections WHERE slug = $1")
        .bind(slug)
        .fetch_optional(&mut **tx)
        .await?
    {
        return Ok(id);
    }
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sections")
        .fetch_one(&mut **tx)
        .await?;
    insert_section(tx, slug, name, count).await
}

/// Whether `slug` may name a section: not one of the paths the site answers itself.
pub fn section_slug_allowed(slug: &str) -> bool {
    !slug.is_empty() && !slug.contains('/') && !RESERVED_SLUGS.contains(&slug)
}

/// The tag named `name`, created if new. Tags are matched by slug so that spelling variants
/// that slug alike share one tag page.
pub async fn tag_for_name(tx: &mut Tx<'_>, name: &str) -> Result<Option<i64>> {
    let slug = bangla::slug::slugify(name);
    if slug.is_empty() {
        return Ok(None);
    }
    get_or_insert(tx, "tags", &slug, name).await.map(Some)
}

/// The author named `name`, created if new.
pub async fn author_for_name(tx: &mut Tx<'_>, name: &str) -> Result<Option<i64>> {
    let slug = bangla::slug::slugify(name);
    if slug.is_empty() {
        return Ok(None);
    }
    get_or_insert(tx, "authors", &slug, name).await.map(Some)
}

/// Replaces a story's tags and authors (created on demand), in the order given.
pub async fn set_labels(
    tx: &mut Tx<'_>,
    article_id: i64,
    tags: &[String],
    authors: &[String],
) -> Result<()> {
    let unslugged = |names: &[String]| -> Vec<(String, Option<String>)> {
        names.iter().map(|n| (n.clone(), None)).collect()
    };
    set_labels_slugged(tx, article_id, &unslugged(tags), &unslugged(authors)).await
}

/// [`set_labels`] with a slug given for some labels (an export's): a label is found by that
/// slug, or made with it and its name; one without a slug is found or made from its name.
pub async fn set_labels_slugged(
    tx: &mut Tx<'_>,
    article_id: i64,
    tags: &[(String, Option<String>)],
    authors: &[(String, Option<String>)],
) -> Result<()> {
    for (table, column, names) in [
        ("article_tags", "tag_id", tags),
        ("article_authors", "author_id", authors),
    ] {
        // `table` and `column` are our own constants, never user input.
        sqlx::query(&format!("DELETE FROM {table} WHERE article_id = $1"))
            .bind(article_id)
            .execute(&mut **tx)
            .await?;
        let insert = format!(
            "INSERT INTO {table} (article_id, {column}, position) VALUES ($1, $2, $3) \
             ON CONFLICT (article_id, {column}) DO NOTHING"
        );
        let mut position: i64 = 0;
        for (name, slug) in names {
            let label = match (slug, column == "tag_id") {
                (Some(slug), true) => Some(get_or_insert(tx, "tags", slug, name).await?),
                (Some(slug), false) => Some(get_or_insert(tx, "authors", slug, name).await?),
                (None, true) => tag_for_name(tx, name).await?,
                (None, false) => author_for_name(tx, name).await?,
            };
            if let Some(label) = label {
                sqlx::query(&insert)
                    .bind(article_id)
                    .bind(label)
                    .bind(position)
                    .execute(&mut **tx)
                    .await?;
                position += 1;
            }
        }
    }
    Ok(())
}

/// [`set_labels`] for many stories at once (an import batch): the labels of `updated`
/// stories are cleared, every label the stories name is looked up or created in a few
/// multi-row statements, and the stories' links written in one go per few hundred. Names
/// that slug alike share one label, the first name given naming a new one; positions count
/// as [`set_labels`] counts them.
pub async fn set_labels_many(
    tx: &mut Tx<'_>,
    stories: &[(&crate::storage::articles::NewArticle, i64)],
    updated: &[i64],
) -> Result<()> {
    const ROWS: usize = 100;
    for (table, column) in [("article_tags", "tag_id"), ("article_authors", "author_id")] {
        // `table` and `column` are our own constants, never user input.
        for chunk in updated.chunks(ROWS) {
            let sql = super::read::numbered(&format!(
                "DELETE FROM {table} WHERE article_id IN ({})",
                super::read::placeholders(chunk.len())
            ));
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            q.execute(&mut **tx).await?;
        }
        let is_tags = column == "tag_id";
        // Each story's labels as slugs (none for a name without one), and each slug's first name.
        let mut names: Vec<(String, &str)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let slugged: Vec<Vec<String>> = stories
            .iter()
            .map(|(a, _)| {
                let list = if is_tags { &a.tags } else { &a.authors };
                list.iter()
                    .filter_map(|name| {
                        let slug = bangla::slug::slugify(name);
                        if slug.is_empty() {
                            return None;
                        }
                        if seen.insert(slug.clone()) {
                            names.push((slug.clone(), name.as_str()));
                        }
                        Some(slug)
                    })
                    .collect()
            })
            .collect();
        if names.is_empty() {
            continue;
        }
        let labels = if is_tags { "tags" } else { "authors" };
        let ids = label_ids(tx, labels, &names).await?;
        let mut links: Vec<(i64, i64, i64)> = Vec::new();
        for ((_, article_id), slugs) in stories.iter().zip(&slugged) {
            for (position, slug) in slugs.iter().enumerate() {
                links.push((*article_id, ids[slug.as_str()], position as i64));
            }
        }
        for chunk in links.chunks(ROWS) {
            let sql = format!(
                "INSERT INTO {table} (article_id, {column}, position) VALUES {} \
                 ON CONFLICT (article_id, {column}) DO NOTHING",
                super::read::value_rows(chunk.len(), 3)
            );
            let mut q = sqlx::query(&sql);
            for (article, label, position) in chunk {
                q = q.bind(*article).bind(*label).bind(*position);
            }
            q.execute(&mut **tx).await?;
        }
    }
    Ok(())
}

/// The ids of the labels in `table` with the given slugs, those missing created with the
/// name beside their slug.
async fn label_ids(
    tx: &mut Tx<'_>,
    table: &str,
    names: &[(String, &str)],
) -> Result<std::collections::HashMap<String, i64>> {
    const ROWS: usize = 100;
    let mut ids = std::collections::HashMap::new();
    for chunk in names.chunks(ROWS) {
        // `table` is one of our own constants, never user input.
        let sql = super::read::numbered(&format!(
            "SELECT id, slug FROM {table} WHERE slug IN ({})",
            super::read::placeholders(chunk.len())
        ));
        let mut q = sqlx::query_as::<_, (i64, String)>(&sql);
        for (slug, _) in chunk {
            q = q.bind(slug);
        }
        for (id, slug) in q.fetch_all(&mut **tx).await? {
            ids.insert(slug, id);
        }
    }
    let missing: Vec<&(String, &str)> =
        names.iter().filter(|(s, _)| !ids.contains_key(s)).collect();
    let t = now();
    for chunk in missing.chunks(ROWS) {
        let sql = format!(
            "INSERT INTO {table} (slug, name, created_at) VALUES {} RETURNING id, slug",
            super::read::value_rows(chunk.len(), 3)
        );
        let mut q = sqlx::query_as::<_, (i64, String)>(&sql);
        for (slug, name) in chunk {
            q = q.bind(slug).bind(*name).bind(t);
        }
        for (id, slug) in q.fetch_all(&mut **tx).await? {
            ids.insert(slug, id);
        }
    }
    Ok(ids)
}

async fn get_or_insert(tx: &mut Tx<'_>, table: &str, slug: &str, name: &str) -> Result<i64> {
    // `table` is one of our own constants, never user input.
    let select = format!("SELECT id FROM {table} WHERE slug = $1");
    if let Some(id) = sqlx::query_scalar::<_, i64>(&select)
        .bind(slug)
        .fetch_optional(&mut **tx)
        .await?
    {
        return Ok(id);
    }
    let insert =
        format!("INSERT INTO {table} (slug, name, created_at) VALUES ($1, $2, $3) RETURNING id");
    Ok(sqlx::query_scalar(&insert)
        .bind(slug)
        .bind(name)
        .bind(now())
        .fetch_one(&mut **tx)
        .await?)
}

fn non_empty_slug(slug: String, prefix: &str, n: i64) -> String {
    if slug.is_empty() {
        format!("{prefix}-{n}")
    } else {
        slug
    }
}

async fn free_slug(tx: &mut Tx<'_>, table: &str, base: &str) -> Result<String> {
    let select = format!("SELECT COUNT(*) FROM {table} WHERE slug = $1");
    let mut candidate = base.to_owned();
    for n in 2.. {
        let taken: i64 = sqlx::query_scalar(&select)
            .bind(&candidate)
            .fetch_one(&mut **tx)
            .await?;
        if taken == 0 && !RESERVED_SLUGS.contains(&candidate.as_str()) {
            break;
        }
        candidate = format!("{base}-{n}");
    }
    Ok(candidate)
}

impl Store {
    /// Adds a section (a fresh slug from its name); returns its id.
    pub async fn add_section(&self, name: &str, colour: &str) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id = section_for_name(&mut tx, name).await?;
        sqlx::query("UPDATE sections SET colour = $2 WHERE id = $1")
            .bind(id)
            .bind(colour)
            .execute(&mut *tx)
            .await?;
        super::changes::append(&mut tx, "section.updated", "section", id).await?;
        self.commit(tx).await?;
        Ok(id)
    }

    /// Renames a section and sets its colour and menu position (the slug, and so every URL,
    /// stays). False if there is no such section.
    pub async fn update_section(
        &self,
        id: i64,
        name: &str,
        colour: &str,
        position: i64,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done =
            sqlx::query("UPDATE sections SET name = $2, colour = $3, position = $4 WHERE id = $1")
                .bind(id)
                .bind(name)
                .bind(colour)
                .bind(position)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
        if done {
            super::changes::append(&mut tx, "section.updated", "section", id).await?;
        }
        self.commit(tx).await?;
        Ok(done)
    }

    /// Renames a tag or an author (`kind` is "tag" or "author"); the slug stays.
    pub async fn rename_label(&self, kind: &str, id: i64, name: &str) -> Result<bool> {
        let table = match kind {
            "tag" => "tags",
            "author" => "authors",
            _ => return Ok(false),
        };
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(&format!("UPDATE {table} SET name = $2 WHERE id = $1"))
            .bind(id)
            .bind(name)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if done {
            super::changes::append(&mut tx, &format!("{kind}.updated"), kind, id).await?;
        }
        self.commit(tx).await?;
        Ok(done)
    }

    /// Each section's menu position, in the order of [`Store::sections`].
    pub async fn section_positions(&self) -> Result<Vec<i64>> {
        Ok(
            sqlx::query_scalar("SELECT position FROM sections ORDER BY position, id")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Authors with how many stories each has, most first.
    pub async fn authors_with_counts(&self, limit: i64) -> Result<Vec<(Author, i64)>> {
        let rows: Vec<(i64, String, String, i64)> = sqlx::query_as(
            "SELECT u.id, u.slug, u.name, COUNT(x.article_id) AS n FROM authors u \
             LEFT JOIN article_authors x ON x.author_id = u.id GROUP BY u.id, u.slug, u.name \
             ORDER BY n DESC, u.name LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, slug, name, n)| (Author { id, slug, name }, n))
            .collect())
    }
}
