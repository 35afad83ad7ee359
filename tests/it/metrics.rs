//! `/metrics`: requests counted by route template (never the raw path), durations as a
//! histogram, page-cache hits, the change-feed lag of each follower, the jobs' counters and the
//! database pool; never cached; behind a bearer token when one is configured.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};

use khobor::config::Overrides;

use crate::helpers::*;

/// One sample line of the exposition: `name{label="value",…} value`.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// The samples of an OpenMetrics text exposition (comments and `# EOF` skipped). Label values
/// here never hold `"` or `,`, so a plain split is enough.
fn parse(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("name and value");
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => {
                    let inner = rest.strip_suffix('}').expect("closing brace");
                    let labels = inner
                        .split(',')
                        .filter(|kv| !kv.is_empty())
                        .map(|kv| {
                            let (k, v) = kv.split_once('=').expect("label=value");
                            (k.to_owned(), v.trim_matches('"').to_owned())
                        })
                        .collect();
                    (name.to_owned(), labels)
                }
                None => (series.to_owned(), BTreeMap::new()),
            };
            Sample {
                name,
                labels,
                value: value
                    .parse()
                    .unwrap_or_else(|_| panic!("number in {line:?}")),
            }
        })
        .collect()
}

/// The samples named `name` whose labels include every one of `labels`.
fn find<'a>(samples: &'a [Sample], name: &str, labels: &[(&str, &str)]) -> Vec<&'a Sample> {
    samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            labels
                .iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .collect()
}

/// The one sample named `name` with exactly these labels.
#[track_caller]
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<_> = find(samples, name, labels)
        .into_iter()
        .filter(|s| s.labels.len() == labels.len())
        .collect();
    assert_eq!(found.len(), 1, "{name} {labels:?}: {found:?}");
    found[0].value
}

