//! Configuration, parsed once at start into typed structs. Sources, strongest first: command-line
//! flags, `KHOBOR_*` environment variables (clap reads both), an optional TOML file, built-in
//! defaults. Nothing else in Khobor reads the environment.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::Deserialize;

/// Everything the server needs, already validated.
#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    /// Where the store lives: the SQLite file under `data_dir` unless a PostgreSQL URL is
    /// given.
    pub store: crate::storage::Location,
    /// The most connections a node keeps open to PostgreSQL (`db_pool_size`).
    pub db_pool_size: u32,
    pub site: SiteConfig,
    /// `KHOBOR_CARD_KEY`: one photocard signing key for every node (see [`crate::cards`]).
    pub card_key: Option<String>,
    /// Extra Banglish spellings for search: Latin word → Bengali words (names whose Bengali
    /// spelling isn't phonetic). From the TOML file's `[search.aliases]`.
    pub search_aliases: HashMap<String, Vec<String>>,
    pub cache: CacheConfig,
    pub server: ServerConfig,
    pub auth: AuthConfig,
    pub retention: RetentionConfig,
    /// Counting story views for the most-read lists (TOML `[views]`).
    pub views: ViewsConfig,
    /// Polling agency wires (TOML `[wires]`).
    pub wires: WiresConfig,
    pub metrics: MetricsConfig,
    pub media: MediaConfig,
    pub cdn: CdnConfig,
    /// The S3 service and credentials from the standard AWS_* environment variables, for
    /// backups to `s3://` when the media store is not in a bucket (see `crate::backup`).
    pub aws: AwsEnv,
    /// Search-index snapshots in the media store (TOML `[search] snapshot_minutes`).
    pub snapshots: SnapshotConfig,
}

/// S3 settings from the standard environment variables (AWS_ENDPOINT_URL, AWS_REGION,
/// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), each as given.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AwsEnv {
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
    /// `AWS_CA_BUNDLE`, checked.
    pub ca_bundle: Option<PathBuf>,
}

impl std::fmt::Debug for AwsEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret or the token: configurations end up in logs.
        f.debug_struct("AwsEnv")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("ca_bundle", &self.ca_bundle)
            .finish_non_exhaustive()
    }
}

/// How often the node holding the snapshot lease uploads the search index to the media
/// store (see `jobs::search_snapshot`); a fresh node restores the latest snapshot whatever
/// this says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotConfig {
    /// `None`: no snapshots are taken (`snapshot_minutes = 0`). Tests set seconds here.
    pub every: Option<std::time::Duration>,
}

pub const DEFAULT_SNAPSHOT_MINUTES: u32 = 10;
/// The longest interval accepted (a day): a snapshot older than that means a long replay.
pub const MAX_SNAPSHOT_MINUTES: u32 = 24 * 60;

impl SnapshotConfig {
    fn load(minutes: Option<u32>) -> Result<SnapshotConfig, ConfigError> {
        let minutes = minutes.unwrap_or(DEFAULT_SNAPSHOT_MINUTES);
        if minutes > MAX_SNAPSHOT_MINUTES {
            return Err(ConfigError::SnapshotMinutes);
        }
        Ok(SnapshotConfig {
            every: (minutes > 0).then(|| std::time::Duration::from_secs(u64::from(minutes) * 60)),
        })
    }
}

/// Connection limits (TOML `[server]`), in seconds and connections. A client that trickles
/// its headers, sends no body, or moves no bytes at all is cut off; past `max_connections`
/// new connections get a short 503 and are closed at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Time to send a request's whole head (request line and headers). Also how long a
    /// kept-alive connection may wait for its next request.
    pub header_timeout: u32,
    /// Longest pause between two pieces of a request body.
    pub body_timeout: u32,
    /// A connection that moves no byte either way for this long is closed (e.g. a client
    /// that stops reading its response).
    pub idle_timeout: u32,
    pub max_connections: u32,
    /// Live pages' event streams held open at once on this node; past it a reader is told to
    /// come back later (503, `Retry-After`). Each stream also holds one of `max_connections`,
    /// so at most half of those are ever given to streams, whatever this says: open streams
    /// never take every connection from ordinary requests.
    pub max_event_streams: u32,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            header_timeout: 10,
            body_timeout: 30,
            idle_timeout: 60,
            max_connections: 10_000,
            max_event_streams: 5_000,
        }
    }
}

/// The longest any connection timeout may be set to (an hour).
pub const MAX_TIMEOUT_SECONDS: u32 = 3600;
/// The most connections accepted at once (each costs a task and socket buffers).
pub const MAX_CONNECTIONS: u32 = 1_000_000;

/// `Cache-Control` of public responses, in seconds (TOML `[cache]`). Browsers revalidate
/// (`max_age` 0: an ETag check costs one small request, and a publish shows at once); a CDN
/// keeps pages for `s_maxage` and may serve them `stale_while_revalidate` longer while it
/// refetches, and is purged by the `Surrogate-Key` tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheConfig {
    pub max_age: u32,
    pub s_maxage: u32,
    pub stale_while_revalidate: u32,
    /// Memory for the server's own page and fragment cache, in MiB (0 turns it off).
    pub memory_mb: u32,
    /// How long a cached page or fragment is used before it is rendered again, in seconds,
    /// even if nothing changed: lists say "৫ মিনিট আগে", and that text ages with the clock.
    pub ttl: u32,
}

impl Default for CacheConfig {
    fn default() -> CacheConfig {
        CacheConfig {
            max_age: 0,
            s_maxage: 60,
            stale_while_revalidate: 30,
            memory_mb: 64,
            ttl: 60,
        }
    }
}

/// The largest PostgreSQL pool a node may ask for.
pub const MAX_DB_POOL: u32 = 500;

/// The longest cache lifetime accepted (a year), so a typo cannot pin pages for decades.
pub const MAX_CACHE_SECONDS: u32 = 365 * 24 * 3600;
/// The largest in-server cache accepted, in MiB.
pub const MAX_CACHE_MB: u32 = 64 * 1024;
/// The longest a page may stay in the server's cache without a change (an hour): relative
/// times ("৩ ঘণ্টা আগে") must not drift far.
pub const MAX_CACHE_TTL: u32 = 3600;

#[derive(Debug, Clone)]
pub struct SiteConfig {
    /// The paper's name as readers see it, e.g. "খবর".
    pub name: String,
    /// The short name that opens desk signatures, e.g. "খবর" in "খবর/এসআই".
    pub short_name: String,
    pub tagline: String,
    /// Absolute origin used in feeds, sitemaps, canonical links and the API, no trailing slash.
    pub base_url: String,
    /// The paper's time zone: every date and time is shown in it, whatever the server's zone.
    pub timezone: Tz,
}

