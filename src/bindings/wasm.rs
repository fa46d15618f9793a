//! The npm package API (wasm-bindgen), feature `wasm`.