async fn scrape(t: &TestApp) -> (String, Vec<Sample>) {
    let page = t.get("/metrics").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(
        page.headers
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let content_type = page.headers[header::CONTENT_TYPE].to_str().unwrap();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    assert!(page.body.ends_with("# EOF\n"), "a complete exposition");
    let samples = parse(&page.body);
    (page.body, samples)
}

#[tokio::test]
async fn requests_cache_hits_lag_jobs_and_the_pool_are_reported() {
    let t = TestApp::new().await;
    t.import(&stories("খেলা", 1, 3)).await;
    let story = t.path_of("story-0002").await;
    assert_eq!(
        story.matches('/').count(),
        2,
        "{story} is /{{section}}/{{id}}"
    );
    for _ in 0..3 {
        assert_eq!(t.get(&story).await.status, StatusCode::OK);
    }
    assert_eq!(t.get("/latest").await.status, StatusCode::OK);
    t.app.sync_search().await.unwrap();

    let (text, samples) = scrape(&t).await;

    // Counted under the route's template, with the method and status.
    let article = [
        ("route", "/{section}/{id}"),
        ("method", "GET"),
        ("status", "200"),
    ];
    let served = value(&samples, "khobor_http_requests_total", &article);
    assert!(served >= 3.0, "{served}\n{text}");
    let latest = [("route", "/latest"), ("method", "GET"), ("status", "200")];
    assert!(value(&samples, "khobor_http_requests_total", &latest) >= 1.0);
    // The template, never the path a reader asked for (one series per story would grow
    // without bound).
    assert!(
        samples
            .iter()
            .all(|s| s.labels.get("route").is_none_or(|r| r != &story)),
        "raw path {story} used as a label:\n{text}"
    );
    assert!(!text.contains(&story), "{text}");

    // The histogram: cumulative buckets ending in +Inf, a count and a sum.
    let buckets = find(
        &samples,
        "khobor_http_request_duration_seconds_bucket",
        &[("route", "/{section}/{id}")],
    );
    assert!(buckets.len() > 5, "{buckets:?}");
    let inf = buckets
        .iter()
        .find(|b| b.labels["le"] == "+Inf")
        .expect("+Inf bucket");
    assert!(inf.value >= 3.0, "{inf:?}");
    assert!(buckets.windows(2).all(|w| w[0].value <= w[1].value));
    let count = value(
        &samples,
        "khobor_http_request_duration_seconds_count",
        &[("route", "/{section}/{id}")],
    );
    assert_eq!(count, inf.value);

    // The same story asked for three times: the later ones came from the page cache.
    assert!(
        value(&samples, "khobor_page_cache_hits_total", &[]) >= 1.0,
        "{text}"
    );
    assert!(value(&samples, "khobor_page_cache_misses_total", &[]) >= 1.0);
    assert!(value(&samples, "khobor_cache_entries", &[("cache", "page")]) >= 1.0);
    assert!(value(&samples, "khobor_cache_size_bytes", &[("cache", "page")]) > 0.0);

    // Both followers have applied every change: the cache when the first request came in,
    // the search index through `sync_search`.
    for follower in ["cache", "search"] {
        let lag = value(
            &samples,
            "khobor_change_feed_lag",
            &[("follower", follower)],
        );
        assert_eq!(lag, 0.0, "{follower}:\n{text}");
    }

    // Every job's counters exist from the start.
    for job in [
        "scheduled_publish",
        "media_variants",
        "search_index",
        "prune",
    ] {
        for outcome in ["done", "failed"] {
            value(
                &samples,
                "khobor_jobs_total",
                &[("job", job), ("outcome", outcome)],
            );
        }
    }

    let open = value(&samples, "khobor_db_pool_connections", &[]);
    let idle = value(&samples, "khobor_db_pool_idle", &[]);
    assert!(open >= 1.0 && idle <= open, "{open} open, {idle} idle");
}

#[tokio::test]
async fn the_lag_shows_changes_a_follower_has_not_applied() {
    let t = TestApp::new().await;
    t.import(&stories("খেলা", 1, 2)).await;
    t.app.sync_search().await.unwrap();
    let applied = t.app.store().last_change_seq().await.unwrap();
    t.import(&stories("খেলা", 3, 2)).await;
    let behind = t.app.store().last_change_seq().await.unwrap() - applied;
    assert!(
        behind >= 2,
        "two stories imported since the index caught up"
    );
    let (text, samples) = scrape(&t).await;
    let lag = value(
        &samples,
        "khobor_change_feed_lag",
        &[("follower", "search")],
    );
    assert_eq!(lag, behind as f64, "{text}");
    t.app.sync_search().await.unwrap();
    let (_, samples) = scrape(&t).await;
    let lag = value(
        &samples,
        "khobor_change_feed_lag",
        &[("follower", "search")],
    );
    assert_eq!(lag, 0.0);
}

#[tokio::test]
async fn requests_no_route_matched_share_one_label() {
    let t = TestApp::new().await;
    // A catch-all parameter needs at least one character, so a trailing slash after two
    // segments matches no route; the reader site's fallback answers (redirecting to the path
    // without the slash).
    let missing = t.get("/nowhere/at-all/").await;
    assert_eq!(missing.status, StatusCode::MOVED_PERMANENTLY);
    let (text, samples) = scrape(&t).await;
    let labels = [("route", "unmatched"), ("method", "GET"), ("status", "301")];
    assert_eq!(
        value(&samples, "khobor_http_requests_total", &labels),
        1.0,
        "{text}"
    );
    assert!(!text.contains("nowhere"), "{text}");
}

#[tokio::test]
async fn a_metrics_token_is_required_when_configured() {
    let token = "metrics-0123456789-token";
    let t = TestApp::with_settings(Overrides {
        metrics_token: Some(token.to_owned()),
        ..Overrides::default()
    })
    .await;
    let scrape_with = |auth: Option<&str>| {
        let mut req = Request::get("/metrics");
        if let Some(auth) = auth {
            req = req.header(header::AUTHORIZATION, auth);
        }
        req.body(Body::empty()).unwrap()
    };
    for refused in [None, Some("Bearer wrong-token-0123456789"), Some(token)] {
        let page = t.request(scrape_with(refused)).await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{refused:?}");
        assert!(!page.body.contains("khobor_"), "{}", page.body);
        assert_eq!(page.headers[header::WWW_AUTHENTICATE], "Bearer");
    }
    let page = t
        .request(scrape_with(Some(&format!("Bearer {token}"))))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("khobor_http_requests_total"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn a_job_counts_the_work_it_did() {
    let t = TestApp::new().await;
    t.add_user("editor@khobor.test", "রফিক করিম", "আরকে", "editor")
        .await;
    let editor = t.login("editor@khobor.test").await;
    let up = editor.upload("nodi.jpg", &jpeg(640, 400), "নদীর ছবি").await;
    assert!(
        up.status.is_success() || up.status.is_redirection(),
        "{}",
        up.status
    );
    let (_, samples) = scrape(&t).await;
    let done = [("job", "media_variants"), ("outcome", "done")];
    assert_eq!(value(&samples, "khobor_jobs_total", &done), 0.0);
    assert_eq!(t.app.process_media().await.unwrap(), 1);
    let (text, samples) = scrape(&t).await;
    assert_eq!(value(&samples, "khobor_jobs_total", &done), 1.0, "{text}");
    let failed = [("job", "media_variants"), ("outcome", "failed")];
    assert_eq!(value(&samples, "khobor_jobs_total", &failed), 0.0);
}
