//! Purging the CDN in front of the site by surrogate key. Every public response names what it
//! shows in `Surrogate-Key` (`article:42 section:3 latest … site`, see `web::http_cache`);
//! when something changes, the purge job (`jobs::cdn_purge`) asks the CDN to drop exactly the
//! responses carrying the keys the change touched. Three purgers, chosen by `[cdn] purger`:
//!
//! - **Varnish** with the xkey module: `PURGE /` with the keys in an `xkey-purge` header, to
//!   every Varnish server named (docs/cdn/khobor.vcl answers it with `xkey.purge`).
//! - **Fastly**: `POST /service/{id}/purge` with `{"surrogate_keys": [...]}` (at most 256
//!   keys a request) and the token in `Fastly-Key`; `Fastly-Soft-Purge: 1` when asked for.
//! - **Cloudflare**: `POST /zones/{id}/purge_cache` with `{"tags": [...]}` (at most 100 a
//!   request) and `Authorization: Bearer`; Cloudflare reads the keys from `Cache-Tag`, which
//!   the site then also sends.
//!
//! Requests are built by pure functions (their shapes are unit-tested against the vendors'
//! documentation) and sent with bounded retries. May import `config` (and `media_store` for its TLS set-up).

use std::time::Duration;

use crate::config::CdnConfig;

/// The key every cacheable response carries: purging it drops every page (a section renamed
/// shows on every page's menu).
pub const SITE_KEY: &str = "site";

/// Keys per Varnish request: the `xkey-purge` header stays far below Varnish's 8 KB header
/// limit (keys are at most ~20 bytes).
pub const VARNISH_BATCH: usize = 200;
/// Fastly's limit on keys per batch purge request.
pub const FASTLY_BATCH: usize = 256;
/// Cloudflare's limit on tags per purge request.
pub const CLOUDFLARE_BATCH: usize = 100;

/// Attempts per request before the batch counts as failed (the job tries it again later).
const ATTEMPTS: u32 = 3;
/// How long one purge request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// One HTTP request to the CDN, as data: built by [`Purger::requests`], sent by
/// [`Purger::send`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgeRequest {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PurgeError {
    #[error("purge request to {url} failed: {reason}")]
    Failed { url: String, reason: String },
}

/// A configured CDN and the HTTP client purges go out on.
#[derive(Debug, Clone)]
pub struct Purger {
    config: CdnConfig,
    client: reqwest_tls::Client,
}

impl Purger {
    /// The purger `[cdn]` asks for; `None` when there is no CDN to purge.
    pub fn new(config: &CdnConfig) -> Option<Purger> {
        if *config == CdnConfig::None {
            return None;
        }
        crate::media_store::install_tls();
        let client = reqwest_tls::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest_tls::redirect::Policy::none())
            .build()
            .ok()?;
        Some(Purger {
            config: config.clone(),
            client,
        })
    }

    /// Which CDN this is, for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self.config {
            CdnConfig::None => "none",
            CdnConfig::Varnish { .. } => "varnish",
            CdnConfig::Fastly { .. } => "fastly",
            CdnConfig::Cloudflare { .. } => "cloudflare",
        }
    }

    /// The requests that purge `keys` (in batches the CDN accepts).
    pub fn requests(&self, keys: &[String]) -> Vec<PurgeRequest> {
        requests(&self.config, keys)
    }

    /// Sends one request, retrying a failed one (connection refused, 5xx, 429) with a short
    /// backoff; any other answer but 2xx is a failure at once.
    pub async fn send(&self, request: &PurgeRequest) -> Result<(), PurgeError> {
        let mut delay = Duration::from_millis(200);
        let mut last = String::new();
        for attempt in 1..=ATTEMPTS {
            let method = reqwest_tls::Method::from_bytes(request.method.as_bytes())
                .expect("purge methods are valid");
            let mut builder = self.client.request(method, &request.url);
            for (name, value) in &request.headers {
                builder = builder.header(*name, value);
            }
            if let Some(body) = &request.body {
                builder = builder.body(body.clone());
            }
            match builder.send().await {
                Ok(response) if response.status().is_success() => return Ok(()),
                Ok(response) => {
                    let status = response.status();
                    let text = response.text().await.unwrap_or_default();
                    last = format!("{status}: {}", text.chars().take(200).collect::<String>());
                    let transient = status.is_server_error() || status.as_u16() == 429;
                    if !transient {
                        break;
                    }
                }
                Err(e) => last = e.to_string(),
            }
            if attempt < ATTEMPTS {
                tokio::time::sleep(delay).await;
                delay *= 4;
            }
        }
        Err(PurgeError::Failed {
            url: request.url.clone(),
            reason: last,
        })
    }
}

