//! Khobor's integration tests: one binary, a file per feature. Every test builds the real
//! application (the production router over a real store: an SQLite file in its own temporary
//! data directory, or with `KHOBOR_TEST_POSTGRES=postgres://…` a PostgreSQL database of its
//! own on that server) through `helpers::TestApp`; its media in the data directory, or with
//! `KHOBOR_TEST_S3=http://…` under a prefix of its own in that S3 server's test bucket.

mod api;
mod archive;
mod backup;
mod breaking;
mod cards;
mod cdn;
mod change_feed;
mod cli;
mod corrections;
mod export;
mod feeds;
mod hardening;
mod health;
mod helpers;
mod http_cache;
mod import;
mod live;
mod media;
mod media_store;
mod metrics;
mod migrate_store;
mod most_read;
mod newsroom;
mod newsroom_login;
mod nodes;
mod page_cache;
mod places;
mod reader;
mod search;
mod search_snapshot;
mod smoke;
mod webhooks;
mod wires;
mod wordpress;
