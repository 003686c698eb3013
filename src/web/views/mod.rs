//! HTML, all of it written with maud: the layout, shared components and one module per
//! page family. Views take plain values and a language; they never query or decide.

pub mod admin;
pub mod auth;
pub mod cab;
pub mod calendar;
pub mod changes;
pub mod components;
pub mod desk;
pub mod feed;
pub mod home;
pub mod layout;
pub mod markdown;
pub mod meetings;
pub mod profile;
pub mod reports;
pub mod system_messages;
pub mod vote;
pub mod webhooks;

pub use layout::{error_page, page, plain_page};
