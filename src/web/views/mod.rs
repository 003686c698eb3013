//! HTML, all of it written with maud: the layout, shared components and one module per
//! page family. Views take plain values and a language; they never query or decide.

pub mod admin;
pub mod calendar;
pub mod changes;
pub mod components;
pub mod layout;
pub mod reports;

pub use layout::{error_page, page, plain_page};
