//! The person object's SQLite table: one row per `(kind, key)` as [`crate::state`] lays them out.
//! An operation's changes are written in one `transactionSync`, so a failure stores none of them.

use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use worker::{SqlStorage, SqlStorageValue, Storage};

use crate::state::Change;

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS rows (kind INTEGER NOT NULL, key TEXT NOT NULL, \
     body BLOB NOT NULL, PRIMARY KEY (kind, key)) WITHOUT ROWID";

/// Creates the table when it is missing.
pub(super) fn ensure_schema(sql: &SqlStorage) -> worker::Result<()> {
    sql.exec(SCHEMA, None).map(|_| ())
}

/// Every stored row, as `(kind code, key, body)`.
pub(super) fn read_rows(sql: &SqlStorage) -> worker::Result<Vec<(i64, String, Vec<u8>)>> {
    let cursor = sql.exec("SELECT kind, key, body FROM rows", None)?;
    let mut out = Vec::new();
    for row in cursor.raw() {
        match row?.as_slice() {
            [SqlStorageValue::Integer(kind), SqlStorageValue::String(key), SqlStorageValue::Blob(body)] => {
                out.push((*kind, key.clone(), body.clone()))
            }
            _ => {
                return Err(worker::Error::RustError(
                    "state row of an unexpected shape".into(),
                ))
            }
        }
    }
    Ok(out)
}

/// Writes the changes in one transaction (all or none).
pub(super) fn write(storage: &Storage, changes: Vec<Change>) -> worker::Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let sql = storage.sql();
    let body = move || -> Result<(), JsValue> {
        for change in &changes {
            let result = match change {
                Change::Put { kind, key, body } => sql.exec(
                    "INSERT OR REPLACE INTO rows (kind, key, body) VALUES (?, ?, ?)",
                    vec![
                        kind.code().into(),
                        key.as_str().into(),
                        SqlStorageValue::Blob(body.clone()),
                    ],
                ),
                Change::Delete { kind, key } => sql.exec(
                    "DELETE FROM rows WHERE kind = ? AND key = ?",
                    vec![kind.code().into(), key.as_str().into()],
                ),
                Change::Clear => sql.exec("DELETE FROM rows", None),
            };
            result.map_err(JsValue::from)?;
        }
        Ok(())
    };
    let callback = Closure::once_into_js(body);
    let raw: &JsValue = storage.as_raw().as_ref();
    let transaction_sync = js_sys::Reflect::get(raw, &JsValue::from_str("transactionSync"))?
        .dyn_into::<js_sys::Function>()?;
    transaction_sync.call1(raw, &callback)?;
    Ok(())
}
