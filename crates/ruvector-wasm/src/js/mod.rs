//! The wasm-bindgen exports, a module per concern: [`convert`] (JavaScript values in and
//! out), [`lifecycle`] (open, close, list, delete, stats), [`ops`] (reads and writes of an
//! open database), [`transfer`] (export files, raw records) and [`memory`]
//! (`MemoryCollection`). Here: errors and events as JavaScript sees them, and [`call`], the
//! worker protocol's one entry point.

use std::cell::RefCell;

use js_sys::{Float32Array, Function, Object, Reflect, Uint8Array};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::codes::ErrorInfo;
use crate::protocol::bad_argument;

mod convert;
mod lifecycle;
mod memory;
mod ops;
mod transfer;

use convert::{arg, string_arg, typed};
pub use lifecycle::*;
pub use memory::*;
pub use ops::*;
pub use transfer::*;

thread_local! {
    static SINK: RefCell<Option<Function>> = const { RefCell::new(None) };
}

pub(crate) fn to_js<T: Serialize + ?Sized>(v: &T) -> Result<JsValue, JsValue> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| err(ErrorInfo::new("INTERNAL", e.to_string())))
}

fn err(e: ErrorInfo) -> JsValue {
    let o = Object::new();
    let _ = Reflect::set(&o, &"code".into(), &JsValue::from_str(e.code));
    let _ = Reflect::set(&o, &"message".into(), &JsValue::from_str(&e.message));
    o.into()
}

pub(crate) fn fail(e: impl Into<ErrorInfo>) -> JsValue {
    err(e.into())
}

/// Sends `{ event, name, ...detail }` to the function set by [`set_event_sink`].
fn emit(event: &str, name: &str, detail: Option<&JsValue>) {
    SINK.with(|s| {
        if let Some(f) = s.borrow().as_ref() {
            let o = Object::new();
            let _ = Reflect::set(&o, &"event".into(), &JsValue::from_str(event));
            let _ = Reflect::set(&o, &"name".into(), &JsValue::from_str(name));
            if let Some(d) = detail {
                let _ = Reflect::set(&o, &"detail".into(), d);
            }
            let _ = f.call1(&JsValue::NULL, &o);
        }
    });
}

/// The crate version.
#[wasm_bindgen]
pub fn version() -> String {
    crate::VERSION.into()
}

/// True when this build's kernels are WebAssembly SIMD128.
#[wasm_bindgen]
pub fn simd128() -> bool {
    ruvector_core::simd128_compiled()
}

/// Sets the function that receives events: `change` (after each acknowledged write),
/// `progress` (bulk inserts and imports) and `versionchange` (another context upgrades or
/// deletes the database; it has been closed).
#[wasm_bindgen(js_name = setEventSink)]
pub fn set_event_sink(f: Option<Function>) {
    SINK.with(|s| *s.borrow_mut() = f);
}

/// The one entry point of the worker protocol: runs `op` with the fields of `args` and
/// resolves to its value, or rejects with `{ code, message }`. Ops and their arguments are
/// listed in `docs/protocol.md`.
#[wasm_bindgen]
pub async fn call(op: String, args: JsValue) -> Result<JsValue, JsValue> {
    if !args.is_object() && !args.is_undefined() {
        return Err(fail(bad_argument("args", "expected an object")));
    }
    let name = || string_arg(&args, "name");
    match op.as_str() {
        "open" => open(name()?, arg(&args, "options")).await,
        "close" => close(name()?).await.map(JsValue::from),
        "deleteDatabase" => delete_database(name()?).await.map(|_| JsValue::UNDEFINED),
        "databases" => databases().await,
        "insert" => insert(name()?, arg(&args, "items")).await,
        "insertPacked" => {
            let vectors = typed::<Float32Array>(&args, "vectors", "Float32Array")?;
            insert_packed(name()?, arg(&args, "ids"), vectors, arg(&args, "metadata")).await
        }
        "upsert" => {
            upsert(
                name()?,
                string_arg(&args, "id")?,
                arg(&args, "vector"),
                arg(&args, "metadata"),
            )
            .await
        }
        "delete" => delete(name()?, arg(&args, "ids"))
            .await
            .map(|_| JsValue::UNDEFINED),
        "get" => get(name()?, string_arg(&args, "id")?).await,
        "search" => search(name()?, arg(&args, "vector"), arg(&args, "options")).await,
        "count" => count(name()?).map(JsValue::from),
        "retrain" => retrain(name()?).await.map(|_| JsValue::UNDEFINED),
        "stats" => stats(name()?).await,
        "export" => export_db(name()?).await.map(JsValue::from),
        "import" => {
            let data = typed::<Uint8Array>(&args, "data", "Uint8Array")?;
            import_db(name()?, data, arg(&args, "options")).await
        }
        other => Err(fail(ErrorInfo::new(
            "UNKNOWN_OP",
            format!("unknown operation {other:?}"),
        ))),
    }
}
