//! The person object's SQLite table: one row per `(kind, key)` as [`crate::state`] lays them out.
//! An operation's changes are written in one `transactionSync`, so a failure stores none of them.
//!
//! A whole state (a migrated bundle: up to the state's bounds, 15,000 rows) is written and read
//! a slice of rows (`STATE_SLICE_ROWS`, 1,024) per turn of the event loop instead, so that other
//! people's requests on the isolate go in between. Such a write marks the table as unfinished in
//! its first transaction and clears the mark in its last: an object that stops in between finds
//! the mark when loaded again and discards the rows ([`discard_unfinished`]), and the migration
//! starts over (its source is deleted only once every row is stored).

use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use worker::{SqlStorage, SqlStorageValue, Storage};

use crate::state::Change;

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS rows (kind INTEGER NOT NULL, key TEXT NOT NULL, \
     body BLOB NOT NULL, PRIMARY KEY (kind, key)) WITHOUT ROWID";
/// The mark of a whole state's write under way ([`write_sliced`]).
const UNFINISHED_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS unfinished (since INTEGER NOT NULL)";

/// Creates the tables when they are missing.
pub(super) fn ensure_schema(sql: &SqlStorage) -> worker::Result<()> {
    sql.exec(SCHEMA, None)?;
    sql.exec(UNFINISHED_SCHEMA, None).map(|_| ())
}

/// Discards the rows of a whole state's write that did not finish (the object stopped in
/// between): the rows and the mark go in one transaction. Returns whether there were any.
pub(super) fn discard_unfinished(storage: &Storage) -> worker::Result<bool> {
    let sql = storage.sql();
    let marked = sql
        .exec("SELECT count(*) FROM unfinished", None)?
        .raw()
        .next()
        .transpose()?
        .is_some_and(|row| matches!(row.first(), Some(SqlStorageValue::Integer(n)) if *n > 0));
    if marked {
        transaction(storage, |sql| {
            sql.exec("DELETE FROM rows", None)?;
            sql.exec("DELETE FROM unfinished", None)?;
            Ok(())
        })?;
    }
    Ok(marked)
}

/// Every stored row, `slice` rows per turn of the event loop (in key order, each page after the
/// last key read). For a load, when nothing else writes meanwhile.
pub(super) async fn read_rows_sliced(
    sql: &SqlStorage,
    slice: usize,
) -> worker::Result<Vec<(i64, String, Vec<u8>)>> {
    let slice = slice.max(1);
    let mut out: Vec<(i64, String, Vec<u8>)> = Vec::new();
    loop {
        let limit = i64::try_from(slice).unwrap_or(i64::MAX);
        let cursor = match out.last() {
            None => sql.exec(
                "SELECT kind, key, body FROM rows ORDER BY kind, key LIMIT ?",
                vec![limit.into()],
            )?,
            Some((kind, key, _)) => sql.exec(
                "SELECT kind, key, body FROM rows WHERE kind > ? OR (kind = ? AND key > ?) \
                 ORDER BY kind, key LIMIT ?",
                vec![
                    (*kind).into(),
                    (*kind).into(),
                    key.as_str().into(),
                    limit.into(),
                ],
            )?,
        };
        let before = out.len();
        collect_rows(cursor, &mut out)?;
        if out.len() - before < slice {
            return Ok(out);
        }
        worker::Delay::from(std::time::Duration::ZERO).await;
    }
}

/// Every stored row, as `(kind code, key, body)`.
pub(super) fn read_rows(sql: &SqlStorage) -> worker::Result<Vec<(i64, String, Vec<u8>)>> {
    let cursor = sql.exec("SELECT kind, key, body FROM rows", None)?;
    let mut out = Vec::new();
    collect_rows(cursor, &mut out)?;
    Ok(out)
}

/// The rows of `cursor`, appended to `out`.
fn collect_rows(
    cursor: worker::SqlCursor,
    out: &mut Vec<(i64, String, Vec<u8>)>,
) -> worker::Result<()> {
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
    Ok(())
}

/// Writes the changes in one transaction (all or none).
pub(super) fn write(storage: &Storage, changes: Vec<Change>) -> worker::Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    transaction(storage, move |sql| apply(sql, &changes))
}

/// Writes a whole state's changes, `slice` rows per transaction and per turn of the event loop,
/// marked as unfinished until the last one (see the module's doc). Only where nothing else
/// writes meanwhile (a load, in `blockConcurrencyWhile`).
pub(super) async fn write_sliced(
    storage: &Storage,
    changes: Vec<Change>,
    slice: usize,
) -> worker::Result<()> {
    let mut rest = changes;
    let mut first = true;
    loop {
        let tail = rest.split_off(rest.len().min(slice.max(1)));
        let chunk = rest;
        rest = tail;
        let last = rest.is_empty();
        transaction(storage, move |sql| {
            if first {
                sql.exec("INSERT INTO unfinished (since) VALUES (1)", None)?;
            }
            apply(sql, &chunk)?;
            if last {
                sql.exec("DELETE FROM unfinished", None)?;
            }
            Ok(())
        })?;
        if last {
            return Ok(());
        }
        first = false;
        worker::Delay::from(std::time::Duration::ZERO).await;
    }
}

/// Runs `body` in one `transactionSync`: all of its writes or none.
fn transaction(
    storage: &Storage,
    body: impl FnOnce(&SqlStorage) -> worker::Result<()> + 'static,
) -> worker::Result<()> {
    let sql = storage.sql();
    let body = move || -> Result<(), JsValue> { body(&sql).map_err(JsValue::from) };
    let callback = Closure::once_into_js(body);
    let raw: &JsValue = storage.as_raw().as_ref();
    let transaction_sync = js_sys::Reflect::get(raw, &JsValue::from_str("transactionSync"))?
        .dyn_into::<js_sys::Function>()?;
    transaction_sync.call1(raw, &callback)?;
    Ok(())
}

/// The changes, as statements on `sql`.
fn apply(sql: &SqlStorage, changes: &[Change]) -> worker::Result<()> {
    for change in changes {
        match change {
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
        }?;
    }
    Ok(())
}
