//! The `khobor` binary itself: `import jsonl` (summary, bad lines, exit codes), `migrate`,
//! `serve --help`, configuration errors from flags, environment and file, and `serve --demo`
//! answering over real HTTP.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value};

use crate::helpers::{stories, wire_story};

const ENV_NAMES: [&str; 17] = [
    "KHOBOR_ADDR",
    "KHOBOR_DATABASE_URL",
    "KHOBOR_DEMO",
    "KHOBOR_CONFIG",
    "KHOBOR_DATA",
    "KHOBOR_SITE_NAME",
    "KHOBOR_SITE_SHORT_NAME",
    "KHOBOR_BASE_URL",
    "KHOBOR_TIMEZONE",
    "KHOBOR_LOG",
    "KHOBOR_METRICS_TOKEN",
    "KHOBOR_CARD_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_REGION",
];

/// The real binary, with no `KHOBOR_*` setting inherited from whoever runs the tests.
pub(crate) fn khobor() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_khobor"));
    for name in ENV_NAMES {
        cmd.env_remove(name);
    }
    cmd.stdin(Stdio::null());
    cmd
}

fn run(cmd: &mut Command) -> (Output, String, String) {
    let out = cmd.output().expect("khobor runs");
    let stdout = String::from_utf8(out.stdout.clone()).expect("UTF-8 stdout");
    let stderr = String::from_utf8(out.stderr.clone()).expect("UTF-8 stderr");
    (out, stdout, stderr)
}

fn write_jsonl(dir: &Path, name: &str, lines: &[String]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

/// How many stories the store in `data` holds, read with the library after the process ended.
async fn stored(data: &Path) -> i64 {
    let store = khobor::storage::Store::open_sqlite(&data.join("khobor.db"))
        .await
        .expect("store opens");
    let n = store.count_articles().await.unwrap();
    store.close().await;
    n
}

#[tokio::test]
async fn importing_a_good_file_prints_a_summary_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut lines = vec![wire_story().to_string()];
    lines.extend(stories("খেলা", 1, 3).iter().map(Value::to_string));
    let file = write_jsonl(dir.path(), "stories.jsonl", &lines);

    let (out, stdout, stderr) = run(khobor()
        .args(["import", "jsonl"])
        .arg(&file)
        .arg("--data")
        .arg(&data));
    assert!(out.status.success(), "stdout {stdout}\nstderr {stderr}");
    assert!(stdout.contains("imported 4 new"), "{stdout}");
    assert!(stdout.contains("skipped 0"), "{stdout}");
    assert_eq!(stored(&data).await, 4);

    // Again: nothing new, all unchanged, still success.
    let (out, stdout, _) = run(khobor()
        .args(["import", "jsonl"])
        .arg(&file)
        .arg("--data")
        .arg(&data));
    assert!(out.status.success());
    assert!(stdout.contains("imported 0 new"), "{stdout}");
    assert!(stdout.contains("unchanged 4"), "{stdout}");
    assert_eq!(stored(&data).await, 4);
}

#[tokio::test]
async fn a_bad_line_is_named_on_stderr_the_rest_imported_and_the_exit_code_is_2() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let good = stories("রাজনীতি", 1, 2);
    let lines = vec![
        good[0].to_string(),
        json!({"id": "no-title", "body": "শিরোনাম ছাড়া খবর।", "category": "রাজনীতি"}).to_string(),
        good[1].to_string(),
    ];
    let file = write_jsonl(dir.path(), "mixed.jsonl", &lines);

    let (out, stdout, stderr) = run(khobor()
        .args(["import", "jsonl"])
        .arg(&file)
        .arg("--data")
        .arg(&data));
    assert_eq!(
        out.status.code(),
        Some(2),
        "stdout {stdout}\nstderr {stderr}"
    );
    let complaint = stderr
        .lines()
        .find(|l| l.contains("line 2"))
        .unwrap_or_else(|| panic!("no `line 2` on stderr: {stderr}"));
    assert!(complaint.contains("`title`"), "{complaint}");
    assert!(!stderr.contains("line 1:") && !stderr.contains("line 3:"));
    assert!(stdout.contains("imported 2 new"), "{stdout}");
    assert!(stdout.contains("skipped 1"), "{stdout}");
    assert_eq!(stored(&data).await, 2);
}