/// The optional TOML file. Every key is optional; unknown keys are an error so that a typo
/// does not silently fall back to a default.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub addr: Option<String>,
    pub data: Option<PathBuf>,
    pub database_url: Option<String>,
    pub db_pool_size: Option<u32>,
    #[serde(default)]
    pub site: FileSite,
    #[serde(default)]
    pub search: FileSearch,
    #[serde(default)]
    pub cache: CacheConfig,
    #[serde(default)]
    pub server: ServerConfig,
    #[serde(default)]
    pub auth: FileAuth,
    #[serde(default)]
    pub retention: RetentionConfig,
    #[serde(default)]
    pub views: ViewsConfig,
    #[serde(default)]
    pub wires: WiresConfig,
    #[serde(default)]
    pub metrics: FileMetrics,
    #[serde(default)]
    pub media: FileMedia,
    #[serde(default)]
    pub cdn: FileCdn,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSearch {
    #[serde(default)]
    pub aliases: HashMap<String, Vec<String>>,
    /// Minutes between search-index snapshots (0: none).
    pub snapshot_minutes: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSite {
    pub name: Option<String>,
    pub short_name: Option<String>,
    pub tagline: Option<String>,
    pub base_url: Option<String>,
    pub timezone: Option<String>,
}

/// Settings as given on the command line or in the environment (clap fills this in).
#[derive(Debug, Default, Clone, clap::Args)]
pub struct Overrides {
    /// TOML configuration file (keys: addr, data, database_url, db_pool_size, [site], [search] (aliases, snapshot_minutes), [cache], [server], [auth], [retention], [views], [wires], [metrics], [media], [cdn]; see the README)
    #[arg(long, env = "KHOBOR_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data directory holding khobor.db, media/ and search/ [default: ./khobor-data]
    #[arg(long, env = "KHOBOR_DATA", value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// PostgreSQL store shared by several nodes, postgres://USER@HOST:PORT/DB [default: the
    /// SQLite file khobor.db in the data directory]
    #[arg(long, env = "KHOBOR_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
    /// The most connections this node opens to PostgreSQL (each node has its own pool: keep
    /// nodes × size under the server's max_connections) [default: 16]
    #[arg(long, env = "KHOBOR_DB_POOL_SIZE", value_name = "N")]
    pub db_pool_size: Option<u32>,
    /// The paper's name [default: খবর]
    #[arg(long, env = "KHOBOR_SITE_NAME", value_name = "NAME")]
    pub site_name: Option<String>,
    /// Short name used in desk signatures [default: the site name]
    #[arg(long, env = "KHOBOR_SITE_SHORT_NAME", value_name = "NAME")]
    pub site_short_name: Option<String>,
    /// Public origin for links in feeds, sitemaps and the API [default: http://ADDR]
    #[arg(long, env = "KHOBOR_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,
    /// The paper's time zone, an IANA name [default: Asia/Dhaka]
    #[arg(long, env = "KHOBOR_TIMEZONE", value_name = "ZONE")]
    pub timezone: Option<String>,
    /// Proxies whose X-Forwarded-For / Forwarded headers name the client, comma-separated
    /// addresses or CIDR ranges, e.g. 127.0.0.1,10.0.0.0/8 [default: none]
    #[arg(long, env = "KHOBOR_TRUSTED_PROXIES", value_name = "LIST")]
    pub trusted_proxies: Option<String>,
    /// Bearer token /metrics requires; better given in the environment than as a flag,
    /// which other users can read in the process list [default: none, /metrics is public]
    #[arg(
        long,
        env = "KHOBOR_METRICS_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub metrics_token: Option<String>,
    /// The Ed25519 key photocards are signed with, 32 bytes in base64url, the same on every
    /// node [default: a key of this node's, made on first use in DATA/card-keys.json]
    #[arg(
        long,
        env = "KHOBOR_CARD_KEY",
        value_name = "KEY",
        hide_env_values = true
    )]
    pub card_key: Option<String>,
    /// Access key of the S3 media store ([media] store = "s3"); from the environment only
    #[arg(
        long = "s3-access-key-id",
        env = "AWS_ACCESS_KEY_ID",
        hide = true,
        hide_env_values = true
    )]
    pub aws_access_key_id: Option<String>,
    /// Secret key of the S3 media store; from the environment only
    #[arg(
        long = "s3-secret-access-key",
        env = "AWS_SECRET_ACCESS_KEY",
        hide = true,
        hide_env_values = true
    )]
    pub aws_secret_access_key: Option<String>,
    /// PEM file of certificate authorities to trust for the S3 service besides the system's
    /// (a service behind a private CA); the AWS tools' own variable [default: [media]
    /// ca_bundle, else the system's authorities only]
    #[arg(long = "s3-ca-bundle", env = "AWS_CA_BUNDLE", value_name = "PEM")]
    pub aws_ca_bundle: Option<PathBuf>,
    /// Session token for temporary S3 credentials; from the environment only
    #[arg(
        long = "s3-session-token",
        env = "AWS_SESSION_TOKEN",
        hide = true,
        hide_env_values = true
    )]
    pub aws_session_token: Option<String>,
    /// API token of the CDN purger ([cdn] purger = "fastly" or "cloudflare"); better given in
    /// the environment than in the file
    #[arg(
        long,
        env = "KHOBOR_CDN_TOKEN",
        value_name = "TOKEN",
        hide = true,
        hide_env_values = true
    )]
    pub cdn_token: Option<String>,
    /// The S3-compatible service `khobor backup --to s3://…` writes to when the media store
    /// is not in a bucket already (e.g. http://127.0.0.1:8333 for SeaweedFS or MinIO);
    /// from the environment only [default: Amazon S3]
    #[arg(long = "s3-endpoint-url", env = "AWS_ENDPOINT_URL", hide = true)]
    pub aws_endpoint_url: Option<String>,
    /// The region of that service; from the environment only [default: us-east-1]
    #[arg(long = "s3-region", env = "AWS_REGION", hide = true)]
    pub aws_region: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {source}")]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("invalid listen address {0:?}: expected IP:PORT such as 127.0.0.1:8080")]
    Addr(String),
    #[error("unknown time zone {0:?}: use an IANA name such as Asia/Dhaka or Asia/Kolkata")]
    Timezone(String),
    #[error(
        "invalid base URL {0:?}: expected http:// or https:// followed by a host, without a path"
    )]
    BaseUrl(String),
    #[error("search alias {0:?} must be a word in Latin letters (a-z)")]
    Alias(String),
    #[error("{0} must not be empty")]
    Empty(&'static str),
    #[error("[cache] {0} must be at most {MAX_CACHE_SECONDS} seconds (a year)")]
    CacheTooLong(&'static str),
    #[error("[cache] memory_mb must be at most {MAX_CACHE_MB} (MiB); 0 turns the cache off")]
    CacheTooBig,
    #[error("[cache] ttl must be between 1 and {MAX_CACHE_TTL} seconds")]
    CacheTtl,
    #[error("[server] {0} must be between 1 and {MAX_TIMEOUT_SECONDS} seconds")]
    Timeout(&'static str),
    #[error("[server] max_connections must be between 1 and {MAX_CONNECTIONS}")]
    Connections,
    #[error("trusted proxy {0:?} is not an IP address or a CIDR range such as 10.0.0.0/8")]
    TrustedProxy(String),
    #[error("[auth] failed_logins_per_hour must be between 1 and {MAX_FAILED_LOGINS_PER_HOUR}")]
    FailedLoginsPerHour,
    #[error("[views] flush_seconds must be between 1 and {MAX_VIEWS_FLUSH} seconds, not {0}")]
    ViewsFlush(u32),
    #[error("[wires] timeout_seconds must be between 1 and {MAX_WIRES_TIMEOUT} seconds, not {0}")]
    WiresTimeout(u32),
    #[error("[retention] {0} must be between {1} and {MAX_RETENTION_DAYS} days")]
    Retention(&'static str, u32),
    #[error("{0}")]
    DatabaseUrl(String),
    #[error("db_pool_size must be between 1 and {MAX_DB_POOL} connections, not {0}")]
    DbPoolSize(u32),
    #[error("db_pool_size is for a PostgreSQL store (database_url); the SQLite store has no pool to size")]
    DbPoolWithoutPostgres,
    #[error(
        "the metrics token must be {MIN_METRICS_TOKEN} to {MAX_METRICS_TOKEN} printable ASCII characters without spaces"
    )]
    MetricsToken,
    #[error(
        "unknown [media] store {0:?}: use \"local\" (the data directory's media/ folder) or \"s3\""
    )]
    MediaStoreKind(String),
    #[error("[media] store = \"s3\" needs {0}")]
    MediaMissing(&'static str),
    #[error("[media] {0} is only for store = \"s3\"")]
    MediaS3Only(&'static str),
    #[error("invalid [media] endpoint {0:?}: expected http:// or https:// and a host, e.g. https://s3.eu-central-1.amazonaws.com")]
    MediaEndpoint(String),
    #[error("invalid [media] base_url {0:?}: expected http:// or https:// and a host, and an optional path, e.g. https://cdn.example.com/media")]
    MediaBaseUrl(String),
    #[error("invalid [media] {0} {1:?}")]
    MediaValue(&'static str, String),
    #[error(
        "the S3 certificate bundle {0} (AWS_CA_BUNDLE or [media] ca_bundle) cannot be used: {1}"
    )]
    CaBundle(String, String),
    #[error("unknown [cdn] purger {0:?}: use \"varnish\", \"fastly\", \"cloudflare\" or \"none\"")]
    CdnPurger(String),
    #[error("[cdn] purger = \"{0}\" needs {1}")]
    CdnMissing(&'static str, &'static str),
    #[error("[cdn] {0} is not used by purger = \"{1}\"")]
    CdnUnused(&'static str, String),
    #[error("invalid [cdn] {0} {1:?}: {2}")]
    CdnValue(&'static str, String, &'static str),
    #[error("[search] snapshot_minutes must be between 0 (no snapshots) and {MAX_SNAPSHOT_MINUTES} (a day)")]
    SnapshotMinutes,
}

pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA: &str = "khobor-data";

impl Config {
    /// Opens the store this configuration names (with its pool size on PostgreSQL).
    pub async fn open_store(&self) -> Result<crate::storage::Store, crate::storage::StorageError> {
        crate::storage::Store::open_with(&self.store, self.db_pool_size).await
    }

    /// Builds the configuration from flags/environment, the optional file and defaults.
    /// `addr` is the listen address given to `serve` (flag or environment), if any.
    pub fn load(over: &Overrides, addr: Option<&str>) -> Result<Config, ConfigError> {
        let file = match &over.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let addr_text = addr
            .map(str::to_owned)
            .or(file.addr)
            .unwrap_or_else(|| DEFAULT_ADDR.to_owned());
        let addr: SocketAddr = addr_text
            .parse()
            .map_err(|_| ConfigError::Addr(addr_text.clone()))?;
        let data_dir = over
            .data
            .clone()
            .or(file.data)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA));
        let store = match over.database_url.clone().or(file.database_url) {
            Some(url) if !url.trim().is_empty() => {
                crate::storage::Location::postgres(url.trim()).map_err(ConfigError::DatabaseUrl)?
            }
            _ => crate::storage::Location::Sqlite(data_dir.join("khobor.db")),
        };
        let db_pool_size = match over.db_pool_size.or(file.db_pool_size) {
            None => crate::storage::DEFAULT_POOL_SIZE,
            Some(_) if matches!(store, crate::storage::Location::Sqlite(_)) => {
                return Err(ConfigError::DbPoolWithoutPostgres)
            }
            Some(n) if !(1..=MAX_DB_POOL).contains(&n) => return Err(ConfigError::DbPoolSize(n)),
            Some(n) => n,
        };
        let name = pick(&over.site_name, file.site.name, "খবর");
        let short_name = pick(&over.site_short_name, file.site.short_name, &name);
        if name.trim().is_empty() {
            return Err(ConfigError::Empty("site name"));
        }
        if short_name.trim().is_empty() {
            return Err(ConfigError::Empty("site short name"));
        }
        let tagline = file
            .site
            .tagline
            .unwrap_or_else(|| "বাংলায় সর্বশেষ খবর".to_owned());
        let tz_name = pick(&over.timezone, file.site.timezone, "Asia/Dhaka");
        let timezone: Tz = tz_name
            .parse()
            .map_err(|_| ConfigError::Timezone(tz_name.clone()))?;
        let base_url = match over.base_url.clone().or(file.site.base_url) {
            Some(url) => parse_base_url(&url)?,
            None => format!("http://{addr}"),
        };
        let snapshots = SnapshotConfig::load(file.search.snapshot_minutes)?;
        let search_aliases = file
            .search
            .aliases
            .into_iter()
            .map(|(latin, bengali)| {
                let latin = latin.trim().to_lowercase();
                if latin.is_empty() || !latin.bytes().all(|b| b.is_ascii_alphabetic()) {
                    return Err(ConfigError::Alias(latin));
                }
                let words = bengali
                    .iter()
                    .map(|w| bangla::normalise::normalise_for_search(w.trim()))
                    .collect();
                Ok((latin, words))
            })
            .collect::<Result<_, _>>()?;
        let cache = file.cache;
        for (name, value) in [
            ("max_age", cache.max_age),
            ("s_maxage", cache.s_maxage),
            ("stale_while_revalidate", cache.stale_while_revalidate),
        ] {
            if value > MAX_CACHE_SECONDS {
                return Err(ConfigError::CacheTooLong(name));
            }
        }
        if cache.memory_mb > MAX_CACHE_MB {
            return Err(ConfigError::CacheTooBig);
        }
        if cache.ttl == 0 || cache.ttl > MAX_CACHE_TTL {
            return Err(ConfigError::CacheTtl);
        }
        let server = file.server;
        for (name, value) in [
            ("header_timeout", server.header_timeout),
            ("body_timeout", server.body_timeout),
            ("idle_timeout", server.idle_timeout),
        ] {
            if value == 0 || value > MAX_TIMEOUT_SECONDS {
                return Err(ConfigError::Timeout(name));
            }
        }
        if server.max_connections == 0 || server.max_connections > MAX_CONNECTIONS {
            return Err(ConfigError::Connections);
        }
        let auth = AuthConfig::load(over, file.auth)?;
        let retention = file.retention.validated()?;
        let views = file.views.validated()?;
        let wires = file.wires.validated()?;
        let metrics = MetricsConfig::load(over, file.metrics)?;
        let card_key = over.card_key.clone().filter(|k| !k.trim().is_empty());
        let media = MediaConfig::load(over, file.media, &data_dir)?;
        let given = |v: &Option<String>| v.clone().filter(|v| !v.trim().is_empty());
        let aws = AwsEnv {
            endpoint: given(&over.aws_endpoint_url).map(|e| e.trim().to_owned()),
            region: given(&over.aws_region).map(|r| r.trim().to_owned()),
            access_key_id: given(&over.aws_access_key_id).map(|k| k.trim().to_owned()),
            secret_access_key: given(&over.aws_secret_access_key),
            session_token: given(&over.aws_session_token),
            ca_bundle: over
                .aws_ca_bundle
                .as_deref()
                .map(check_ca_bundle)
                .transpose()?,
        };
        let cdn = CdnConfig::load(over, file.cdn)?;
        Ok(Config {
            aws,
            cdn,
            card_key,
            addr,
            data_dir,
            store,
            db_pool_size,
            search_aliases,
            cache,
            server,
            auth,
            retention,
            views,
            wires,
            metrics,
            media,
            snapshots,
            site: SiteConfig {
                name: nfc(&name),
                short_name: nfc(&short_name),
                tagline,
                base_url,
                timezone,
            },
        })
    }

    /// A configuration for tests and tools: defaults with the given data directory.
    pub fn for_data_dir(data_dir: &Path) -> Config {
        let over = Overrides {
            data: Some(data_dir.to_path_buf()),
            ..Overrides::default()
        };
        Config::load(&over, None).expect("built-in defaults are valid")
    }

    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("khobor.db")
    }

    /// Where uploads are spooled while they arrive: under the data directory, on the disk
    /// that holds the media, never the (possibly memory-backed) system temporary directory.
    pub fn spool_dir(&self) -> PathBuf {
        self.data_dir.join("uploads")
    }

    pub fn search_dir(&self) -> PathBuf {
        self.data_dir.join("search")
    }

    /// Where this node's photocard signing key comes from.
    pub fn card_keys(&self) -> crate::cards::KeySource {
        crate::cards::KeySource::for_data_dir(&self.data_dir, self.card_key.clone())
    }

    /// The data directory's folder for uploaded originals and their variants: where they
    /// are kept unless `[media] store = "s3"`, and what `khobor media migrate` copies from.
    pub fn media_dir(&self) -> PathBuf {
        self.data_dir.join("media")
    }
}

