//! edge-persona core
#![forbid(unsafe_code)]

pub mod errors;
pub mod import;
pub mod policy;
pub mod profile;
pub mod rank;
pub mod render;
pub mod snapshot;
pub mod text;
pub mod time;