#[tokio::test]
async fn importing_a_missing_file_fails_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-stories.jsonl");
    let (out, stdout, stderr) = run(khobor()
        .args(["import", "jsonl"])
        .arg(&missing)
        .arg("--data")
        .arg(dir.path().join("data")));
    assert!(!out.status.success(), "stdout {stdout}");
    assert!(stderr.contains("no-such-stories.jsonl"), "{stderr}");
}

#[tokio::test]
async fn importing_a_gzip_file_works_from_the_command_line() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let text: String = stories("বিনোদন", 1, 5)
        .iter()
        .map(|s| format!("{s}\n"))
        .collect();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(text.as_bytes()).unwrap();
    let file = dir.path().join("stories.jsonl.gz");
    std::fs::write(&file, enc.finish().unwrap()).unwrap();

    let (out, stdout, stderr) = run(khobor()
        .args(["import", "jsonl"])
        .arg(&file)
        .arg("--data")
        .arg(&data));
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("imported 5 new"), "{stdout}");
    assert_eq!(stored(&data).await, 5);
}

#[tokio::test]
async fn migrate_creates_the_database_in_the_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested").join("data");
    let (out, stdout, stderr) = run(khobor().arg("migrate").arg("--data").arg(&data));
    assert!(out.status.success(), "{stderr}");
    let db = data.join("khobor.db");
    assert!(db.is_file(), "{} missing", db.display());
    assert!(stdout.contains("khobor.db"), "{stdout}");
    assert_eq!(stored(&data).await, 0);

    // Running it again on an up-to-date store is harmless.
    let (out, _, stderr) = run(khobor().arg("migrate").arg("--data").arg(&data));
    assert!(out.status.success(), "{stderr}");
}

#[tokio::test]
async fn the_data_directory_can_come_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("from-env");
    let (out, _, stderr) = run(khobor().arg("migrate").env("KHOBOR_DATA", &data));
    assert!(out.status.success(), "{stderr}");
    assert!(data.join("khobor.db").is_file());
}

#[tokio::test]
async fn serve_help_mentions_every_setting_and_its_environment_name() {
    let (out, stdout, stderr) = run(khobor().args(["serve", "--help"]));
    assert!(out.status.success(), "{stderr}");
    for flag in [
        "--addr",
        "--data",
        "--demo",
        "--config",
        "--site-name",
        "--base-url",
        "--timezone",
        "--metrics-token",
    ] {
        assert!(stdout.contains(flag), "{flag} missing from:\n{stdout}");
    }
    for env in [
        "KHOBOR_ADDR",
        "KHOBOR_DATA",
        "KHOBOR_DEMO",
        "KHOBOR_CONFIG",
        "KHOBOR_SITE_NAME",
        "KHOBOR_BASE_URL",
        "KHOBOR_TIMEZONE",
        "KHOBOR_METRICS_TOKEN",
        "KHOBOR_CARD_KEY",
    ] {
        assert!(stdout.contains(env), "{env} missing from:\n{stdout}");
    }
}

#[tokio::test]
async fn an_unknown_time_zone_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (out, _, stderr) = run(khobor()
        .arg("migrate")
        .arg("--data")
        .arg(&data)
        .args(["--timezone", "Mars/Olympus"]));
    assert!(!out.status.success());
    assert!(stderr.contains("Mars/Olympus"), "{stderr}");
    assert!(!data.join("khobor.db").exists(), "nothing is created");

    // The same from the environment.
    let (out, _, stderr) = run(khobor()
        .arg("migrate")
        .arg("--data")
        .arg(&data)
        .env("KHOBOR_TIMEZONE", "Mars/Olympus"));
    assert!(!out.status.success());
    assert!(stderr.contains("Mars/Olympus"), "{stderr}");
}

#[tokio::test]
async fn a_bad_base_url_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _, stderr) = run(khobor()
        .arg("migrate")
        .arg("--data")
        .arg(dir.path())
        .args(["--base-url", "ftp://khobor.example"]));
    assert!(!out.status.success());
    assert!(stderr.contains("ftp://khobor.example"), "{stderr}");
}

#[tokio::test]
async fn a_config_file_with_an_unknown_key_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("khobor.toml");
    std::fs::write(&config, "[site]\nname = \"সকালের খবর\"\ncolour = \"red\"\n").unwrap();
    let data = dir.path().join("data");
    let (out, _, stderr) = run(khobor()
        .arg("migrate")
        .arg("--data")
        .arg(&data)
        .arg("--config")
        .arg(&config));
    assert!(!out.status.success());
    assert!(stderr.contains("khobor.toml"), "names the file: {stderr}");
    assert!(stderr.contains("colour"), "names the key: {stderr}");
    assert!(!data.join("khobor.db").exists());
}