// ---- [media]

/// Where media bytes are kept and where readers fetch them (TOML `[media]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaConfig {
    pub store: MediaStoreConfig,
    /// When set, reader pages and the API point images at `{base_url}/{name}` (a CDN, or the
    /// bucket's public address) instead of Khobor's own `/media/{name}`. No trailing slash.
    pub base_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaStoreConfig {
    /// One file per object in `dir` (the data directory's `media/`).
    Local {
        dir: PathBuf,
    },
    S3(S3Config),
}

/// A bucket on an S3-compatible service.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Config {
    /// `https://…` (or `http://…` for a test server); `None` for Amazon S3 itself, whose
    /// address follows from the region.
    pub endpoint: Option<String>,
    pub bucket: String,
    pub region: String,
    /// `endpoint/bucket/name` rather than `bucket.endpoint/name` (MinIO, SeaweedFS, Ceph).
    pub path_style: bool,
    /// Objects are kept under `prefix/` in the bucket, so one bucket can serve several sites.
    pub prefix: Option<String>,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    /// Certificate authorities (a PEM file, checked at load) trusted for `endpoint` besides
    /// the system's: a service on a private network whose certificate a company CA signed.
    pub ca_bundle: Option<PathBuf>,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret or the token: configurations end up in logs.
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("path_style", &self.path_style)
            .field("prefix", &self.prefix)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileMedia {
    /// "local" (default) or "s3".
    pub store: Option<String>,
    pub base_url: Option<String>,
    pub endpoint: Option<String>,
    pub bucket: Option<String>,
    pub region: Option<String>,
    pub path_style: Option<bool>,
    pub prefix: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// A PEM file of certificate authorities to trust for `endpoint` besides the system's.
    pub ca_bundle: Option<PathBuf>,
}

