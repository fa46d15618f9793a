//! The Cloudflare Worker (workers-rs), feature `worker`.