#[tokio::test]
async fn a_config_file_is_read_for_the_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("configured");
    let config = dir.path().join("khobor.toml");
    std::fs::write(
        &config,
        format!(
            "data = {:?}\n[site]\ntimezone = \"Asia/Kolkata\"\n",
            data.display().to_string()
        ),
    )
    .unwrap();
    let (out, _, stderr) = run(khobor().arg("migrate").arg("--config").arg(&config));
    assert!(out.status.success(), "{stderr}");
    assert!(data.join("khobor.db").is_file());
}

#[tokio::test]
async fn a_missing_config_file_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _, stderr) = run(khobor()
        .arg("migrate")
        .arg("--data")
        .arg(dir.path())
        .arg("--config")
        .arg(dir.path().join("absent.toml")));
    assert!(!out.status.success());
    assert!(stderr.contains("absent.toml"), "{stderr}");
}

/// Kills the server when the test ends, pass or fail.
pub(crate) struct Server(pub std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn serve_with_demo_answers_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = khobor()
        .arg("serve")
        .args(["--addr", "127.0.0.1:0", "--demo"])
        .arg("--data")
        .arg(dir.path())
        .args(["--base-url", "http://khobor.test"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    // The first line names the bound address, once the socket is listening.
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let origin = line
        .split("http://")
        .nth(1)
        .map(|rest| format!("http://{}", rest.trim().trim_end_matches('/')))
        .unwrap_or_else(|| panic!("no address in {line:?}"));

    let client = reqwest::Client::new();
    let home = client.get(format!("{origin}/")).send().await.unwrap();
    assert_eq!(home.status(), 200);
    let html = home.text().await.unwrap();
    assert!(
        html.contains("lang=\"bn\""),
        "{}",
        &html[..html.len().min(200)]
    );

    let list: Value = client
        .get(format!("{origin}/api/v1/articles?limit=1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 48);
    let url = list["articles"][0]["url"].as_str().unwrap();
    let path = url.strip_prefix("http://khobor.test").unwrap();
    let article = client.get(format!("{origin}{path}")).send().await.unwrap();
    assert_eq!(article.status(), 200);
    let headline = list["articles"][0]["headline"].as_str().unwrap();
    assert!(article.text().await.unwrap().contains(headline));
    drop(server);
}

#[tokio::test]
async fn import_reads_naive_times_in_the_zone_it_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let line = json!({
        "id": "kolkata-1",
        "title": "কলকাতার সময়ে লেখা খবর",
        "body": "এই খবরের সময় কলকাতার ঘড়িতে লেখা।",
        "category": "আন্তর্জাতিক",
        "published": "2024-03-26 21:15:00",
    });
    let file = write_jsonl(dir.path(), "kolkata.jsonl", &[line.to_string()]);
    let (out, _, stderr) = run(khobor()
        .args(["import", "jsonl"])
        .arg(&file)
        .arg("--data")
        .arg(&data)
        .args(["--timezone", "Asia/Kolkata"]));
    assert!(out.status.success(), "{stderr}");

    // 21:15 in Kolkata (+05:30) is 21:45 in Dhaka (+06:00), where the test app shows times.
    let t = crate::helpers::open_data_dir(dir, &data).await;
    assert_eq!(
        t.api_article("kolkata-1").await["published_at"],
        "2024-03-26T21:45:00+06:00"
    );
    let page = t.get(&t.path_of("kolkata-1").await).await;
    assert_eq!(page.status, axum::http::StatusCode::OK);
    page.assert_contains("কলকাতার সময়ে লেখা খবর");
}

#[tokio::test]
async fn a_corrupt_gzip_file_fails_and_keeps_what_was_imported_before() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let good = write_jsonl(dir.path(), "good.jsonl", &[wire_story().to_string()]);
    let (out, _, stderr) = run(khobor()
        .args(["import", "jsonl"])
        .arg(&good)
        .arg("--data")
        .arg(&data));
    assert!(out.status.success(), "{stderr}");

    let text: String = stories("খেলা", 1, 10)
        .iter()
        .map(|s| format!("{s}\n"))
        .collect();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(text.as_bytes()).unwrap();
    let mut bytes = enc.finish().unwrap();
    for b in bytes.iter_mut().skip(10) {
        *b = 0xff;
    }
    let bad = dir.path().join("broken.jsonl.gz");
    std::fs::write(&bad, bytes).unwrap();
    let (out, _, stderr) = run(khobor()
        .args(["import", "jsonl"])
        .arg(&bad)
        .arg("--data")
        .arg(&data));
    assert!(!out.status.success());
    assert!(stderr.contains("line 1"), "{stderr}");
    assert_eq!(stored(&data).await, 1);
}

/// `khobor user add` with the password on standard input.
fn user_add(data: &Path, email: &str, role: &str, password: &str) -> (Output, String, String) {
    use std::io::Write;
    let mut child = khobor()
        .args([
            "user",
            "add",
            "--email",
            email,
            "--name",
            "প্রথম প্রশাসক",
            "--role",
            role,
            "--password-stdin",
            "--data",
        ])
        .arg(data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("khobor runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    (out, stdout, stderr)
}

#[tokio::test]
async fn the_first_admin_is_made_on_the_command_line_and_can_log_in() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (out, stdout, stderr) = user_add(
        &data,
        "Admin@Example.com",
        "admin",
        "correct horse battery staple",
    );
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("admin@example.com (admin)"), "{stdout}");
    // Bad input: clear messages, exit 2, nothing added.
    let (out, _, stderr) = user_add(
        &data,
        "admin@example.com",
        "editor",
        "correct horse battery staple",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("আগেই"), "{stderr}");
    let (out, _, stderr) = user_add(&data, "short@example.com", "editor", "short");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("পাসওয়ার্ড"), "{stderr}");
    let (out, _, stderr) = user_add(
        &data,
        "x@example.com",
        "root",
        "correct horse battery staple",
    );
    assert!(!out.status.success());
    assert!(stderr.contains("root"), "{stderr}");

    let (out, stdout, _) = run(khobor().args(["user", "list", "--data"]).arg(&data));
    assert!(out.status.success());
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let t = crate::helpers::open_data_dir(dir, &data).await;
    let done = t
        .try_login("admin@example.com", "correct horse battery staple")
        .await;
    assert_eq!(
        done.status,
        axum::http::StatusCode::SEE_OTHER,
        "{}",
        done.body
    );
}

/// `khobor token add` for `email`, labelled `label`.
fn token_add(data: &Path, email: &str, label: &str) -> (Output, String, String) {
    run(khobor()
        .args(["token", "add", "--email", email, "--label", label, "--data"])
        .arg(data))
}

#[tokio::test]
async fn token_add_prints_a_token_the_admin_api_accepts_and_stores_only_its_hash() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (out, _, stderr) = user_add(
        &data,
        "desk@example.com",
        "editor",
        "correct horse battery staple",
    );
    assert!(out.status.success(), "{stderr}");

    let (out, stdout, stderr) = token_add(&data, "Desk@Example.com", "deploy script");
    assert!(out.status.success(), "{stderr}");
    // The token alone on standard output, for `TOKEN=$(khobor token add …)`.
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let token = stdout.trim().to_owned();
    assert!(token.starts_with("khobor_"), "{token}");

    // Unknown people are refused in one line, with nothing on standard output.
    let (out, stdout, stderr) = token_add(&data, "nobody@example.com", "deploy script");
    assert_eq!(out.status.code(), Some(2));
    let line = assert_one_line_failure(&out, &stderr);
    assert!(
        line.contains("no newsroom account nobody@example.com"),
        "{line}"
    );
    assert!(stdout.is_empty(), "{stdout}");
    let (out, _, stderr) = token_add(&data, "desk@example.com", "   ");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        assert_one_line_failure(&out, &stderr).contains("label"),
        "{stderr}"
    );

    let t = crate::helpers::open_data_dir(dir, &data).await;
    let list = t
        .request(
            axum::http::Request::get("/api/v1/admin/articles")
                .header("authorization", format!("Bearer {token}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(list.status, axum::http::StatusCode::OK, "{}", list.body);

    // Stored as the tokens page stores them: the hash, the label, the person's role.
    let stored: Vec<(String, String, String)> =
        sqlx::query_as("SELECT token_hash, name, role FROM api_tokens")
            .fetch_all(t.app.store().pool())
            .await
            .unwrap();
    assert_eq!(
        stored,
        [(
            khobor::auth::token_hash(&token),
            "deploy script".to_owned(),
            "editor".to_owned()
        )]
    );
    assert_ne!(stored[0].0, token);

    // A disabled person gets no token.
    let store = t.app.store();
    let (user, _) = store
        .user_for_login("desk@example.com")
        .await
        .unwrap()
        .unwrap();
    store
        .update_user(
            user.id,
            user.role,
            &user.initials,
            true,
            &khobor::storage::users::Audit::default(),
        )
        .await
        .unwrap();
    let (out, stdout, stderr) = token_add(&data, "desk@example.com", "deploy script");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        assert_one_line_failure(&out, &stderr).contains("disabled"),
        "{stderr}"
    );
    assert!(stdout.is_empty(), "{stdout}");
}

/// Starts `khobor serve` over `data` on a port of the system's choosing; returns the server
/// and its origin once it listens (its first line on standard output names the address).
async fn start_server(data: &Path) -> (Server, String) {
    start_server_with(data, &[]).await
}

/// [`start_server`] with more arguments (`--database-url`, say).
pub(crate) async fn start_server_with(data: &Path, args: &[&str]) -> (Server, String) {
    let mut child = khobor()
        .arg("serve")
        .args(["--addr", "127.0.0.1:0"])
        .arg("--data")
        .arg(data)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let origin = line
        .split("http://")
        .nth(1)
        .map(|rest| format!("http://{}", rest.trim().trim_end_matches('/')))
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    (server, origin)
}

/// The process failed with exactly one line on standard error, `khobor: …`, and no panic.
#[track_caller]
pub(crate) fn assert_one_line_failure(out: &Output, stderr: &str) -> String {
    assert!(!out.status.success(), "exit status {:?}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let lines: Vec<&str> = stderr.trim_end().lines().collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    assert!(lines[0].starts_with("khobor: "), "{stderr}");
    lines[0].to_owned()
}

#[tokio::test]
async fn a_second_server_on_the_same_data_directory_is_refused_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (first, origin) = start_server(&data).await;
    let ready = reqwest::get(format!("{origin}/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200);

    let (out, _, stderr) = run(khobor()
        .arg("serve")
        .args(["--addr", "127.0.0.1:0"])
        .arg("--data")
        .arg(&data));
    let line = assert_one_line_failure(&out, &stderr);
    assert!(line.contains(&data.display().to_string()), "{line}");
    assert!(line.contains("in use"), "{line}");
    assert!(line.contains(&format!("pid {}", first.0.id())), "{line}");

    // `reindex` needs the index to itself too.
    let (out, _, stderr) = run(khobor().arg("reindex").arg("--data").arg(&data));
    let line = assert_one_line_failure(&out, &stderr);
    assert!(line.contains("in use"), "{line}");

    // The first one is untouched, and once it is gone the directory is free again.
    let ready = reqwest::get(format!("{origin}/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200);
    drop(first);
    let (_again, origin) = start_server(&data).await;
    let ready = reqwest::get(format!("{origin}/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200);
}

#[tokio::test]
async fn a_busy_port_is_refused_before_the_data_directory_is_made() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (out, _, stderr) = run(khobor()
        .arg("serve")
        .args(["--addr", &addr])
        .arg("--data")
        .arg(&data));
    let line = assert_one_line_failure(&out, &stderr);
    assert!(line.contains(&format!("cannot listen on {addr}")), "{line}");
    assert!(!data.exists(), "no data directory is made");
}

/// Imports `n` stories into a new store in `data` with the command line.
fn import_stories(dir: &Path, data: &Path, n: usize) {
    let lines: Vec<String> = stories("জাতীয়", 1, n).iter().map(Value::to_string).collect();
    let file = write_jsonl(dir, "stories.jsonl", &lines);
    let (out, _, stderr) = run(khobor()
        .args(["import", "jsonl"])
        .arg(&file)
        .arg("--data")
        .arg(data));
    assert!(out.status.success(), "{stderr}");
}

#[tokio::test]
async fn check_finds_a_damaged_store_and_serve_refuses_it_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    import_stories(dir.path(), &data, 300);
    let wal = std::fs::metadata(data.join("khobor.db-wal")).map_or(0, |m| m.len());
    assert_eq!(
        wal, 0,
        "the store is all in khobor.db once khobor has closed it"
    );
    let (out, stdout, stderr) = run(khobor().arg("check").arg("--data").arg(&data));
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("quick_check: ok"), "{stdout}");

    // Pages in the middle of the file (the stories' rows) overwritten.
    let db = data.join("khobor.db");
    let mut bytes = std::fs::read(&db).unwrap();
    let page = 4096;
    let middle = bytes.len() / page / 2;
    for b in &mut bytes[middle * page..(middle + 4) * page] {
        *b = 0x5a;
    }
    std::fs::write(&db, &bytes).unwrap();

    let (out, stdout, _) = run(khobor().arg("check").arg("--data").arg(&data));
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("DAMAGED"), "{stdout}");
    let (out, stdout, _) = run(khobor().args(["check", "--full"]).arg("--data").arg(&data));
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("integrity_check: DAMAGED"), "{stdout}");

    let (out, _, stderr) = run(khobor()
        .arg("serve")
        .args(["--addr", "127.0.0.1:0"])
        .arg("--data")
        .arg(&data));
    let line = assert_one_line_failure(&out, &stderr);
    assert!(line.contains("damaged"), "{line}");
    assert!(line.contains("khobor.db"), "{line}");
}

#[tokio::test]
async fn check_on_a_missing_store_says_so_and_makes_none() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (out, _, stderr) = run(khobor().arg("check").arg("--data").arg(&data));
    let line = assert_one_line_failure(&out, &stderr);
    assert!(line.contains("no store"), "{line}");
    assert!(!data.exists());
}

/// `khobor` as an unprivileged user when the tests run as root (as CI does), for whom file
/// permissions would not apply; as itself otherwise.
fn khobor_unprivileged(dir: &Path) -> Command {
    use std::os::unix::fs::MetadataExt;
    let probe = dir.join(".uid-probe");
    std::fs::write(&probe, b"").unwrap();
    let root = std::fs::metadata(&probe).unwrap().uid() == 0;
    std::fs::remove_file(&probe).unwrap();
    let mut cmd = if root {
        let mut cmd = Command::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(env!("CARGO_BIN_EXE_khobor"));
        cmd
    } else {
        Command::new(env!("CARGO_BIN_EXE_khobor"))
    };
    for name in ENV_NAMES {
        cmd.env_remove(name);
    }
    cmd.stdin(Stdio::null());
    cmd
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[tokio::test]
async fn a_read_only_store_or_search_directory_is_refused_at_start_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    chmod(dir.path(), 0o755);
    let data = dir.path().join("data");
    import_stories(dir.path(), &data, 3);
    let db = data.join("khobor.db");
    std::fs::create_dir_all(data.join("search")).unwrap();
    chmod(&data, 0o777);
    chmod(&data.join("search"), 0o777);

    // The database file read-only: refused, not answered with 500 at every save.
    chmod(&db, 0o444);
    let (out, _, stderr) = run(khobor_unprivileged(dir.path())
        .arg("serve")
        .args(["--addr", "127.0.0.1:0"])
        .arg("--data")
        .arg(&data));
    let line = assert_one_line_failure(&out, &stderr);
    assert!(line.contains("khobor.db"), "{line}");
    assert!(line.contains("not writable"), "{line}");

    // The search index's directory read-only: named, not tantivy's lock message.
    chmod(&db, 0o666);
    chmod(&data.join("search"), 0o555);
    let (out, _, stderr) = run(khobor_unprivileged(dir.path())
        .arg("serve")
        .args(["--addr", "127.0.0.1:0"])
        .arg("--data")
        .arg(&data));
    let line = assert_one_line_failure(&out, &stderr);
    assert!(line.contains("search is not writable"), "{line}");
    assert!(!line.contains("IndexWriter"), "{line}");

    // The data directory itself read-only.
    chmod(&data.join("search"), 0o777);
    chmod(&data, 0o555);
    let (out, _, stderr) = run(khobor_unprivileged(dir.path())
        .arg("serve")
        .args(["--addr", "127.0.0.1:0"])
        .arg("--data")
        .arg(&data));
    let line = assert_one_line_failure(&out, &stderr);
    assert!(
        line.contains(&format!("{} is not writable", data.display())),
        "{line}"
    );
    chmod(&data, 0o755);
}

#[tokio::test]
async fn a_wrong_unreachable_or_newer_database_stops_start_up_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let serve = |url: &str| {
        let mut cmd = khobor();
        cmd.args(["serve", "--addr", "127.0.0.1:0", "--data"])
            .arg(&data)
            .args(["--database-url", url]);
        run(&mut cmd)
    };

    let (out, _, stderr) = serve("mysql://root@127.0.0.1/khobor");
    let line = assert_one_line_failure(&out, &stderr);
    assert!(line.contains("not a PostgreSQL URL"), "{line}");

    // Nothing listens on port 1.
    let (out, _, stderr) = serve("postgres://postgres:secret@127.0.0.1:1/khobor");
    let line = assert_one_line_failure(&out, &stderr);
    assert!(line.contains("cannot reach the database"), "{line}");
    assert!(
        !line.contains("secret"),
        "the password is not printed: {line}"
    );

    // A database a newer khobor has migrated.
    let db = crate::helpers::TestDatabase::create(&crate::helpers::postgres_server()).await;
    let store = khobor::storage::Store::open(&khobor::storage::Location::Postgres(db.url()))
        .await
        .unwrap();
    let newest = khobor::storage::identity::expected_schema_version();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES ($1, 'from the future', TRUE, $2, 0)",
    )
    .bind(newest + 1)
    .bind(vec![0u8; 48])
    .execute(store.pool())
    .await
    .unwrap();
    store.close().await;
    let (out, _, stderr) = serve(&db.url());
    let line = assert_one_line_failure(&out, &stderr);
    assert!(line.contains(&format!("version {}", newest + 1)), "{line}");
    assert!(line.contains("newer than this khobor"), "{line}");
}

