//! The pure heart of Endring: change states and the lifecycle, risk scoring, CAB
//! approval rules, schedule conflicts and audit hashing.
//!
//! Nothing here performs I/O or knows about actix, diesel or casbin; every rule of the
//! product contract that can be stated as a function of values is stated here and tested
//! here, exhaustively or by property.

pub mod account;
pub mod approval;
pub mod attachment;
pub mod audit;
pub mod cab;
pub mod caller;
pub mod candidate;
pub mod change;
pub mod delegation;
pub mod gate;
pub mod ids;
pub mod import;
pub mod incident;
pub mod lifecycle;
pub mod maintenance;
pub mod meeting;
pub mod risk;
pub mod role;
pub mod schedule;
pub mod schema;
pub mod slots;
pub mod system_message;
pub mod text;
pub mod text_enum;
pub mod validation;
pub mod webhook;
pub mod workdays;
