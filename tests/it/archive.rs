//! The load-test archive generator: copies of the stories in the store, spread over the years
//! and the sections, with their tags and authors, visible on the reader's lists at once.

use crate::helpers::*;

#[tokio::test]
async fn an_archive_is_spread_over_the_years_and_sections_and_served_at_once() {
    let t = TestApp::new().await;
    let mut corpus = stories("জাতীয়", 0, 3);
    corpus.extend(stories("খেলা", 3, 2));
    t.import(&corpus).await;
    // The home page is cached before the archive arrives.
    let before = t.get("/").await;
    let now = khobor::storage::now();
    let mut seen = Vec::new();
    let added = t
        .app
        .store()
        .generate_archive(40, 20, now, |n| seen.push(n))
        .await
        .unwrap();
    assert_eq!(added, 40);
    assert_eq!(seen.last(), Some(&40));
    let pool = t.app.store().pool();
    let (count, oldest, newest): (i64, i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), MIN(published_at), MAX(published_at) FROM articles
         WHERE status = 'published' AND external_id LIKE 'archive-%'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(count, 40);
    let year = 365 * 86_400;
    assert!(
        oldest >= now - 20 * year && oldest < now - 19 * year,
        "oldest {oldest}"
    );
    assert!(newest <= now && newest > now - year, "newest {newest}");
    let per_section: Vec<i64> = sqlx::query_scalar(
        "SELECT COUNT(*) FROM articles WHERE external_id LIKE 'archive-%' GROUP BY section_id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let sections: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sections")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(
        per_section.len() as i64,
        sections,
        "every section gets copies"
    );
    assert!(
        per_section
            .iter()
            .all(|n| *n == 40 / sections || *n == 40 / sections + 1),
        "{per_section:?}"
    );
    let untagged: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM articles a WHERE external_id LIKE 'archive-%'
         AND (NOT EXISTS (SELECT 1 FROM article_tags t WHERE t.article_id = a.id)
           OR NOT EXISTS (SELECT 1 FROM article_authors p WHERE p.article_id = a.id))",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(untagged, 0, "every copy keeps its tags and author");
    // The newest copy leads the (previously cached) home page.
    let newest_id: i64 = sqlx::query_scalar(
        "SELECT id FROM articles WHERE status = 'published' ORDER BY published_at DESC, id DESC LIMIT 1",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let after = t.get("/").await;
    assert_ne!(after.body, before.body);
    assert!(after
        .links()
        .iter()
        .any(|l| l.ends_with(&format!("/{newest_id}"))));
}
