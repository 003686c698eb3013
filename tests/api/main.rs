//! The integration suite: the real application on port 0 with a fresh database, on
//! SQLite always and on PostgreSQL when `ENDRING_TEST_PG_URL` is set.

mod builder;
mod calendar;
mod candidates;
mod helpers;

mod feeds;
mod gate;

mod accounts;
mod approvals;
mod attachments;
mod audit;
mod cli;
mod concurrency;
mod delegations;
mod desk;
mod dst;
mod errors;
mod hostile;
mod house;
mod import;
mod incidents;
mod lifecycle;
mod mail;
mod maintenance;
mod matrix;
mod meetings;
mod migrations;
mod oidc;
mod openapi;
mod pages;
mod processes;
mod reference;
mod reminders;
mod reports;
mod risk;
mod rules;
mod sessions;
mod smtp_sink;
mod statements;
mod system_messages;
mod tokens;
mod webhooks;
mod work;
mod workdays;
