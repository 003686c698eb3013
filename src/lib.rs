//! Endring: a change advisory board (CAB) approval service.
//!
//! Layers, with dependencies pointing one way (see ARCHITECTURE.md):
//! `web → services → (domain, db, authz)`; `domain` depends on nothing of ours.

pub mod domain;
