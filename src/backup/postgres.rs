//! PostgreSQL's own tools, run for a backup (`pg_dump --format=custom`, from the snapshot
//! the backup counts rows in) and a restore (`pg_restore` in one transaction). The URL's
//! password goes to them in PGPASSWORD, never on a command line (which `ps` shows) or in
//! a message; their failures are one line.

use std::path::Path;
use std::process::Stdio;

use super::BackupError;
use crate::storage::snapshot;

/// Dumps the database at `url` as it was in the exported snapshot `snapshot_name` into the
/// new file `to`.
pub(super) async fn dump(url: &str, snapshot_name: &str, to: &Path) -> Result<(), BackupError> {
    let mut cmd = command("pg_dump", url)?;
    cmd.arg("--format=custom")
        .arg(format!("--snapshot={snapshot_name}"))
        .arg("--file")
        .arg(to);
    run(cmd, "pg_dump", url).await
}

/// Restores the dump `file` into the empty database at `url`, all or nothing.
pub(super) async fn restore(url: &str, file: &Path) -> Result<(), BackupError> {
    let mut cmd = command("pg_restore", url)?;
    cmd.args([
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
    ])
    .arg(file);
    run(cmd, "pg_restore", url).await
}

/// `program` set up to reach `url`: the URL without its password as `--dbname`, the
/// password in the environment.
fn command(program: &str, url: &str) -> Result<tokio::process::Command, BackupError> {
    let mut parsed = url::Url::parse(url)
        .map_err(|e| BackupError::Tool(format!("the database URL cannot be read: {e}")))?;
    let password = parsed
        .password()
        .map(|p| {
            percent_encoding::percent_decode_str(p)
                .decode_utf8_lossy()
                .into_owned()
        })
        .filter(|p| !p.is_empty());
    let _ = parsed.set_password(None);
    let mut cmd = tokio::process::Command::new(program);
    cmd.arg(format!("--dbname={parsed}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    Ok(cmd)
}

async fn run(
    mut cmd: tokio::process::Command,
    program: &str,
    url: &str,
) -> Result<(), BackupError> {
    let child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let server = snapshot::postgres_version(url)
                .await
                .ok()
                .and_then(|v| v.split('.').next().map(str::to_owned))
                .map(|major| {
                    format!(" (this server is PostgreSQL {major}: postgresql-client-{major})")
                })
                .unwrap_or_default();
            return Err(BackupError::Tool(format!(
                "{program} was not found: backups of a PostgreSQL store are made and restored with PostgreSQL's pg_dump and pg_restore, which must be on PATH; install the client tools of the server's major version or newer{server}"
            )));
        }
        Err(e) => return Err(BackupError::Tool(format!("cannot run {program}: {e}"))),
    };
    let out = child
        .wait_with_output()
        .await
        .map_err(|e| BackupError::Tool(format!("{program} did not finish: {e}")))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    Err(BackupError::Tool(format!(
        "{program} failed ({}): {}",
        out.status,
        one_line(&stderr, url)
    )))
}

/// A tool's complaints on one line: its `error:` and `detail:` lines (or all it said),
/// joined, with the URL's password (if it ever appears) hidden.
fn one_line(stderr: &str, url: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let telling: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.contains("error:") || l.contains("detail:") || l.contains("FATAL"))
        .collect();
    let text = if telling.is_empty() {
        lines.join("; ")
    } else {
        telling.join("; ")
    };
    match url::Url::parse(url)
        .ok()
        .and_then(|u| u.password().map(str::to_owned))
    {
        Some(p) if !p.is_empty() => text.replace(&p, "***"),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tool_failure_is_one_line_without_the_password() {
        let said = "pg_dump: error: aborting because of server version mismatch\n\
                    pg_dump: detail: server version: 16.1; pg_dump version: 15.5\n";
        assert_eq!(
            one_line(said, "postgres://u:s3cret@h/db"),
            "pg_dump: error: aborting because of server version mismatch; pg_dump: detail: server version: 16.1; pg_dump version: 15.5"
        );
        assert_eq!(
            one_line(
                "pg_restore: error: password s3cret refused\n",
                "postgres://u:s3cret@h/db"
            ),
            "pg_restore: error: password *** refused"
        );
    }
}