impl MediaConfig {
    fn load(
        over: &Overrides,
        file: FileMedia,
        data_dir: &Path,
    ) -> Result<MediaConfig, ConfigError> {
        let base_url = match file.base_url.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(url) => Some(
                parse_url(url, true).ok_or_else(|| ConfigError::MediaBaseUrl(url.to_owned()))?,
            ),
        };
        let kind = file.store.as_deref().map(str::trim).unwrap_or("local");
        let store = match kind {
            "local" => {
                let s3_only = [
                    ("endpoint", file.endpoint.is_some()),
                    ("bucket", file.bucket.is_some()),
                    ("region", file.region.is_some()),
                    ("path_style", file.path_style.is_some()),
                    ("prefix", file.prefix.is_some()),
                    ("access_key_id", file.access_key_id.is_some()),
                    ("secret_access_key", file.secret_access_key.is_some()),
                    ("ca_bundle", file.ca_bundle.is_some()),
                ];
                if let Some((key, _)) = s3_only.iter().find(|(_, given)| *given) {
                    return Err(ConfigError::MediaS3Only(key));
                }
                MediaStoreConfig::Local {
                    dir: data_dir.join("media"),
                }
            }
            "s3" => MediaStoreConfig::S3(S3Config::load(over, file)?),
            other => return Err(ConfigError::MediaStoreKind(other.to_owned())),
        };
        Ok(MediaConfig { store, base_url })
    }
}

impl S3Config {
    fn load(over: &Overrides, file: FileMedia) -> Result<S3Config, ConfigError> {
        let endpoint = match file.endpoint.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(url) => Some(
                parse_url(url, false).ok_or_else(|| ConfigError::MediaEndpoint(url.to_owned()))?,
            ),
        };
        let bucket = file
            .bucket
            .map(|b| b.trim().to_owned())
            .filter(|b| !b.is_empty())
            .ok_or(ConfigError::MediaMissing("bucket"))?;
        // S3's rules for bucket names, loosely: what a URL path or host can carry as is.
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !bucket_ok {
            return Err(ConfigError::MediaValue("bucket", bucket));
        }
        let region = file
            .region
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| "us-east-1".to_owned());
        let prefix = match file.prefix.as_deref().map(|p| p.trim().trim_matches('/')) {
            None | Some("") => None,
            Some(p) => {
                let ok = p.split('/').all(|part| {
                    !part.is_empty()
                        && part != "."
                        && part != ".."
                        && part
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
                });
                if !ok {
                    return Err(ConfigError::MediaValue("prefix", p.to_owned()));
                }
                Some(p.to_owned())
            }
        };
        // The environment (read here, as every setting is) wins over the file.
        let access_key_id = over
            .aws_access_key_id
            .clone()
            .or(file.access_key_id)
            .filter(|k| !k.trim().is_empty())
            .ok_or(ConfigError::MediaMissing(
                "credentials: AWS_ACCESS_KEY_ID (or [media] access_key_id)",
            ))?;
        let secret_access_key = over
            .aws_secret_access_key
            .clone()
            .or(file.secret_access_key)
            .filter(|k| !k.is_empty())
            .ok_or(ConfigError::MediaMissing(
                "credentials: AWS_SECRET_ACCESS_KEY (or [media] secret_access_key)",
            ))?;
        // Like the credentials, the environment's (AWS_CA_BUNDLE) wins over the file's.
        let ca_bundle = over
            .aws_ca_bundle
            .as_deref()
            .or(file.ca_bundle.as_deref())
            .map(check_ca_bundle)
            .transpose()?;
        Ok(S3Config {
            ca_bundle,
            endpoint,
            bucket,
            region,
            path_style: file.path_style.unwrap_or(false),
            prefix,
            access_key_id: access_key_id.trim().to_owned(),
            secret_access_key,
            session_token: over.aws_session_token.clone().filter(|t| !t.is_empty()),
        })
    }
}

/// Largest certificate bundle read: Debian's whole system bundle is about 200 KB.
const MAX_CA_BUNDLE: u64 = 1024 * 1024;

/// The certificate authorities in a PEM file, read and checked (at most [`MAX_CA_BUNDLE`]
/// bytes, at least one certificate, every certificate whole): a wrong path or file is found
/// at start, not by the first upload.
pub fn read_ca_bundle(path: &Path) -> Result<Vec<object_store::Certificate>, ConfigError> {
    let bad = |why: String| ConfigError::CaBundle(path.display().to_string(), why);
    let size = std::fs::metadata(path)
        .map_err(|e| bad(e.to_string()))?
        .len();
    if size > MAX_CA_BUNDLE {
        return Err(bad(format!(
            "{size} bytes, more than a certificate bundle's {MAX_CA_BUNDLE}"
        )));
    }
    let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    if !pem
        .windows(b"-----BEGIN CERTIFICATE-----".len())
        .any(|w| w == b"-----BEGIN CERTIFICATE-----")
    {
        return Err(bad(
            "no PEM certificate (-----BEGIN CERTIFICATE-----) in it".to_owned(),
        ));
    }
    object_store::Certificate::from_pem_bundle(&pem).map_err(|e| bad(e.to_string()))
}

fn check_ca_bundle(path: &Path) -> Result<PathBuf, ConfigError> {
    read_ca_bundle(path)?;
    Ok(path.to_path_buf())
}

