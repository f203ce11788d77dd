//! Moving whole databases: export files in and out, raw records for tests.

use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;

use super::fail;
use super::fields::import_options;
use super::lifecycle::{engine_events, stats};
use crate::engine;

/// The whole database as one export file (`Uint8Array`; [`engine::Engine::export`]).
pub async fn export_db(name: String) -> Result<Uint8Array, JsValue> {
    let e = engine::get(&name).map_err(fail)?;
    let file = e.export().await.map_err(fail)?;
    Ok(Uint8Array::from(file.as_slice()))
}

/// Imports an export file as the new database `name`, or with `options.replace` as the
/// whole new contents of the open database `name` ([`engine::lifecycle::import`]); resolves
/// to its stats.
pub async fn import_db(
    name: String,
    file: Uint8Array,
    options: JsValue,
) -> Result<JsValue, JsValue> {
    let opts = import_options(options).map_err(fail)?;
    let file = file.to_vec();
    let imported = engine::lifecycle::import(&name, &file, &opts, engine_events());
    imported.await.map_err(fail)?;
    stats(name).await
}

/// Test hook: folds database `name`'s log now ([`engine::Engine::checkpoint_now`]).
pub async fn checkpoint_now(name: String) -> Result<(), JsValue> {
    let e = engine::get(&name).map_err(fail)?;
    e.checkpoint_now().await.map_err(fail)
}

/// Test hook: writes raw bytes at `key` in database `name`'s IndexedDB store, and deletes its
/// page cache (a copy of what was stored before).
pub async fn put_raw_record(name: String, key: String, value: Uint8Array) -> Result<(), JsValue> {
    let value = value.to_vec();
    let written = engine::lifecycle::put_raw(&name, &key, &value);
    written.await.map_err(fail)
}
