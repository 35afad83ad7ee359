//! Khobor's integration tests: one binary, a file per feature. Every test builds the real
//! application (the production router over a real SQLite store in its own temporary data
//! directory) through `helpers::TestApp`.

mod api;
mod archive;
mod cli;
mod feeds;
mod hardening;
mod health;
mod helpers;
mod http_cache;
mod import;
mod media;
mod newsroom;
mod newsroom_login;
mod page_cache;
mod reader;
mod search;
mod smoke;