/// An http(s) URL with a host, no query or fragment, without its trailing slash; a path
/// only when `path` allows one.
fn parse_url(text: &str, path: bool) -> Option<String> {
    let url = url::Url::parse(text).ok()?;
    let has_path = !matches!(url.path(), "" | "/");
    let ok = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some_and(|h| !h.is_empty())
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none()
        && (path || !has_path);
    ok.then(|| text.trim_end_matches('/').to_owned())
}

// ---- [auth] and [retention]

/// Login security (TOML `[auth]`, `KHOBOR_TRUSTED_PROXIES`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// Peers whose `X-Forwarded-For` / `Forwarded` headers are believed about the client's
    /// address; from anyone else those headers are ignored (they are trivially forged).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Failed logins accepted site-wide per hour from browsers not known to the account, so
    /// that an attacker rotating addresses cannot guess faster than this in all.
    pub failed_logins_per_hour: u32,
}

pub const DEFAULT_FAILED_LOGINS_PER_HOUR: u32 = 100;
pub const MAX_FAILED_LOGINS_PER_HOUR: u32 = 1_000_000;

impl Default for AuthConfig {
    fn default() -> AuthConfig {
        AuthConfig {
            trusted_proxies: Vec::new(),
            failed_logins_per_hour: DEFAULT_FAILED_LOGINS_PER_HOUR,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileAuth {
    pub trusted_proxies: Option<Vec<String>>,
    pub failed_logins_per_hour: Option<u32>,
}

impl AuthConfig {
    fn load(over: &Overrides, file: FileAuth) -> Result<AuthConfig, ConfigError> {
        // The flag or environment list replaces the file's (an empty one trusts nobody).
        let proxies: Vec<String> = match &over.trusted_proxies {
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
            None => file.trusted_proxies.unwrap_or_default(),
        };
        let trusted_proxies = proxies
            .iter()
            .map(|p| parse_proxy(p))
            .collect::<Result<_, _>>()?;
        let failed_logins_per_hour = file
            .failed_logins_per_hour
            .unwrap_or(DEFAULT_FAILED_LOGINS_PER_HOUR);
        if failed_logins_per_hour == 0 || failed_logins_per_hour > MAX_FAILED_LOGINS_PER_HOUR {
            return Err(ConfigError::FailedLoginsPerHour);
        }
        Ok(AuthConfig {
            trusted_proxies,
            failed_logins_per_hour,
        })
    }
}

/// `10.0.0.0/8`, `2001:db8::/32`, or a single address (`127.0.0.1`, `::1`).
fn parse_proxy(text: &str) -> Result<ipnet::IpNet, ConfigError> {
    let text = text.trim();
    if let Ok(net) = text.parse::<ipnet::IpNet>() {
        return Ok(net.trunc());
    }
    text.parse::<std::net::IpAddr>()
        .map(ipnet::IpNet::from)
        .map_err(|_| ConfigError::TrustedProxy(text.to_owned()))
}

/// Story views counted for the most-read lists (TOML `[views]`): on by default; each node
/// writes what it counted every `flush_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ViewsConfig {
    pub enabled: bool,
    pub flush_seconds: u32,
}

/// The longest wait between two writes of the view counts (what a crash may lose).
pub const MAX_VIEWS_FLUSH: u32 = 600;

impl Default for ViewsConfig {
    fn default() -> ViewsConfig {
        ViewsConfig {
            enabled: true,
            flush_seconds: 10,
        }
    }
}

impl ViewsConfig {
    fn validated(self) -> Result<ViewsConfig, ConfigError> {
        if !(1..=MAX_VIEWS_FLUSH).contains(&self.flush_seconds) {
            return Err(ConfigError::ViewsFlush(self.flush_seconds));
        }
        Ok(self)
    }
}

/// Agency wires (TOML `[wires]`): how long one poll of a source may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WiresConfig {
    pub timeout_seconds: u32,
}

impl Default for WiresConfig {
    fn default() -> WiresConfig {
        WiresConfig {
            timeout_seconds: 20,
        }
    }
}

/// The longest one poll of a wire source may take.
pub const MAX_WIRES_TIMEOUT: u32 = 120;

impl WiresConfig {
    /// How long one poll of a source may take.
    pub fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(u64::from(self.timeout_seconds))
    }

    fn validated(self) -> Result<WiresConfig, ConfigError> {
        if !(1..=MAX_WIRES_TIMEOUT).contains(&self.timeout_seconds) {
            return Err(ConfigError::WiresTimeout(self.timeout_seconds));
        }
        Ok(self)
    }
}

/// How long old records are kept (TOML `[retention]`, days): audit lines and failed-login
/// records are deleted by age, so that neither grows without bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    pub audit_days: u32,
    pub login_failures_days: u32,
}

pub const MAX_RETENTION_DAYS: u32 = 100 * 366;

impl Default for RetentionConfig {
    fn default() -> RetentionConfig {
        RetentionConfig {
            audit_days: 365,
            login_failures_days: 30,
        }
    }
}

impl RetentionConfig {
    fn validated(self) -> Result<RetentionConfig, ConfigError> {
        if !(1..=MAX_RETENTION_DAYS).contains(&self.audit_days) {
            return Err(ConfigError::Retention("audit_days", 1));
        }
        // Login delays count the failures of the last day; keeping fewer would forget them.
        if !(1..=MAX_RETENTION_DAYS).contains(&self.login_failures_days) {
            return Err(ConfigError::Retention("login_failures_days", 1));
        }
        Ok(self)
    }
}

// ---- [metrics]

/// Who may read `/metrics` (TOML `[metrics]`, `KHOBOR_METRICS_TOKEN`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricsConfig {
    /// When set, `/metrics` answers only `Authorization: Bearer <token>`; unset, it is public,
    /// which suits a server listening on loopback only.
    pub token: Option<String>,
}

pub const MIN_METRICS_TOKEN: usize = 16;
pub const MAX_METRICS_TOKEN: usize = 256;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileMetrics {
    pub token: Option<String>,
}

impl MetricsConfig {
    fn load(over: &Overrides, file: FileMetrics) -> Result<MetricsConfig, ConfigError> {
        // A token given but empty (`KHOBOR_METRICS_TOKEN=$UNSET`) is refused, not read as
        // "no token": that would leave /metrics open to someone who meant to close it.
        let token = over.metrics_token.clone().or(file.token);
        if let Some(token) = &token {
            let printable = token.bytes().all(|b| b.is_ascii_graphic());
            if !printable || !(MIN_METRICS_TOKEN..=MAX_METRICS_TOKEN).contains(&token.len()) {
                return Err(ConfigError::MetricsToken);
            }
        }
        Ok(MetricsConfig { token })
    }
}

// ---- [cdn]

/// The CDN in front of the site and how to purge it (TOML `[cdn]`, `KHOBOR_CDN_TOKEN`): the
/// node holding the purge lease turns each change into purges of the keys the changed pages
/// carry in `Surrogate-Key` (see `crate::cdn`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CdnConfig {
    /// No CDN to purge (pages still carry their keys; a CDN may keep them `s_maxage`).
    #[default]
    None,
    /// Varnish with the xkey module: `PURGE` requests naming the keys in `xkey-purge`, sent
    /// to every URL (one per Varnish server).
    Varnish { urls: Vec<String> },
    /// Fastly's surrogate-key batch purge API.
    Fastly {
        api_url: String,
        service_id: String,
        token: String,
        soft: bool,
    },
    /// Cloudflare's purge-by-cache-tag API.
    Cloudflare {
        api_url: String,
        zone_id: String,
        token: String,
    },
}

pub const FASTLY_API: &str = "https://api.fastly.com";
pub const CLOUDFLARE_API: &str = "https://api.cloudflare.com/client/v4";
/// Varnish servers one site may name.
pub const MAX_CDN_URLS: usize = 32;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileCdn {
    pub purger: Option<String>,
    pub urls: Option<Vec<String>>,
    pub api_url: Option<String>,
    pub service_id: Option<String>,
    pub zone_id: Option<String>,
    pub token: Option<String>,
    pub soft_purge: Option<bool>,
}

