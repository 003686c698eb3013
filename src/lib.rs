//! Endring: a change advisory board (CAB) approval service.
//!
//! Layers, with dependencies pointing one way (see ARCHITECTURE.md):
//! `web → services → (domain, db, authz)`; `domain` depends on nothing of ours.

pub mod app;
pub mod authz;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod i18n;
pub mod import_file;
pub mod mail;
pub mod metrics;
pub mod services;
pub mod web;
pub mod webhooks;