/// The purge requests for `keys` under `config`: pure, so that their shapes can be checked.
pub fn requests(config: &CdnConfig, keys: &[String]) -> Vec<PurgeRequest> {
    if keys.is_empty() {
        return Vec::new();
    }
    match config {
        CdnConfig::None => Vec::new(),
        CdnConfig::Varnish { urls } => keys
            .chunks(VARNISH_BATCH)
            .flat_map(|batch| {
                let keys = batch.join(" ");
                urls.iter().map(move |url| PurgeRequest {
                    method: "PURGE",
                    url: format!("{url}/"),
                    headers: vec![("xkey-purge", keys.clone())],
                    body: None,
                })
            })
            .collect(),
        CdnConfig::Fastly {
            api_url,
            service_id,
            token,
            soft,
        } => keys
            .chunks(FASTLY_BATCH)
            .map(|batch| {
                let mut headers = vec![
                    ("fastly-key", token.clone()),
                    ("content-type", "application/json".to_owned()),
                    ("accept", "application/json".to_owned()),
                ];
                if *soft {
                    headers.push(("fastly-soft-purge", "1".to_owned()));
                }
                PurgeRequest {
                    method: "POST",
                    url: format!("{api_url}/service/{service_id}/purge"),
                    headers,
                    body: Some(serde_json::json!({ "surrogate_keys": batch }).to_string()),
                }
            })
            .collect(),
        CdnConfig::Cloudflare {
            api_url,
            zone_id,
            token,
        } => keys
            .chunks(CLOUDFLARE_BATCH)
            .map(|batch| PurgeRequest {
                method: "POST",
                url: format!("{api_url}/zones/{zone_id}/purge_cache"),
                headers: vec![
                    ("authorization", format!("Bearer {token}")),
                    ("content-type", "application/json".to_owned()),
                ],
                body: Some(serde_json::json!({ "tags": batch }).to_string()),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn keys(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("article:{i}")).collect()
    }

    fn body(r: &PurgeRequest) -> Value {
        serde_json::from_str(r.body.as_deref().expect("a JSON body")).expect("JSON")
    }

    fn header<'a>(r: &'a PurgeRequest, name: &str) -> Option<&'a str> {
        r.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn varnish_gets_a_purge_per_server_with_the_keys_in_xkey_purge() {
        let config = CdnConfig::Varnish {
            urls: vec!["http://10.0.0.5:6081".into(), "http://10.0.0.6:6081".into()],
        };
        let r = requests(
            &config,
            &["article:42".into(), "section:3".into(), "latest".into()],
        );
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].method, "PURGE");
        assert_eq!(r[0].url, "http://10.0.0.5:6081/");
        assert_eq!(r[1].url, "http://10.0.0.6:6081/");
        assert_eq!(
            header(&r[0], "xkey-purge"),
            Some("article:42 section:3 latest")
        );
        assert_eq!(r[0].body, None);
        // 450 keys: three batches to each of the two servers, no key lost or repeated.
        let r = requests(&config, &keys(450));
        assert_eq!(r.len(), 6);
        let sent: Vec<&str> = r
            .iter()
            .filter(|r| r.url.starts_with("http://10.0.0.5"))
            .flat_map(|r| header(r, "xkey-purge").unwrap().split(' '))
            .collect();
        assert_eq!(sent.len(), 450);
        assert_eq!(sent[449], "article:450");
    }

    /// Fastly's "Purge multiple surrogate keys": POST /service/{service_id}/purge, the token
    /// in Fastly-Key, a JSON body `{"surrogate_keys": [...]}` of at most 256 keys; a soft
    /// purge adds `Fastly-Soft-Purge: 1`.
    #[test]
    fn fastly_batches_of_256_surrogate_keys() {
        let config = CdnConfig::Fastly {
            api_url: "https://api.fastly.com".into(),
            service_id: "SU1Z0isxPaozGVKXdv0eY".into(),
            token: "fastly-token".into(),
            soft: false,
        };
        let r = requests(&config, &keys(300));
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].method, "POST");
        assert_eq!(
            r[0].url,
            "https://api.fastly.com/service/SU1Z0isxPaozGVKXdv0eY/purge"
        );
        assert_eq!(header(&r[0], "Fastly-Key"), Some("fastly-token"));
        assert_eq!(header(&r[0], "Content-Type"), Some("application/json"));
        assert_eq!(header(&r[0], "Fastly-Soft-Purge"), None);
        let first = body(&r[0]);
        assert_eq!(first["surrogate_keys"].as_array().unwrap().len(), 256);
        assert_eq!(first["surrogate_keys"][0], "article:1");
        assert_eq!(body(&r[1])["surrogate_keys"].as_array().unwrap().len(), 44);
        assert_eq!(first.as_object().unwrap().len(), 1, "nothing but the keys");
        let soft = CdnConfig::Fastly {
            api_url: "https://api.fastly.com".into(),
            service_id: "abc".into(),
            token: "t".into(),
            soft: true,
        };
        let r = requests(&soft, &keys(1));
        assert_eq!(header(&r[0], "Fastly-Soft-Purge"), Some("1"));
    }

    /// Cloudflare's "Purge Cached Content" by cache tags: POST /zones/{zone_id}/purge_cache,
    /// `Authorization: Bearer`, a JSON body `{"tags": [...]}` of at most 100 tags.
    #[test]
    fn cloudflare_batches_of_100_tags() {
        let config = CdnConfig::Cloudflare {
            api_url: "https://api.cloudflare.com/client/v4".into(),
            zone_id: "023e105f4ecef8ad9ca31a8372d0c353".into(),
            token: "cf-token".into(),
        };
        let r = requests(&config, &keys(250));
        assert_eq!(r.len(), 3);
        assert_eq!(
            r[0].url,
            "https://api.cloudflare.com/client/v4/zones/023e105f4ecef8ad9ca31a8372d0c353/purge_cache"
        );
        assert_eq!(r[0].method, "POST");
        assert_eq!(header(&r[0], "Authorization"), Some("Bearer cf-token"));
        assert_eq!(header(&r[0], "Content-Type"), Some("application/json"));
        let sizes: Vec<usize> = r
            .iter()
            .map(|r| body(r)["tags"].as_array().unwrap().len())
            .collect();
        assert_eq!(sizes, [100, 100, 50]);
        assert_eq!(body(&r[2])["tags"][49], "article:250");
    }

    #[test]
    fn nothing_to_purge_sends_nothing() {
        let config = CdnConfig::Varnish {
            urls: vec!["http://127.0.0.1:6081".into()],
        };
        assert!(requests(&config, &[]).is_empty());
        assert!(requests(&CdnConfig::None, &keys(3)).is_empty());
    }
}