impl CdnConfig {
    fn load(over: &Overrides, file: FileCdn) -> Result<CdnConfig, ConfigError> {
        let purger = file
            .purger
            .as_deref()
            .map(str::trim)
            .unwrap_or("none")
            .to_ascii_lowercase();
        let token = over.cdn_token.clone().or(file.token);
        let unused = |field: &'static str, present: bool| {
            if present {
                Err(ConfigError::CdnUnused(field, purger.clone()))
            } else {
                Ok(())
            }
        };
        let config = match purger.as_str() {
            "none" | "" => {
                unused("urls", file.urls.is_some())?;
                unused("api_url", file.api_url.is_some())?;
                unused("service_id", file.service_id.is_some())?;
                unused("zone_id", file.zone_id.is_some())?;
                unused("soft_purge", file.soft_purge.is_some())?;
                CdnConfig::None
            }
            "varnish" => {
                unused("api_url", file.api_url.is_some())?;
                unused("service_id", file.service_id.is_some())?;
                unused("zone_id", file.zone_id.is_some())?;
                unused("token", token.is_some())?;
                unused("soft_purge", file.soft_purge.is_some())?;
                let urls = file.urls.unwrap_or_default();
                if urls.is_empty() {
                    return Err(ConfigError::CdnMissing(
                        "varnish",
                        "urls (each Varnish server, e.g. [\"http://10.0.0.5:6081/\"])",
                    ));
                }
                if urls.len() > MAX_CDN_URLS {
                    return Err(ConfigError::CdnValue(
                        "urls",
                        format!("{} servers", urls.len()),
                        "at most 32",
                    ));
                }
                let urls = urls
                    .iter()
                    .map(|u| cdn_url("urls", u))
                    .collect::<Result<_, _>>()?;
                CdnConfig::Varnish { urls }
            }
            "fastly" => {
                unused("urls", file.urls.is_some())?;
                unused("zone_id", file.zone_id.is_some())?;
                CdnConfig::Fastly {
                    api_url: cdn_url("api_url", file.api_url.as_deref().unwrap_or(FASTLY_API))?,
                    service_id: cdn_id("fastly", "service_id", file.service_id)?,
                    token: cdn_token("fastly", token)?,
                    soft: file.soft_purge.unwrap_or(false),
                }
            }
            "cloudflare" => {
                unused("urls", file.urls.is_some())?;
                unused("service_id", file.service_id.is_some())?;
                unused("soft_purge", file.soft_purge.is_some())?;
                CdnConfig::Cloudflare {
                    api_url: cdn_url("api_url", file.api_url.as_deref().unwrap_or(CLOUDFLARE_API))?,
                    zone_id: cdn_id("cloudflare", "zone_id", file.zone_id)?,
                    token: cdn_token("cloudflare", token)?,
                }
            }
            _ => return Err(ConfigError::CdnPurger(purger)),
        };
        Ok(config)
    }
}

/// An http(s) URL with a host and an optional path ([`parse_url`]), at most 512 bytes.
fn cdn_url(field: &'static str, url: &str) -> Result<String, ConfigError> {
    parse_url(url.trim(), true)
        .filter(|u| u.len() <= 512)
        .ok_or_else(|| {
            ConfigError::CdnValue(
                field,
                url.to_owned(),
                "expected http:// or https://, a host and an optional path",
            )
        })
}

fn cdn_id(
    purger: &'static str,
    field: &'static str,
    id: Option<String>,
) -> Result<String, ConfigError> {
    let id = id.map(|s| s.trim().to_owned()).unwrap_or_default();
    if id.is_empty() {
        return Err(ConfigError::CdnMissing(purger, field));
    }
    if id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ConfigError::CdnValue(
            field,
            id,
            "letters and digits only, at most 64",
        ));
    }
    Ok(id)
}

fn cdn_token(purger: &'static str, token: Option<String>) -> Result<String, ConfigError> {
    let Some(token) = token else {
        return Err(ConfigError::CdnMissing(
            purger,
            "an API token (KHOBOR_CDN_TOKEN or [cdn] token)",
        ));
    };
    if token.is_empty() || token.len() > 512 || !token.bytes().all(|b| b.is_ascii_graphic()) {
        // The token itself is never repeated in a message.
        return Err(ConfigError::CdnValue(
            "token",
            "…".to_owned(),
            "1 to 512 printable ASCII characters without spaces",
        ));
    }
    Ok(token)
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    toml::from_str(&text).map_err(|source| ConfigError::Parse {
        path: path.to_path_buf(),
        source: Box::new(source),
    })
}

fn pick(flag: &Option<String>, file: Option<String>, default: &str) -> String {
    flag.clone().or(file).unwrap_or_else(|| default.to_owned())
}

fn nfc(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.trim().nfc().collect()
}

