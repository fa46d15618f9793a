//! Thin bindings over the core, one per cargo feature. They convert types and errors once, at the
//! edge; no logic lives here that the core could hold.

#[cfg(feature = "wasm")]
pub mod wasm;
#[cfg(feature = "wasm-compiler")]
pub mod wasm_inspect;
#[cfg(feature = "worker")]
pub mod worker;
