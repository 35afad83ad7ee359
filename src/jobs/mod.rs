//! Background work inside `khobor serve`. Each job is idempotent and resumes from what the
//! store records, so a restart (or a crash) loses nothing. Work shared by several nodes is
//! claimed in the store first: scheduled stories by a conditional update, uploads by a lease
//! ([`node_name`] holds it); search snapshots by a named lease. May import `domain`, `storage`,
//! `search`, `media_store`.

pub mod cdn_purge;
pub mod media_variants;
pub mod scheduler;
pub mod search_indexer;
pub mod search_snapshot;
pub mod views;
pub mod webhooks;
pub mod wires;

use std::sync::OnceLock;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

/// This process among the nodes sharing a store, as leases record it: host name, process
/// id and a random part (a restarted process never passes for the one that died).
pub fn node_name() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "node".to_owned());
        format!(
            "{host}:{}:{:04x}",
            std::process::id(),
            rand::random::<u16>()
        )
    })
}

/// The background jobs, as `/metrics` names them in `khobor_jobs_total{job=…}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// A scheduled story published (one per story; a failed pass counts once).
    ScheduledPublish,
    /// One upload's image variants made.
    MediaVariants,
    /// Change-feed entries applied to the search index (a failed round counts once).
    SearchIndex,
    /// The hourly pruning of expired sessions and old records.
    Prune,
    /// Purge requests the CDN accepted (a failed round counts once).
    CdnPurge,
    /// Readings counted as views for the most-read lists (a failed batch counts once).
    Views,
    /// Wire sources polled (a poll that failed counts as failed).
    Wires,
    /// Webhook deliveries the receiver took (2xx); a failed attempt or round counts once.
    Webhooks,
}

impl Job {
    pub const ALL: [Job; 8] = [
        Job::ScheduledPublish,
        Job::MediaVariants,
        Job::SearchIndex,
        Job::Prune,
        Job::CdnPurge,
        Job::Views,
        Job::Wires,
        Job::Webhooks,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Job::ScheduledPublish => "scheduled_publish",
            Job::MediaVariants => "media_variants",
            Job::SearchIndex => "search_index",
            Job::Prune => "prune",
            Job::CdnPurge => "cdn_purge",
            Job::Views => "views",
            Job::Wires => "wires",
            Job::Webhooks => "webhooks",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobLabels {
    job: &'static str,
    outcome: &'static str,
}

/// How much work each job did and how often it failed. The jobs count here and `/metrics`
/// exposes the same counters (clones share their values), so a job never depends on the web
/// layer to be observed.
#[derive(Debug, Clone)]
pub struct JobCounters(Family<JobLabels, Counter>);

impl Default for JobCounters {
    fn default() -> JobCounters {
        let family = Family::default();
        // Every series exists from the start at 0, so a rate or an alert on `failed` works
        // before the first failure rather than seeing no series at all.
        for job in Job::ALL {
            for outcome in [Outcome::Done, Outcome::Failed] {
                let _ = family.get_or_create(&labels(job, outcome));
            }
        }
        JobCounters(family)
    }
}

fn labels(job: Job, outcome: Outcome) -> JobLabels {
    JobLabels {
        job: job.as_str(),
        outcome: outcome.as_str(),
    }
}

impl JobCounters {
    pub fn add(&self, job: Job, outcome: Outcome, n: u64) {
        if n > 0 {
            self.0.get_or_create(&labels(job, outcome)).inc_by(n);
        }
    }

    pub fn done(&self, job: Job, n: u64) {
        self.add(job, Outcome::Done, n);
    }

    pub fn failed(&self, job: Job) {
        self.add(job, Outcome::Failed, 1);
    }

    pub fn count(&self, job: Job, outcome: Outcome) -> u64 {
        self.0.get_or_create(&labels(job, outcome)).get()
    }

    /// The counters themselves, for registering with `/metrics`.
    pub fn family(&self) -> &Family<JobLabels, Counter> {
        &self.0
    }
}