#[tokio::test]
async fn khobor_bijoy_converts_the_bijoy_lines_of_a_legacy_file_and_keeps_the_others() {
    use std::io::Write;
    // A file as an old Bijoy archive holds it: Windows-1252 bytes (0x87 is the ‡ that stands
    // for the e-kar typed before its consonant), CRLF line ends, an English line between.
    let mut input = b"evsjv".to_vec();
    input.push(0x87);
    input.extend_from_slice(b"`k miKvi Ges RbMY\r\nThe Daily Star reported on Monday\r\n");
    input.extend_from_slice("বাংলাদেশ\r\n".as_bytes());
    let mut child = khobor()
        .arg("bijoy")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("khobor runs");
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(out.stdout).expect("UTF-8 out");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        stdout,
        "বাংলাদেশ সরকার এবং জনগণ\nThe Daily Star reported on Monday\nবাংলাদেশ\n"
    );
    assert!(stderr.contains("converted 1 of 3 lines"), "{stderr}");
}

#[tokio::test]
async fn import_converts_bijoy_fields_unless_told_not_to() {
    let dir = tempfile::tempdir().unwrap();
    let line = serde_json::json!({
        "id": "bijoy-1", "title": "evsjv‡`k miKvi Ges RbMY", "body": "miKvi Ges RbMY evsjv‡`k",
        "category": "evsjv‡`k", "published": "2025-06-01T10:00:00+06:00", "source": null, "url": null,
    });
    let file = write_jsonl(dir.path(), "bijoy.jsonl", &[line.to_string()]);
    for (flag, converted) in [(None, true), (Some("off"), false)] {
        let data = dir.path().join(format!("data-{converted}"));
        let mut cmd = khobor();
        cmd.args(["import", "jsonl"])
            .arg(&file)
            .arg("--data")
            .arg(&data);
        if let Some(f) = flag {
            cmd.args(["--bijoy", f]);
        }
        let (out, stdout, stderr) = run(&mut cmd);
        assert!(out.status.success(), "{stdout}\n{stderr}");
        assert_eq!(
            stdout.contains("stories converted from Bijoy to Unicode: 1"),
            converted,
            "{stdout}"
        );
        let store = khobor::storage::Store::open_sqlite(&data.join("khobor.db"))
            .await
            .unwrap();
        let ids = store.published_ids_after(0, 10).await.unwrap();
        let a = store.published_article(ids[0]).await.unwrap().unwrap();
        store.close().await;
        let expected = if converted {
            "বাংলাদেশ সরকার এবং জনগণ"
        } else {
            "evsjv‡`k miKvi Ges RbMY"
        };
        assert_eq!(a.headline, expected);
    }
    let (out, _, stderr) = run(khobor()
        .args(["import", "jsonl"])
        .arg(&file)
        .args(["--bijoy", "sometimes"]));
    assert!(!out.status.success());
    assert!(
        stderr.contains("auto") && stderr.contains("off"),
        "{stderr}"
    );
}
