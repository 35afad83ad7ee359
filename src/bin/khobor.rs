//! The `khobor` command: parses the command line and calls the library. No logic of its own.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use khobor::app::App;
use khobor::config::{Config, Overrides};
use khobor::domain::bijoy::BijoyMode;
use khobor::media_store::MediaStore;
use khobor::storage::Store;

/// mimalloc rather than the system allocator: a page served from the cache is mostly small
/// allocations freed on another thread, where glibc's malloc spent an eighth of the time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "khobor",
    version,
    about = "খবর — a Bengali-first news publishing platform"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the newspaper: reader site, feeds, sitemaps and API
    Serve {
        /// Address to listen on (IP:PORT) [default: 127.0.0.1:8080]
        #[arg(long, env = "KHOBOR_ADDR", value_name = "ADDR")]
        addr: Option<String>,
        /// Load the demo stories into an empty store (does nothing if there are stories already)
        #[arg(long, env = "KHOBOR_DEMO")]
        demo: bool,
        #[command(flatten)]
        settings: Overrides,
    },
    /// Import stories from a file
    Import {
        #[command(subcommand)]
        format: ImportFormat,
    },
    /// Measure search relevance (MRR@10, recall@10 per kind) on a corpus and known-item
    /// queries, for Khobor's analyzer and two baselines, on fresh in-memory indexes
    EvalSearch {
        /// Stories in the import format (JSON Lines, plain or gzip)
        corpus: PathBuf,
        /// Queries: TSV with the columns id, kind, query, note
        queries: PathBuf,
    },
    /// Measure related stories on a corpus: how many of each story's most similar stories
    /// (over their whole text, worked out for every pair) its related list finds, on a fresh
    /// in-memory index
    EvalRelated {
        /// Stories in the import format (JSON Lines, plain or gzip)
        corpus: PathBuf,
    },
    /// Build a large archive for load tests: import a corpus, then copy its stories under new
    /// ids, dated over the past years and dealt round the sections (then run `reindex` to make
    /// them searchable)
    Archive {
        /// Stories in the import format (JSON Lines, plain or gzip)
        #[arg(long)]
        from: PathBuf,
        /// How many copies to add
        #[arg(long, default_value_t = 100_000)]
        stories: i64,
        /// Years the copies are spread over, ending now
        #[arg(long, default_value_t = 20)]
        years: i64,
        #[command(flatten)]
        settings: Overrides,
    },
    /// Rebuild the search index from the store (into a new directory, swapped in when
    /// complete), then work out every story's related stories (run while the server is
    /// stopped; Ctrl-C stops it and keeps the previous index)
    Reindex {
        /// Keep the index; only work out the related stories again
        #[arg(long)]
        related_only: bool,
        #[command(flatten)]
        settings: Overrides,
    },
    /// The search index's snapshots in the media store
    Search {
        #[command(subcommand)]
        action: SearchAction,
    },
    /// Check the store for damage, changing nothing: PRAGMA quick_check, or with --full
    /// integrity_check (slower: also compares every index with its table); exits 1 if
    /// anything is wrong
    Check {
        /// Run the full integrity_check
        #[arg(long)]
        full: bool,
        #[command(flatten)]
        settings: Overrides,
    },
    /// Newsroom accounts
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Admin-API tokens
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Write every published story as the JSONL import format (OUT_DIR/stories.jsonl) and the
    /// original bytes of the images they show (OUT_DIR/media/); `khobor import jsonl
    /// OUT_DIR/stories.jsonl` into an empty store gives back the same site. OUT_DIR must be new
    /// or empty
    Export {
        /// The directory to write (made if missing)
        out_dir: PathBuf,
        #[command(flatten)]
        settings: Overrides,
    },
    /// Create the database or bring its schema up to date, then exit
    Migrate {
        #[command(flatten)]
        settings: Overrides,
    },
    /// Convert text typed in Bijoy (SutonnyMJ) to Unicode Bengali: standard input to standard
    /// output, line by line; lines in English or already in Unicode are left as they are
    Bijoy {
        /// Convert every line, even those that do not look like Bijoy
        #[arg(long)]
        all: bool,
    },
    /// The key photocards are signed with
    CardKey {
        #[command(subcommand)]
        action: CardKeyAction,
    },
    /// Photocards
    Card {
        #[command(subcommand)]
        action: CardAction,
    },
    /// Copy a site's SQLite store (a consistent snapshot: the site may keep running) into an
    /// empty PostgreSQL database, keeping every table, id and sequence, then check each
    /// table's row count and checksum on both sides; exits 1 if any differs
    MigrateStore {
        /// The data directory of the site to copy (the one holding khobor.db)
        #[arg(long, value_name = "SQLITE_DATA_DIR")]
        from: PathBuf,
        /// The empty PostgreSQL database to copy into (postgres://…)
        #[arg(long, value_name = "URL")]
        to: String,
    },
    /// The media store: uploaded images and their variants
    Media {
        #[command(subcommand)]
        action: MediaAction,
    },
    /// Back up the store and the media while the site keeps serving: a consistent snapshot
    /// of the database (SQLite: VACUUM INTO; PostgreSQL: pg_dump), every media object not
    /// in the destination yet, and a manifest with checksums, written last.
    /// `khobor backup verify` checks a backup
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Backup {
        #[command(subcommand)]
        action: Option<Box<BackupAction>>,
        /// Where to: a directory, or s3://BUCKET/PREFIX (the media store's S3 service and
        /// credentials, or AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID,
        /// AWS_SECRET_ACCESS_KEY)
        #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX", required = true)]
        to: Option<String>,
        #[command(flatten)]
        settings: Overrides,
    },
    /// Restore a backup into an empty data directory (SQLite) or an empty database
    /// (--database-url), and its media into the media store, after checking every
    /// checksum; a target that holds a store is refused
    Restore {
        /// The backups' directory or s3://BUCKET/PREFIX
        #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
        from: String,
        /// Which backup [default: the newest complete one]
        #[arg(long, value_name = "ID")]
        backup: Option<String>,
        #[command(flatten)]
        settings: Overrides,
    },
}

