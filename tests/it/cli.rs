//! The `khobor` binary itself: `import jsonl` (summary, bad lines, exit codes), `migrate`,
//! `serve --help`, configuration errors from flags, environment and file, and `serve --demo`
//! answering over real HTTP.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value};

use crate::helpers::{stories, wire_story};

const ENV_NAMES: [&str; 9] = [
    "KHOBOR_ADDR",
    "KHOBOR_DEMO",
    "KHOBOR_CONFIG",
    "KHOBOR_DATA",
    "KHOBOR_SITE_NAME",
    "KHOBOR_SITE_SHORT_NAME",
    "KHOBOR_BASE_URL",
    "KHOBOR_TIMEZONE",
    "KHOBOR_LOG",
];

/// The real binary, with no `KHOBOR_*` setting inherited from whoever runs the tests.
fn khobor() -> Command {
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
    let store = khobor::storage::Store::open(&data.join("khobor.db"))
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
struct Server(std::process::Child);

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