fn parse_base_url(url: &str) -> Result<String, ConfigError> {
    let trimmed = url.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains('/') && !host.contains(' ') => {
            Ok(trimmed.to_owned())
        }
        _ => Err(ConfigError::BaseUrl(url.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_dhaka_and_loopback() {
        let c = Config::load(&Overrides::default(), None).unwrap();
        assert_eq!(c.addr.to_string(), DEFAULT_ADDR);
        assert_eq!(c.site.timezone, chrono_tz::Asia::Dhaka);
        assert_eq!(c.site.base_url, "http://127.0.0.1:8080");
        assert_eq!(c.data_dir, PathBuf::from(DEFAULT_DATA));
        assert!(
            c.auth.trusted_proxies.is_empty(),
            "nobody's headers believed"
        );
        assert_eq!(c.retention, RetentionConfig::default());
        assert_eq!(c.metrics.token, None, "/metrics is public by default");
        assert_eq!(
            c.snapshots.every,
            Some(std::time::Duration::from_secs(600)),
            "a snapshot every ten minutes"
        );
    }

    #[test]
    fn bad_values_are_named() {
        let over = Overrides {
            timezone: Some("Mars/Olympus".into()),
            ..Default::default()
        };
        let err = Config::load(&over, None).unwrap_err().to_string();
        assert!(err.contains("Mars/Olympus"), "{err}");
        let err = Config::load(&Overrides::default(), Some("localhost")).unwrap_err();
        assert!(matches!(err, ConfigError::Addr(_)));
        let over = Overrides {
            base_url: Some("ftp://x".into()),
            ..Default::default()
        };
        assert!(matches!(
            Config::load(&over, None),
            Err(ConfigError::BaseUrl(_))
        ));
    }

    /// A certificate authority's certificate (made for these tests, its key thrown away).
    const TEST_CA: &str = "-----BEGIN CERTIFICATE-----
MIIBlTCCATugAwIBAgIULXqMvQWe2F+U992NnImz0FYdWHMwCgYIKoZIzj0EAwIw
IDEeMBwGA1UEAwwVS2hvYm9yIGNvbmZpZyB0ZXN0IENBMB4XDTI2MTIwNzA3MzIw
NVoXDTM2MTIwNDA3MzIwNVowIDEeMBwGA1UEAwwVS2hvYm9yIGNvbmZpZyB0ZXN0
IENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAElzlA9FhP20iI2NqFSQo9z/xu
IKxPrg3lWFjWLtAlJBKEPWSnyIjRIkc3Re9Qek/Y2EPH/QiDbjTG//nXAWXZL6NT
MFEwHQYDVR0OBBYEFGSoosq8CgK30oBtcyFfiam4yzC1MB8GA1UdIwQYMBaAFGSo
osq8CgK30oBtcyFfiam4yzC1MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwID
SAAwRQIgcYME5x+nsCR5UH8N57KuXFX+ad1HAmlZfzRmkRl290ACIQCUT3M2t6cy
g6HBPWs7EKIVeOYddgSKct+vUjFNy41W6w==
-----END CERTIFICATE-----
";

    #[test]
    fn media_store_settings_are_checked_at_start() {
        let dir = std::env::temp_dir().join(format!("khobor-config-media-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("khobor.toml");
        let over = Overrides {
            config: Some(path.clone()),
            data: Some(dir.clone()),
            ..Default::default()
        };
        let load = |text: &str, over: &Overrides| {
            std::fs::write(&path, text).unwrap();
            Config::load(over, None)
        };
        // The default: the data directory's media/ folder, Khobor's own /media/ URLs.
        let c = load("", &over).unwrap();
        assert_eq!(
            c.media.store,
            MediaStoreConfig::Local {
                dir: dir.join("media")
            }
        );
        assert_eq!(c.media.base_url, None);
        let c = load(
            "[media]\nbase_url = \"https://cdn.example.com/m/\"\n",
            &over,
        )
        .unwrap();
        assert_eq!(
            c.media.base_url.as_deref(),
            Some("https://cdn.example.com/m")
        );

        let s3 = "[media]\nstore = \"s3\"\nendpoint = \"http://127.0.0.1:9000\"\nbucket = \"khobor-media\"\npath_style = true\nprefix = \"/site-a/\"\n";
        let err = load(s3, &over).unwrap_err().to_string();
        assert!(err.contains("AWS_ACCESS_KEY_ID"), "{err}");
        let env = Overrides {
            aws_access_key_id: Some("AKIDEXAMPLE".into()),
            aws_secret_access_key: Some("from-the-environment".into()),
            ..over.clone()
        };
        let MediaStoreConfig::S3(c) = load(s3, &env).unwrap().media.store else {
            panic!("not s3");
        };
        assert_eq!(c.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(
            (c.bucket.as_str(), c.region.as_str()),
            ("khobor-media", "us-east-1")
        );
        assert!(c.path_style);
        assert_eq!(c.prefix.as_deref(), Some("site-a"));
        assert_eq!(c.secret_access_key, "from-the-environment");
        assert!(
            !format!("{c:?}").contains("from-the-environment"),
            "secret in Debug"
        );
        // Keys in the file serve when the environment has none; the environment wins.
        let with_keys =
            format!("{s3}access_key_id = \"FILEKEY\"\nsecret_access_key = \"file-secret\"\n");
        let MediaStoreConfig::S3(c) = load(&with_keys, &over).unwrap().media.store else {
            panic!("not s3");
        };
        assert_eq!(
            (c.access_key_id.as_str(), c.secret_access_key.as_str()),
            ("FILEKEY", "file-secret")
        );
        let MediaStoreConfig::S3(c) = load(&with_keys, &env).unwrap().media.store else {
            panic!("not s3");
        };
        assert_eq!(c.access_key_id, "AKIDEXAMPLE");

        // A private CA for the service: a PEM file, checked at start; the environment's
        // (AWS_CA_BUNDLE) wins over the file's.
        let ca = dir.join("ca.pem");
        std::fs::write(&ca, TEST_CA).unwrap();
        let with_ca = format!("{s3}ca_bundle = {:?}\n", ca.display().to_string());
        let MediaStoreConfig::S3(c) = load(&with_ca, &env).unwrap().media.store else {
            panic!("not s3");
        };
        assert_eq!(c.ca_bundle.as_deref(), Some(ca.as_path()));
        let not_pem = dir.join("not.pem");
        std::fs::write(&not_pem, "hello").unwrap();
        let env_ca = Overrides {
            aws_ca_bundle: Some(not_pem.clone()),
            ..env.clone()
        };
        let err = load(&with_ca, &env_ca).unwrap_err().to_string();
        assert!(
            err.contains(&not_pem.display().to_string()) && err.contains("no PEM certificate"),
            "{err}"
        );
        let missing = format!("{s3}ca_bundle = \"/nonexistent/ca.pem\"\n");
        let err = load(&missing, &env).unwrap_err().to_string();
        assert!(
            err.contains("the S3 certificate bundle /nonexistent/ca.pem"),
            "{err}"
        );
        let err = load(
            &format!("[media]\nca_bundle = {:?}\n", ca.display().to_string()),
            &env,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("[media] ca_bundle is only for store = \"s3\""),
            "{err}"
        );

        for (text, expect) in [
            ("[media]\nstore = \"ftp\"\n", "unknown [media] store \"ftp\""),
            ("[media]\nstore = \"s3\"\nendpoint = \"http://127.0.0.1:9000\"\n", "needs bucket"),
            ("[media]\nstore = \"s3\"\nbucket = \"b-1\"\nendpoint = \"127.0.0.1:9000\"\n", "invalid [media] endpoint"),
            ("[media]\nstore = \"s3\"\nbucket = \"b-1\"\nendpoint = \"https://s3.example.com/path\"\n", "invalid [media] endpoint"),
            ("[media]\nstore = \"s3\"\nbucket = \"Bad_Bucket\"\n", "invalid [media] bucket"),
            ("[media]\nstore = \"s3\"\nbucket = \"b-1\"\nprefix = \"a/../b\"\n", "invalid [media] prefix"),
            ("[media]\nbucket = \"b-1\"\n", "[media] bucket is only for store = \"s3\""),
            ("[media]\nbase_url = \"cdn.example.com\"\n", "invalid [media] base_url"),
            ("[media]\nbuckt = \"b\"\n", "unknown field"),
        ] {
            let err = load(text, &env).unwrap_err().to_string();
            assert!(err.contains(expect), "{text}: {err}");
        }
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn cdn_settings_are_checked_at_start() {
        let dir = std::env::temp_dir().join(format!("khobor-config-cdn-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("khobor.toml");
        let over = Overrides {
            config: Some(path.clone()),
            data: Some(dir.clone()),
            ..Default::default()
        };
        let load = |text: &str, over: &Overrides| {
            std::fs::write(&path, text).unwrap();
            Config::load(over, None)
        };
        assert_eq!(load("", &over).unwrap().cdn, CdnConfig::None);
        assert_eq!(
            load(
                "[cdn]\npurger = \"varnish\"\nurls = [\"http://10.0.0.5:6081/\"]\n",
                &over
            )
            .unwrap()
            .cdn,
            CdnConfig::Varnish {
                urls: vec!["http://10.0.0.5:6081".into()]
            }
        );
        // The token comes from the environment (KHOBOR_CDN_TOKEN) before the file.
        let with_token = Overrides {
            cdn_token: Some("env-token".into()),
            ..over.clone()
        };
        assert_eq!(
            load(
                "[cdn]\npurger = \"fastly\"\nservice_id = \"SU1Z0isx\"\ntoken = \"file-token\"\n",
                &with_token
            )
            .unwrap()
            .cdn,
            CdnConfig::Fastly {
                api_url: FASTLY_API.into(),
                service_id: "SU1Z0isx".into(),
                token: "env-token".into(),
                soft: false,
            }
        );
        assert_eq!(
            load(
                "[cdn]\npurger = \"Cloudflare\"\nzone_id = \"023e105f\"\n",
                &with_token
            )
            .unwrap()
            .cdn,
            CdnConfig::Cloudflare {
                api_url: CLOUDFLARE_API.into(),
                zone_id: "023e105f".into(),
                token: "env-token".into(),
            }
        );
        for (text, expect) in [
            (
                "[cdn]\npurger = \"akamai\"\n",
                "unknown [cdn] purger \"akamai\"",
            ),
            ("[cdn]\npurger = \"varnish\"\n", "needs urls"),
            (
                "[cdn]\npurger = \"varnish\"\nurls = [\"10.0.0.5:6081\"]\n",
                "invalid [cdn] urls",
            ),
            (
                "[cdn]\npurger = \"varnish\"\nurls = [\"http://a\"]\nzone_id = \"z\"\n",
                "[cdn] zone_id is not used by purger = \"varnish\"",
            ),
            (
                "[cdn]\npurger = \"fastly\"\ntoken = \"t\"\n",
                "needs service_id",
            ),
            (
                "[cdn]\npurger = \"fastly\"\nservice_id = \"a/b\"\ntoken = \"t\"\n",
                "invalid [cdn] service_id",
            ),
            (
                "[cdn]\npurger = \"fastly\"\nservice_id = \"abc\"\n",
                "needs an API token",
            ),
            (
                "[cdn]\npurger = \"cloudflare\"\nzone_id = \"z1\"\ntoken = \"has space\"\n",
                "invalid [cdn] token",
            ),
            (
                "[cdn]\nurls = [\"http://a\"]\n",
                "[cdn] urls is not used by purger = \"none\"",
            ),
            ("[cdn]\npurgr = \"varnish\"\n", "unknown field"),
        ] {
            let err = load(text, &over).unwrap_err().to_string();
            assert!(err.contains(expect), "{text}: {err}");
            assert!(
                !err.contains("has space"),
                "a token is never repeated: {err}"
            );
        }
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn file_is_read_and_flags_win() {
        let dir = std::env::temp_dir().join(format!("khobor-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("khobor.toml");
        std::fs::write(
            &path,
            "addr = \"127.0.0.1:9000\"\n[site]\nname = \"সকালের খবর\"\ntimezone = \"Asia/Kolkata\"\n[search.aliases]\nZelensky = [\"জেলেনস্কি\"]\n",
        )
        .unwrap();
        let over = Overrides {
            config: Some(path.clone()),
            timezone: Some("Asia/Dhaka".into()),
            ..Default::default()
        };
        let c = Config::load(&over, None).unwrap();
        assert_eq!(c.addr.port(), 9000);
        assert_eq!(c.site.name, "সকালের খবর");
        assert_eq!(c.site.timezone, chrono_tz::Asia::Dhaka);
        assert_eq!(c.search_aliases["zelensky"], vec!["জেলেনস্কি".to_owned()]);
        assert_eq!(c.cache, CacheConfig::default());
        std::fs::write(&path, "[cache]\ns_maxage = 120\n").unwrap();
        let c = Config::load(&over, None).unwrap();
        assert_eq!((c.cache.max_age, c.cache.s_maxage), (0, 120));
        std::fs::write(&path, "[cache]\nmax_age = 99999999\n").unwrap();
        assert!(matches!(
            Config::load(&over, None),
            Err(ConfigError::CacheTooLong("max_age"))
        ));
        std::fs::write(&path, "[cache]\nmaxage = 1\n").unwrap();
        assert!(Config::load(&over, None).is_err(), "unknown [cache] key");
        std::fs::write(&path, "[cache]\nttl = 0\n").unwrap();
        assert!(matches!(
            Config::load(&over, None),
            Err(ConfigError::CacheTtl)
        ));
        std::fs::write(&path, "[cache]\nmemory_mb = 1000000\n").unwrap();
        assert!(matches!(
            Config::load(&over, None),
            Err(ConfigError::CacheTooBig)
        ));
        std::fs::write(&path, "[cache]\nmemory_mb = 0\n").unwrap();
        assert_eq!(Config::load(&over, None).unwrap().cache.memory_mb, 0);
        std::fs::write(
            &path,
            "[auth]\ntrusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\", \"::1\"]\nfailed_logins_per_hour = 50\n[retention]\naudit_days = 90\n",
        )
        .unwrap();
        let c = Config::load(&over, None).unwrap();
        let proxies: Vec<String> = c
            .auth
            .trusted_proxies
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(proxies, ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]);
        assert_eq!(c.auth.failed_logins_per_hour, 50);
        assert_eq!(
            (c.retention.audit_days, c.retention.login_failures_days),
            (90, 30)
        );
        // The environment (or flag) list wins over the file's, and may be empty.
        let env = Overrides {
            trusted_proxies: Some("192.168.1.0/24, 2001:db8::1".into()),
            ..over.clone()
        };
        let proxies: Vec<String> = Config::load(&env, None)
            .unwrap()
            .auth
            .trusted_proxies
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(proxies, ["192.168.1.0/24", "2001:db8::1/128"]);
        let none = Overrides {
            trusted_proxies: Some(String::new()),
            ..over.clone()
        };
        assert!(Config::load(&none, None)
            .unwrap()
            .auth
            .trusted_proxies
            .is_empty());
        for bad in ["10.0.0.0/33", "proxy.example", "10.0.0", "*"] {
            let env = Overrides {
                trusted_proxies: Some(format!("127.0.0.1,{bad}")),
                ..over.clone()
            };
            let err = Config::load(&env, None).unwrap_err();
            assert!(
                matches!(&err, ConfigError::TrustedProxy(p) if p == bad),
                "{err}"
            );
        }
        std::fs::write(&path, "[auth]\ntrusted_proxies = [\"nginx\"]\n").unwrap();
        assert!(matches!(
            Config::load(&over, None),
            Err(ConfigError::TrustedProxy(_))
        ));
        std::fs::write(&path, "[auth]\nfailed_logins_per_hour = 0\n").unwrap();
        assert!(matches!(
            Config::load(&over, None),
            Err(ConfigError::FailedLoginsPerHour)
        ));
        std::fs::write(&path, "[retention]\nlogin_failures_days = 0\n").unwrap();
        assert!(matches!(
            Config::load(&over, None),
            Err(ConfigError::Retention("login_failures_days", _))
        ));
        std::fs::write(&path, "[metrics]\ntoken = \"0123456789abcdef-file\"\n").unwrap();
        assert_eq!(
            Config::load(&over, None).unwrap().metrics.token.as_deref(),
            Some("0123456789abcdef-file")
        );
        let env = Overrides {
            metrics_token: Some("0123456789abcdef-env".into()),
            ..over.clone()
        };
        assert_eq!(
            Config::load(&env, None).unwrap().metrics.token.as_deref(),
            Some("0123456789abcdef-env"),
            "the environment wins over the file"
        );
        for bad in [
            "",
            "short",
            "has a space in the middle",
            "tab\tinside-0123456789",
        ] {
            let env = Overrides {
                metrics_token: Some(bad.into()),
                ..over.clone()
            };
            assert!(
                matches!(Config::load(&env, None), Err(ConfigError::MetricsToken)),
                "{bad:?}"
            );
        }
        std::fs::write(&path, "[search]\nsnapshot_minutes = 0\n").unwrap();
        assert_eq!(Config::load(&over, None).unwrap().snapshots.every, None);
        std::fs::write(&path, "[search]\nsnapshot_minutes = 15\n").unwrap();
        assert_eq!(
            Config::load(&over, None).unwrap().snapshots.every,
            Some(std::time::Duration::from_secs(900))
        );
        std::fs::write(&path, "[search]\nsnapshot_minutes = 1441\n").unwrap();
        assert!(matches!(
            Config::load(&over, None),
            Err(ConfigError::SnapshotMinutes)
        ));
        std::fs::write(&path, "[metrics]\ntokn = \"x\"\n").unwrap();
        assert!(Config::load(&over, None).is_err(), "unknown [metrics] key");
        std::fs::write(&path, "colour = 1\n").unwrap();
        assert!(matches!(
            Config::load(&over, None),
            Err(ConfigError::Parse { .. })
        ));
        std::fs::remove_dir_all(dir).ok();
    }
}