#[derive(Subcommand)]
enum BackupAction {
    /// Restore a backup into a scratch store (a temporary file; for PostgreSQL a scratch
    /// database on the --database-url server, dropped afterwards) and compare every table,
    /// the database file and every media object with its manifest; exits 1 if any differs
    Verify {
        /// The backups' directory or s3://BUCKET/PREFIX
        #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
        from: String,
        /// Which backup [default: the newest complete one]
        #[arg(long, value_name = "ID")]
        backup: Option<String>,
        #[command(flatten)]
        settings: Overrides,
    },
}

#[derive(Subcommand)]
enum MediaAction {
    /// Copy every object from the data directory's media/ folder into the S3 bucket of the
    /// configuration's [media] section (objects already there with the same size and
    /// checksum are skipped), then read each back and compare its SHA-256 with the source's;
    /// exits 1 if any differs. Safe to run again, and while the site runs
    Migrate {
        /// Where to copy to: the store configured under [media] (store = "s3")
        #[arg(long, value_enum)]
        to: MediaTarget,
        #[command(flatten)]
        settings: Overrides,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum MediaTarget {
    S3,
}

#[derive(Subcommand)]
enum UserAction {
    /// Add a person who can log in to the newsroom (the first admin is made this way)
    Add {
        #[arg(long)]
        email: String,
        /// Name as bylines and the newsroom show it
        #[arg(long)]
        name: String,
        /// contributor (writes, submits), editor (edits, publishes), admin (users, settings)
        #[arg(long, value_parser = ["contributor", "editor", "admin"])]
        role: String,
        /// Initials for the desk signature (e.g. এসআই); suggested from the name if left out
        #[arg(long, default_value = "")]
        initials: String,
        /// Read the password from standard input (one line) instead of asking for it
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        settings: Overrides,
    },
    /// Make an API token for the admin API, acting for this person (printed once)
    Token {
        /// The person the token acts for
        #[arg(long)]
        email: String,
        /// What the token is for, e.g. "AFP wire"
        #[arg(long)]
        name: String,
        /// The token's role (never more than the person's own)
        #[arg(long, value_parser = ["contributor", "editor", "admin"])]
        role: String,
        #[command(flatten)]
        settings: Overrides,
    },
    /// List the newsroom's people
    List {
        #[command(flatten)]
        settings: Overrides,
    },
}

#[derive(Subcommand)]
enum SearchAction {
    /// Bring the search index up to date with the store and upload a snapshot of it now, as
    /// the server does every `[search] snapshot_minutes` (run while the server is stopped;
    /// refused while another node holds the snapshot lease)
    Snapshot {
        #[command(flatten)]
        settings: Overrides,
    },
}

#[derive(Subcommand)]
enum CardKeyAction {
    /// Make a new signing key for this node's cards and retire the old ones: they stay
    /// published (with the time they were retired), so the cards they signed still verify
    Rotate {
        #[command(flatten)]
        settings: Overrides,
    },
}

#[derive(Subcommand)]
enum CardAction {
    /// Check a card's signed record (the JSON at /c/CODE.json, saved to a file) against the
    /// paper's published keys, offline; exits 1 if it does not verify
    Verify {
        /// The record: {"record", "signature", "kid", "alg"}
        file: PathBuf,
        /// The paper's key set (its /.well-known/khobor-card-keys.json, saved to a file)
        /// [default: the keys in this site's store]
        #[arg(long, value_name = "JWKS_FILE")]
        keys: Option<PathBuf>,
        #[command(flatten)]
        settings: Overrides,
    },
}

#[derive(Subcommand)]
enum TokenAction {
    /// Make an admin-API token acting for an existing person and print it once on standard
    /// output (for deploy scripts); only its hash is stored
    Add {
        /// The person the token acts for
        #[arg(long)]
        email: String,
        /// What the token is for, as the tokens page lists it, e.g. "deploy script"
        #[arg(long)]
        label: String,
        /// The token's role, never more than the person's own [default: the person's role]
        #[arg(long, value_parser = ["contributor", "editor", "admin"])]
        role: Option<String>,
        #[command(flatten)]
        settings: Overrides,
    },
}

#[derive(Subcommand)]
enum ImportFormat {
    /// JSON Lines (optionally gzip): id, title, body, category, published, source, url, and
    /// optionally summary, tags, author, credit, signature, image, kicker, dateline; an
    /// export's article_id, section_slug, images and featured (images read from the media/
    /// folder beside the file)
    Jsonl {
        /// The file to import
        file: PathBuf,
        /// auto: convert each field typed in Bijoy (SutonnyMJ) to Unicode Bengali; off: never
        #[arg(long, value_enum, default_value_t = Bijoy::Auto)]
        bijoy: Bijoy,
        #[command(flatten)]
        settings: Overrides,
    },
    /// A WordPress export (WXR, "Tools → Export → All content"): posts with their categories,
    /// tags and authors, and redirects from the old site's links
    Wordpress {
        /// The .xml export
        file: PathBuf,
        /// The old site's wp-content/uploads folder: body images and featured images go into
        /// the media library from it (without it they keep their old URLs)
        #[arg(long, value_name = "DIR")]
        uploads: Option<PathBuf>,
        /// The old site's permalinks: `name` (/post-name/) or `date` (also /YYYY/MM/DD/post-name/)
        #[arg(long, value_enum, default_value_t = WpPermalink::Name)]
        permalink: WpPermalink,
        /// auto: convert each field typed in Bijoy (SutonnyMJ) to Unicode Bengali; off: never
        #[arg(long, value_enum, default_value_t = Bijoy::Auto)]
        bijoy: Bijoy,
        /// A TOML file of `"category" = "section"` lines (a category by its slug or name): the
        /// section each WordPress category's posts go to; a child category not listed goes by
        /// its nearest listed parent, others to a section of their own name
        #[arg(long, value_name = "FILE")]
        section_map: Option<PathBuf>,
        #[command(flatten)]
        settings: Overrides,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum WpPermalink {
    Name,
    Date,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Bijoy {
    Auto,
    Off,
}

impl From<Bijoy> for BijoyMode {
    fn from(b: Bijoy) -> BijoyMode {
        match b {
            Bijoy::Auto => BijoyMode::Auto,
            Bijoy::Off => BijoyMode::Off,
        }
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KHOBOR_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("khobor: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("khobor: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve {
            addr,
            demo,
            settings,
        } => {
            let config = Config::load(&settings, addr.as_deref())?;
            // The port first: a busy one is refused before the data directory is made,
            // locked or migrated.
            let listener = tokio::net::TcpListener::bind(config.addr)
                .await
                .with_context(|| format!("cannot listen on {}", config.addr))?;
            let app = App::build(config.clone()).await?;
            if demo {
                match khobor::demo::load_if_empty(app.store(), config.site.timezone).await? {
                    Some(r) => tracing::info!(stories = r.inserted, "demo content loaded"),
                    None => tracing::info!("store has stories already; demo content not loaded"),
                }
            }
            println!("খবর চলছে: http://{}/", listener.local_addr()?);
            app.serve(listener, shutdown_signal()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bijoy { all } => {
            let done = khobor::import::bijoy::convert_lines(
                std::io::stdin().lock(),
                std::io::BufWriter::new(std::io::stdout().lock()),
                all,
            )
            .context("bijoy")?;
            eprintln!(
                "converted {} of {} lines from Bijoy",
                done.converted, done.lines
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::EvalRelated { corpus } => {
            let docs = read_eval_corpus(&corpus)?;
            let started = std::time::Instant::now();
            let scores = khobor::search::eval::eval_related(&docs)?;
            println!(
                "{} stories, {:.1} s",
                docs.len(),
                started.elapsed().as_secs_f64()
            );
            print!("{}", khobor::search::eval::related_report(&scores));
            Ok(ExitCode::SUCCESS)
        }
        Command::EvalSearch { corpus, queries } => {
            let docs = read_eval_corpus(&corpus)?;
            let file = std::fs::File::open(&queries)
                .with_context(|| format!("cannot read {}", queries.display()))?;
            let queries = khobor::search::eval::read_queries(std::io::BufReader::new(file))?;
            let started = std::time::Instant::now();
            let results = khobor::search::eval::evaluate(&docs, &queries)?;
            println!(
                "{} stories, {} queries, {:.1} s\n",
                docs.len(),
                queries.len(),
                started.elapsed().as_secs_f64()
            );
            print!("{}", khobor::search::eval::table(&results));
            Ok(ExitCode::SUCCESS)
        }
        Command::Archive {
            from,
            stories,
            years,
            settings,
        } => {
            if !(1..=10_000_000).contains(&stories) {
                anyhow::bail!("--stories must be between 1 and 10000000 (got {stories})");
            }
            if !(1..=100).contains(&years) {
                anyhow::bail!("--years must be between 1 and 100 (got {years})");
            }
            let config = Config::load(&settings, None)?;
            let store = config.open_store().await?;
            let report = khobor::import::import_jsonl_file(
                &store,
                &from,
                config.site.timezone,
                BijoyMode::Off,
                false,
            )
            .await?;
            eprintln!(
                "corpus: {} new, {} already there, {} skipped",
                report.inserted,
                report.unchanged + report.updated,
                report.skipped.len()
            );
            let bar = if std::io::stderr().is_terminal() {
                indicatif::ProgressBar::new(stories as u64)
            } else {
                indicatif::ProgressBar::hidden()
            };
            let started = std::time::Instant::now();
            let added = store
                .generate_archive(stories, years, khobor::storage::now(), |n| {
                    bar.set_position(n as u64)
                })
                .await;
            bar.finish_and_clear();
            store.close().await;
            let added = added?;
            let secs = started.elapsed().as_secs_f64();
            println!(
                "added {added} stories over {years} years in {secs:.1} s ({:.0} stories/s); run `khobor reindex` to make them searchable",
                added as f64 / secs.max(0.001)
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Reindex {
            related_only,
            settings,
        } => {
            let config = Config::load(&settings, None)?;
            let _lock = khobor::datadir::DataDirLock::acquire(&config.data_dir)?;
            let store = config.open_store().await?;
            let result = reindex(&config, &store, related_only).await;
            store.close().await;
            result
        }
        Command::Check { full, settings } => {
            let config = Config::load(&settings, None)?;
            check(&config, full)
        }
        Command::User {
            action:
                UserAction::Add {
                    email,
                    name,
                    role,
                    initials,
                    password_stdin,
                    settings,
                },
        } => {
            let config = Config::load(&settings, None)?;
            let password = read_password(password_stdin)?;
            let role = khobor::domain::Role::parse(&role).context("unknown role")?;
            let store = config.open_store().await?;
            let by = khobor::storage::users::Audit {
                actor: "khobor user add",
                address: "cli",
                ..Default::default()
            };
            let result =
                khobor::accounts::add_user(&store, &email, &name, &initials, role, &password, &by)
                    .await;
            store.close().await;
            match result {
                Ok(id) => {
                    println!(
                        "added {} ({}) as user {id}",
                        email.trim().to_lowercase(),
                        role.as_str()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(khobor::accounts::AccountError::Storage(e)) => Err(e.into()),
                Err(e) => {
                    eprintln!("khobor: {e}");
                    Ok(ExitCode::from(2))
                }
            }
        }
        Command::User {
            action:
                UserAction::Token {
                    email,
                    name,
                    role,
                    settings,
                },
        } => {
            let role = khobor::domain::Role::parse(&role).context("unknown role")?;
            make_token(&settings, &email, &name, Some(role), "khobor user token").await
        }
        Command::Token {
            action:
                TokenAction::Add {
                    email,
                    label,
                    role,
                    settings,
                },
        } => {
            let role = match role {
                Some(r) => Some(khobor::domain::Role::parse(&r).context("unknown role")?),
                None => None,
            };
            make_token(&settings, &email, &label, role, "khobor token add").await
        }
        Command::User {
            action: UserAction::List { settings },
        } => {
            let config = Config::load(&settings, None)?;
            let store = config.open_store().await?;
            let users = store.users().await;
            store.close().await;
            for u in users? {
                println!(
                    "{}\t{}\t{}\t{}\t{}{}",
                    u.id,
                    u.email,
                    u.role.as_str(),
                    u.initials,
                    u.name,
                    if u.disabled { "\t(disabled)" } else { "" }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Export { out_dir, settings } => {
            let config = Config::load(&settings, None)?;
            let store = config.open_store().await?;
            let media = MediaStore::open(&config.media.store)?;
            let result = khobor::import::export::export_site(&store, &media, &out_dir).await;
            store.close().await;
            let r = result?;
            println!(
                "exported {} published stories to {} and {} images ({} bytes) to {} in {:.1} s",
                r.stories,
                out_dir.join("stories.jsonl").display(),
                r.images,
                r.image_bytes,
                out_dir.join("media").display(),
                r.elapsed.as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate { settings } => {
            let config = Config::load(&settings, None)?;
            let store = config.open_store().await?;
            store.close().await;
            println!("database is up to date: {}", config.store.describe());
            Ok(ExitCode::SUCCESS)
        }
        Command::MigrateStore { from, to } => migrate_store(&from, &to).await,
        Command::Backup {
            action: None,
            to,
            settings,
        } => {
            let config = Config::load(&settings, None)?;
            backup(&config, to.as_deref().unwrap_or_default()).await
        }
        Command::Backup {
            action: Some(action),
            ..
        } => {
            let BackupAction::Verify {
                from,
                backup,
                settings,
            } = *action;
            verify_backup(&Config::load(&settings, None)?, &from, backup.as_deref()).await
        }
        Command::Restore {
            from,
            backup,
            settings,
        } => restore(&Config::load(&settings, None)?, &from, backup.as_deref()).await,
        Command::Search {
            action: SearchAction::Snapshot { settings },
        } => {
            let config = Config::load(&settings, None)?;
            let _lock = khobor::datadir::DataDirLock::acquire(&config.data_dir)?;
            let store = config.open_store().await?;
            let result = search_snapshot(&config, &store).await;
            store.close().await;
            result
        }
        Command::CardKey {
            action: CardKeyAction::Rotate { settings },
        } => {
            let config = Config::load(&settings, None)?;
            let store = config.open_store().await?;
            let rotated = khobor::cards::rotate_key(&store, &config.card_keys()).await;
            store.close().await;
            let (kid, retired) = rotated.map_err(anyhow::Error::msg)?;
            println!("cards are signed from now on with key {kid}");
            for k in retired {
                println!("retired (still published, so its cards verify): {k}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Card {
            action:
                CardAction::Verify {
                    file,
                    keys,
                    settings,
                },
        } => card_verify(&file, keys.as_deref(), &settings).await,
        Command::Media {
            action:
                MediaAction::Migrate {
                    to: MediaTarget::S3,
                    settings,
                },
        } => migrate_media(&Config::load(&settings, None)?).await,
        Command::Import {
            format:
                ImportFormat::Jsonl {
                    file,
                    bijoy,
                    settings,
                },
        } => {
            let config = Config::load(&settings, None)?;
            let store = config.open_store().await?;
            // Images come from a media/ folder beside the file (an export); without one the
            // media store is left alone (not even made).
            let beside = file
                .parent()
                .unwrap_or(std::path::Path::new("."))
                .join("media");
            let media = if beside.is_dir() {
                Some(MediaStore::open(&config.media.store)?)
            } else {
                None
            };
            let progress = std::io::stderr().is_terminal();
            let result = khobor::import::import_jsonl_file_with(
                &store,
                &file,
                config.site.timezone,
                bijoy.into(),
                progress,
                media.as_ref(),
            )
            .await;
            store.close().await;
            let report = result?;
            for e in &report.skipped {
                eprintln!("line {}: {}", e.line, e.message);
            }
            if report.from_bijoy > 0 {
                println!(
                    "stories converted from Bijoy to Unicode: {}",
                    report.from_bijoy
                );
            }
            println!(
                "imported {} new, updated {}, unchanged {}, skipped {} ({:.0} articles/s)",
                report.inserted,
                report.updated,
                report.unchanged,
                report.skipped.len(),
                report.per_second()
            );
            Ok(if report.skipped.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
        Command::Import {
            format:
                ImportFormat::Wordpress {
                    file,
                    uploads,
                    permalink,
                    bijoy,
                    section_map,
                    settings,
                },
        } => {
            let config = Config::load(&settings, None)?;
            let section_map = match section_map {
                None => khobor::import::wordpress::SectionMap::default(),
                Some(path) => khobor::import::wordpress::SectionMap::read(&path)
                    .map_err(anyhow::Error::msg)?,
            };
            let store = config.open_store().await?;
            let options = khobor::import::wordpress::WpOptions {
                tz: config.site.timezone,
                bijoy: bijoy.into(),
                permalink: match permalink {
                    WpPermalink::Name => khobor::import::wordpress::Permalink::Name,
                    WpPermalink::Date => khobor::import::wordpress::Permalink::Date,
                },
                uploads,
                media: MediaStore::open(&config.media.store)?,
                section_map,
            };
            let result =
                khobor::import::wordpress::import_wordpress_file(&store, &file, &options).await;
            store.close().await;
            let report = result?;
            for s in &report.skipped {
                let what = if s.problem {
                    "could not import"
                } else {
                    "skipped"
                };
                eprintln!("{what} {}: {}", s.item, s.reason);
            }
            let statuses: Vec<String> = report
                .by_status
                .iter()
                .map(|(status, n)| format!("{status} {n}"))
                .collect();
            println!("stories by status: {}", statuses.join(", "));
            if report.from_bijoy > 0 {
                println!(
                    "stories converted from Bijoy to Unicode: {}",
                    report.from_bijoy
                );
            }
            println!("old links redirected: {}", report.redirects);
            println!(
                "images added to the media library: {}, featured images set: {}",
                report.media_added, report.heroes
            );
            let problems = report.skipped.iter().filter(|s| s.problem).count();
            println!(
                "imported {} new, updated {}, unchanged {}, skipped {} (not content), could not import {} ({:.0} posts/s)",
                report.inserted,
                report.updated,
                report.unchanged,
                report.skipped.len() - problems,
                problems,
                report.per_second()
            );
            // Exit 2 when something could not be imported; items that are not stories by
            // design (pages, menu items, the trash) are only listed.
            Ok(if problems == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
    }
}

/// `khobor search snapshot`: the index caught up with the feed (rebuilt if it must be), then
/// one snapshot taken through the snapshot job's own code, under its lease (released after).
async fn search_snapshot(config: &Config, store: &Store) -> anyhow::Result<ExitCode> {
    use khobor::jobs::search_snapshot::{self, SnapshotCounters, Taken};
    let translit = bangla::banglish::Transliterator::with_aliases(config.search_aliases.clone());
    let index = std::sync::Arc::new(
        khobor::search::SearchIndex::open(&config.search_dir(), translit)
            .context("cannot open the search index")?,
    );
    let objects = MediaStore::open(&config.media.store)?;
    khobor::jobs::search_indexer::catch_up(store, &index).await?;
    let owner = format!("{}/cli", khobor::jobs::node_name());
    let started = std::time::Instant::now();
    let taken = search_snapshot::take(
        store,
        &index,
        &objects,
        &owner,
        3600,
        &SnapshotCounters::default(),
        &|| false,
    )
    .await;
    // Given back whatever happened (unless it was never ours), so the servers take it at once.
    if !matches!(taken, Ok(Taken::NotHolder { .. })) {
        store.release_lease(search_snapshot::LEASE, &owner).await?;
    }
    match taken? {
        Taken::Uploaded(r) => {
            println!(
                "snapshot of feed position {} ({} stories): {} files, {} uploaded ({} bytes) in {:.1} s to {} {}",
                r.seq,
                r.docs,
                r.files.len(),
                r.uploaded.len(),
                r.bytes_uploaded,
                started.elapsed().as_secs_f64(),
                objects.describe(),
                r.manifest
            );
            Ok(ExitCode::SUCCESS)
        }
        Taken::Unchanged { seq } => {
            println!("the latest snapshot is at feed position {seq} already; nothing to upload");
            Ok(ExitCode::SUCCESS)
        }
        Taken::NotHolder { holder } => {
            eprintln!(
                "khobor: another node ({}) holds the search snapshot lease and takes the snapshots",
                holder.as_deref().unwrap_or("unknown")
            );
            Ok(ExitCode::FAILURE)
        }
        Taken::NoPosition => {
            eprintln!("khobor: the search index has no position in this store's change feed");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `khobor reindex`: the index rebuilt beside the live one and swapped in when complete, then
/// every story's related stories; SIGINT or SIGTERM stops it after the batch in hand.
async fn reindex(config: &Config, store: &Store, related_only: bool) -> anyhow::Result<ExitCode> {
    use khobor::jobs::search_indexer::{self, IndexerError};
    use std::sync::atomic::{AtomicBool, Ordering};
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let watcher = {
        let stop = std::sync::Arc::clone(&stop);
        tokio::spawn(async move {
            shutdown_signal().await;
            eprintln!("khobor: stopping after the batch in hand…");
            stop.store(true, Ordering::Relaxed);
        })
    };
    let stopped = || stop.load(Ordering::Relaxed);
    let translit = || bangla::banglish::Transliterator::with_aliases(config.search_aliases.clone());
    let total = store
        .count_published(khobor::storage::articles::Filter::All)
        .await?;
    let bar = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(total.max(0) as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let result = async {
        if !related_only {
            let started = std::time::Instant::now();
            let done = search_indexer::rebuild_beside(
                store,
                &config.search_dir(),
                translit(),
                |n| bar.set_position(n as u64),
                &stopped,
            )
            .await;
            bar.set_position(0);
            match done {
                Ok(done) => {
                    let secs = started.elapsed().as_secs_f64();
                    println!(
                        "indexed {done} stories in {secs:.1} s ({:.0} stories/s)",
                        done as f64 / secs.max(1e-9)
                    );
                }
                Err(IndexerError::Interrupted) => {
                    eprintln!("khobor: reindex stopped; the previous search index is kept as it was");
                    return Ok(ExitCode::from(130));
                }
                Err(e) => return Err(e.into()),
            }
        }
        let index = std::sync::Arc::new(
            khobor::search::SearchIndex::open(&config.search_dir(), translit())
                .context("cannot open the search index")?,
        );
        let started = std::time::Instant::now();
        match search_indexer::relate_all(store, &index, |n| bar.set_position(n as u64), &stopped)
            .await
        {
            Ok(related) => {
                let secs = started.elapsed().as_secs_f64();
                println!(
                    "related stories worked out for {related} stories in {secs:.1} s ({:.0} stories/s)",
                    related as f64 / secs.max(1e-9)
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(IndexerError::Interrupted) => {
                eprintln!("khobor: stopped while working out related stories; `khobor reindex --related-only` finishes them");
                Ok(ExitCode::from(130))
            }
            Err(e) => Err(e.into()),
        }
    }
    .await;
    bar.finish_and_clear();
    watcher.abort();
    result
}

/// `khobor migrate-store`: progress per table on standard error, then each table's check and
/// a summary on standard output. Exit status 1 when any table differs.
/// `khobor card verify`: a saved record checked against a saved key set or the store's keys.
async fn card_verify(
    file: &std::path::Path,
    keys: Option<&std::path::Path>,
    settings: &Overrides,
) -> anyhow::Result<ExitCode> {
    let read_json = |path: &std::path::Path| -> anyhow::Result<serde_json::Value> {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_slice(&bytes).with_context(|| format!("{} is not JSON", path.display()))
    };
    let signed = read_json(file)?;
    let field = |name: &str| -> anyhow::Result<String> {
        signed[name]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("{} has no string `{name}`", file.display()))
    };
    let (record, signature, kid) = (field("record")?, field("signature")?, field("kid")?);
    if signed["alg"] != "EdDSA" {
        anyhow::bail!("{}: `alg` is {}, not EdDSA", file.display(), signed["alg"]);
    }
    let jwks = match keys {
        Some(path) => read_json(path)?,
        None => {
            let config = Config::load(settings, None)?;
            let store = config.open_store().await?;
            let keys = store.card_keys().await;
            store.close().await;
            khobor::cards::jwks(&keys?)
        }
    };
    match khobor::cards::verify(&record, &signature, &kid, &jwks) {
        Ok(kid) => {
            let parsed = khobor::cards::Record::parse(&record).map_err(anyhow::Error::msg)?;
            println!("verified: card {} signed with key {kid}", parsed.code);
            println!("{} ({}): {}", parsed.kind, parsed.published, parsed.text);
            println!("image SHA-256: {}", parsed.png_sha256);
            Ok(ExitCode::SUCCESS)
        }
        Err(why) => {
            eprintln!("NOT verified: {why}");
            Ok(ExitCode::from(1))
        }
    }
}

async fn migrate_store(from: &std::path::Path, to: &str) -> anyhow::Result<ExitCode> {
    let report = khobor::storage::copy::copy_sqlite_to_postgres(from, to, |t| {
        eprintln!(
            "{}: {} rows copied in {:.1} s",
            t.table,
            t.rows,
            t.elapsed.as_secs_f64()
        )
    })
    .await?;
    let differing = report.tables.iter().filter(|t| !t.matches()).count();
    for t in &report.tables {
        if t.matches() {
            println!(
                "{}\t{} rows\tcount and checksum match",
                t.table, t.source.rows
            );
        } else {
            println!(
                "{}\tDIFFERS: source {} rows (checksum {:032x}), PostgreSQL {} rows (checksum {:032x})",
                t.table, t.source.rows, t.source.checksum, t.target.rows, t.target.checksum
            );
        }
    }
    let copied = format!(
        "copied {} tables, {} rows in {:.1} s",
        report.tables.len(),
        report.rows(),
        report.copy_time.as_secs_f64()
    );
    if differing == 0 {
        println!("{copied}; verified: every table's count and checksum match");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("{copied}; NOT verified: {differing} tables differ");
        Ok(ExitCode::FAILURE)
    }
}

/// `khobor media migrate --to s3`: each object copied (or found already there) on standard
/// error, then the counts and the check on standard output. Exit status 1 on any mismatch.
async fn migrate_media(config: &Config) -> anyhow::Result<ExitCode> {
    let khobor::config::MediaStoreConfig::S3(_) = &config.media.store else {
        anyhow::bail!(
            "the configuration's media store is the local folder: set [media] store = \"s3\" \
             (with endpoint, bucket, region) in the file given with --config first"
        );
    };
    let source = MediaStore::local(&config.media_dir())?;
    let target = MediaStore::open(&config.media.store)?;
    let report = khobor::media_store::migrate(&source, &target, |name, copied| {
        eprintln!(
            "{name}: {}",
            if copied { "copied" } else { "already there" }
        );
    })
    .await?;
    println!(
        "{} objects ({} bytes) from {} to {}: {} copied, {} already there",
        report.objects,
        report.bytes,
        source.describe(),
        target.describe(),
        report.copied,
        report.skipped
    );
    for name in &report.mismatches {
        println!(
            "MISMATCH {name}: the copy's SHA-256 differs from the source's (or it is missing)"
        );
    }
    if report.mismatches.is_empty() {
        println!(
            "verified: all {} objects read back with the source's SHA-256",
            report.verified
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "NOT verified: {} of {} objects differ",
            report.mismatches.len(),
            report.objects
        );
        Ok(ExitCode::FAILURE)
    }
}

/// `khobor backup`: steps on standard error, the summary on standard output.
async fn backup(config: &Config, to: &str) -> anyhow::Result<ExitCode> {
    let r = khobor::backup::backup(config, to, |step| eprintln!("{step}")).await?;
    println!(
        "backup {} in {}: {} store, {} bytes, {} tables, {} rows (snapshot in {:.1} s)",
        r.id,
        r.at,
        r.store.name(),
        r.database_bytes,
        r.tables,
        r.rows,
        r.snapshot_time.as_secs_f64()
    );
    println!(
        "media: {} objects ({} bytes): {} copied, {} already in the backup",
        r.media_objects, r.media_bytes, r.media_copied, r.media_skipped
    );
    println!("complete in {:.1} s", r.elapsed.as_secs_f64());
    Ok(ExitCode::SUCCESS)
}

/// `khobor restore`: steps on standard error, the summary on standard output.
async fn restore(config: &Config, from: &str, id: Option<&str>) -> anyhow::Result<ExitCode> {
    let r = khobor::backup::restore(config, from, id, |step| eprintln!("{step}")).await?;
    println!(
        "restored backup {} into {}: {} tables, {} rows; every checksum matches the manifest",
        r.id, r.target, r.tables, r.rows
    );
    println!(
        "media: {} objects: {} put into the media store, {} there already",
        r.media_objects,
        r.media_created,
        r.media_objects - r.media_created
    );
    println!(
        "done in {:.1} s; `khobor serve` rebuilds the search index from the restored store",
        r.elapsed.as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// `khobor backup verify`: each difference, then the verdict, on standard output. Exit
/// status 1 when anything differs.
async fn verify_backup(config: &Config, from: &str, id: Option<&str>) -> anyhow::Result<ExitCode> {
    let r = khobor::backup::verify(config, from, id, |step| eprintln!("{step}")).await?;
    for (what, why) in &r.problems {
        println!("DIFFERS {what}: {why}");
    }
    if r.verified() {
        println!(
            "verified backup {}: the database file's SHA-256, {} tables ({} rows) restored with the manifest's counts and checksums, {} media objects with their SHA-256 ({:.1} s)",
            r.id,
            r.tables,
            r.rows,
            r.media_objects,
            r.elapsed.as_secs_f64()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "NOT verified: backup {} differs from its manifest in {} places",
            r.id,
            r.problems.len()
        );
        Ok(ExitCode::FAILURE)
    }
}

/// `khobor check`: SQLite's own check of the store's file, read-only, and whether Khobor can
/// write where it must. Exit status 1 when anything is wrong.
fn check(config: &Config, full: bool) -> anyhow::Result<ExitCode> {
    if let khobor::storage::Location::Postgres(_) = config.store {
        anyhow::bail!(
            "`khobor check` reads the SQLite file; a PostgreSQL store is checked with PostgreSQL's own tools (data checksums, amcheck)"
        );
    }
    let db = config.db_path();
    if !db.is_file() {
        anyhow::bail!("no store at {}", db.display());
    }
    let started = std::time::Instant::now();
    let report = khobor::storage::identity::check_file(&db, full)?;
    let secs = started.elapsed().as_secs_f64();
    let expected = khobor::storage::identity::expected_schema_version();
    println!(
        "store {}: {:.1} MiB, schema {} (this khobor expects {expected}){}",
        db.display(),
        report.size_bytes as f64 / (1024.0 * 1024.0),
        report.schema_version,
        report
            .identity
            .map(|i| format!(", store id {}, feed epoch {}", i.id, i.feed_epoch))
            .unwrap_or_default()
    );
    let pragma = if full {
        "integrity_check"
    } else {
        "quick_check"
    };
    let mut healthy = report.problems.is_empty();
    if healthy {
        println!("{pragma}: ok ({secs:.2} s)");
    } else {
        println!("{pragma}: DAMAGED ({secs:.2} s); restore khobor.db from a backup");
        for p in &report.problems {
            println!("  {p}");
        }
    }
    for writable in [
        khobor::datadir::check_writable(&config.data_dir),
        khobor::datadir::check_file_writable(&db),
    ] {
        if let Err(e) = writable {
            println!("{e}");
            healthy = false;
        }
    }
    Ok(if healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn read_eval_corpus(path: &std::path::Path) -> anyhow::Result<Vec<khobor::search::eval::EvalDoc>> {
    use std::io::{BufRead, Read};
    let mut raw = Vec::new();
    std::fs::File::open(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .read_to_end(&mut raw)?;
    let reader: Box<dyn BufRead> = if raw.starts_with(&[0x1f, 0x8b]) {
        Box::new(std::io::BufReader::new(flate2::read::MultiGzDecoder::new(
            &raw[..],
        )))
    } else {
        Box::new(&raw[..])
    };
    let mut docs = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("{} line {}", path.display(), i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let a = khobor::import::jsonl::parse_line(&line, chrono_tz::Asia::Dhaka, 0)
            .map_err(|e| anyhow::anyhow!("{} line {}: {e}", path.display(), i + 1))?;
        let headline = match &a.kicker {
            Some(k) => format!("{k} {}", a.headline),
            None => a.headline.clone(),
        };
        docs.push(khobor::search::eval::EvalDoc {
            external_id: a.external_id,
            headline,
            body: a.body_text,
        });
    }
    Ok(docs)
}

/// A new API token for the account `email` printed on standard output, and nothing else
/// there, so that a script can capture it; a person who is unknown or disabled, or a bad
/// label, is one line on standard error and exit status 2.
async fn make_token(
    settings: &Overrides,
    email: &str,
    label: &str,
    role: Option<khobor::domain::Role>,
    actor: &str,
) -> anyhow::Result<ExitCode> {
    let config = Config::load(settings, None)?;
    let store = config.open_store().await?;
    let result = khobor::accounts::create_api_token(&store, email, label, role, actor).await;
    store.close().await;
    match result {
        Ok(token) => {
            println!("{token}");
            Ok(ExitCode::SUCCESS)
        }
        Err(khobor::accounts::TokenError::Storage(e)) => Err(e.into()),
        Err(e) => {
            eprintln!("khobor: {e}");
            Ok(ExitCode::from(2))
        }
    }
}

/// The new account's password: one line from standard input (never a command-line argument,
/// which would end up in the shell history and the process list).
fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    use std::io::BufRead;
    if !from_stdin && std::io::stdin().is_terminal() {
        anyhow::bail!("give the password on standard input with --password-stdin (e.g. from a password manager)");
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    if password.is_empty() {
        anyhow::bail!("no password on standard input");
    }
    Ok(password)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
