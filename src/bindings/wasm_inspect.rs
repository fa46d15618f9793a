//! The inspector's wasm API (`www/inspect.html`), feature `wasm-compiler`: it lives in the
//! browser's on-demand module (`dist/web/compiler/`) and the Node module, never in the storefront's
//! size-budgeted one. Requests and answers are JSON text, the same text the Worker's
//! `/inspect/api/` answers, so the page draws both with one code path ([`crate::inspect`]).

use wasm_bindgen::prelude::*;

use crate::inspect::{inspect, overview, InspectRequest};
use crate::snapshot::{Snapshot, SnapshotLimits};

use super::wasm::{js_error, snapshot_error};

fn json(value: &impl serde::Serialize) -> Result<String, JsValue> {
    serde_json::to_string(value).map_err(|e| js_error("E_OUTPUT", &e.to_string()))
}

/// A snapshot decoded once for the inspector.
#[wasm_bindgen]
pub struct Inspector {
    snapshot: Snapshot,
}

#[wasm_bindgen]
impl Inspector {
    /// Decodes snapshot bytes (either policy).
    #[wasm_bindgen(js_name = fromSnapshot)]
    pub fn from_snapshot(bytes: &[u8]) -> Result<Inspector, JsValue> {
        Snapshot::decode(bytes, &SnapshotLimits::default())
            .map(|snapshot| Inspector { snapshot })
            .map_err(|e| snapshot_error(&e))
    }

    /// The snapshot's overview ([`crate::inspect::Overview`]) as JSON text.
    pub fn overview(&self) -> Result<String, JsValue> {
        json(&overview(&self.snapshot))
    }

    /// The answer to a request ([`InspectRequest::from_json`]) as JSON text; `now_ms` is the time
    /// when the request names none. A bad request throws `E_OPTIONS_INVALID` naming the member.
    pub fn inspect(&self, request: &str, now_ms: f64) -> Result<String, JsValue> {
        let req = InspectRequest::from_json(request, now_ms as i64)
            .map_err(|e| js_error("E_OPTIONS_INVALID", &e.to_string()))?;
        json(&inspect(&self.snapshot, &req))
    }
}
