//! Criterion micro-benchmarks of page rendering, in-process through the production router over
//! the demo paper in a temporary SQLite store:
//!   * a story page rendered in full (cache off: story, latest list, related stories, menu);
//!   * the same page answered from the cache;
//!   * the latest list page (`/latest`), rendered in full.
//!
//! Run: `cargo bench --bench render`

use axum::body::Body;
use axum::http::{Request, StatusCode};
use criterion::{criterion_group, criterion_main, Criterion};
use http_body_util::BodyExt;
use tower::ServiceExt;

use khobor::app::App;
use khobor::config::{Config, Overrides};

fn app(rt: &tokio::runtime::Runtime, dir: &std::path::Path, cache_mb: u32) -> App {
    let file = dir.join("khobor.toml");
    std::fs::write(&file, format!("[cache]\nmemory_mb = {cache_mb}\n")).unwrap();
    let over = Overrides {
        data: Some(dir.join("data")),
        config: Some(file),
        ..Overrides::default()
    };
    rt.block_on(async {
        let app = App::build(Config::load(&over, Some("127.0.0.1:0")).unwrap())
            .await
            .unwrap();
        khobor::demo::load_if_empty(app.store(), chrono_tz::Asia::Dhaka)
            .await
            .unwrap();
        app.sync_search().await.unwrap();
        app
    })
}

fn get(rt: &tokio::runtime::Runtime, app: &App, path: &str) -> usize {
    rt.block_on(async {
        let res = app
            .router
            .clone()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        res.into_body().collect().await.unwrap().to_bytes().len()
    })
}

fn render(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let cold_dir = tempfile::tempdir().unwrap();
    let warm_dir = tempfile::tempdir().unwrap();
    let cold = app(&rt, cold_dir.path(), 0);
    let warm = app(&rt, warm_dir.path(), 64);
    let story = "/national/1";
    assert!(get(&rt, &cold, story) > 10_000);
    c.bench_function("story page, rendered in full", |b| {
        b.iter(|| get(&rt, &cold, story))
    });
    c.bench_function("story page, from the cache", |b| {
        b.iter(|| get(&rt, &warm, story))
    });
    c.bench_function("latest list page, rendered in full", |b| {
        b.iter(|| get(&rt, &cold, "/latest"))
    });
}

criterion_group!(benches, render);
criterion_main!(benches);
