//! Email: notices from the outbox, delivered by a background worker through SMTP or,
//! with no SMTP configured, as `.eml` files (SPEC §7).

pub mod account;
pub mod invitation;
pub mod meeting;
pub mod notice;
pub mod transport;
pub mod worker;

#[cfg(test)]
mod snapshot_tests;
