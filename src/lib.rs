//! Khobor: a Bengali-first news publishing platform. The library holds everything; the
//! `khobor` binary only parses its command line and calls in here.
//!
//! Import rule: `domain ← storage · feeds · search · media_store ← stories ← import · demo · jobs ← web
//! ← app ← cli`; `backup` uses `storage` and `media_store` only.

pub mod accounts;
pub mod app;
pub mod auth;
pub mod backup;
pub mod cards;
pub mod cdn;
pub mod config;
pub mod cpu;
pub mod datadir;
pub mod demo;
pub mod domain;
pub mod feeds;
pub mod import;
pub mod jobs;
pub mod media_store;
pub mod search;
pub mod storage;
pub mod stories;
pub mod web;
