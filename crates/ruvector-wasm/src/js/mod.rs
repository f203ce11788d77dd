//! The wasm-bindgen exports, a module per concern: [`convert`] (JavaScript values in and
//! out), [`lifecycle`] (open, close, list, delete, stats), [`ops`] (reads and writes of an
//! open database), [`transfer`] (export files, raw records) and [`memory`]
//! (`MemoryCollection`). Here: errors and events as JavaScript sees them, and [`call`], the
//! worker protocol's one entry point.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;

use js_sys::{Float32Array, Function, Object, Reflect, Uint8Array};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::errors::ErrorInfo;
use crate::protocol::bad_argument;

mod convert;
mod fields;
mod lifecycle;
mod memory;
mod ops;
pub mod results;
mod transfer;

use convert::{arg, string_arg, typed};
pub use lifecycle::*;
pub use memory::*;
pub use ops::*;
pub use transfer::*;

thread_local! {
    static SINK: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// `v` as a JavaScript value, through its JSON text and `JSON.parse`: one call into
/// JavaScript, and one serialiser in the module (serde_json's, which the engine links anyway).
pub(crate) fn to_js<T: Serialize + ?Sized>(v: &T) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(v).map_err(internal)?;
    js_sys::JSON::parse(&text)
}

/// `values` as one JavaScript array, `null` for `None`, through one `JSON.parse`: a page of
/// metadata crosses into JavaScript in one call.
pub(crate) fn json_array<'a>(
    values: impl IntoIterator<Item = Option<&'a serde_json::Value>>,
) -> Result<JsValue, JsValue> {
    let mut text = String::from("[");
    for (i, v) in values.into_iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        match v {
            // The serialiser `to_js` instantiates: no second copy in the module.
            Some(v) => text.push_str(&serde_json::to_string(v).map_err(internal)?),
            None => text.push_str("null"),
        }
    }
    text.push(']');
    js_sys::JSON::parse(&text)
}

fn internal(e: serde_json::Error) -> JsValue {
    err(ErrorInfo::new("INTERNAL", e.to_string()))
}

impl From<ErrorInfo> for JsValue {
    fn from(e: ErrorInfo) -> JsValue {
        err(e)
    }
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
/// `request` is the protocol request's id: `insertMany` reports progress under it and
/// `abort` names it.
#[wasm_bindgen]
pub async fn call(op: String, args: JsValue, request: JsValue) -> Result<JsValue, JsValue> {
    dispatch(&op, &args, request)?.await
}

/// An op's future, boxed: `call` then holds one pointer instead of every op's state, and
/// each op is a function of its own (a fresh worker compiles only those it runs).
type OpFuture = Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>>;

fn boxed<T: Into<JsValue>>(
    f: impl Future<Output = Result<T, JsValue>> + 'static,
) -> Result<OpFuture, JsValue> {
    Ok(Box::pin(async move { f.await.map(Into::into) }))
}

/// The future of `op` with the fields of `args`, or the error its arguments make.
fn dispatch(op: &str, args: &JsValue, request: JsValue) -> Result<OpFuture, JsValue> {
    if !args.is_object() && !args.is_undefined() {
        return Err(fail(bad_argument("args", "expected an object")));
    }
    let name = || string_arg(args, "name");
    let nothing = |_| JsValue::UNDEFINED;
    match op {
        "open" => boxed(open(name()?, arg(args, "options"))),
        "close" => boxed(close(name()?)),
        "deleteDatabase" => {
            let name = name()?;
            boxed(async move { delete_database(name).await.map(nothing) })
        }
        "databases" => boxed(databases()),
        "insert" => boxed(insert(name()?, arg(args, "items"))),
        "insertPacked" | "insertMany" if arg(args, "vectors").is_undefined() => {
            let chunk = (op == "insertMany").then(|| arg(args, "chunk"));
            boxed(insert_texts(
                name()?,
                request,
                arg(args, "ids"),
                arg(args, "metadata"),
                arg(args, "texts"),
                chunk,
            ))
        }
        "insertPacked" | "insertMany" => {
            let vectors = typed::<Float32Array>(args, "vectors", "Float32Array")?;
            let chunk = (op == "insertMany").then(|| arg(args, "chunk"));
            boxed(insert_packed(
                name()?,
                request,
                vectors,
                arg(args, "ids"),
                arg(args, "metadata"),
                arg(args, "texts"),
                chunk,
            ))
        }
        "abort" => {
            crate::engine::bulk::abort(&arg(args, "requestId"));
            boxed(async { Ok(JsValue::TRUE) })
        }
        "upsert" => boxed(upsert(
            name()?,
            string_arg(args, "id")?,
            arg(args, "vector"),
            arg(args, "metadata"),
            arg(args, "text"),
        )),
        // `{ ids }` (resolving to nothing, as ever) or `{ filter }` (to how many it deleted).
        "delete" => {
            let (name, ids, filter) = (name()?, arg(args, "ids"), arg(args, "filter"));
            let counted = !filter.is_undefined();
            boxed(async move {
                let n = delete(name, ids, filter).await?;
                Ok(if counted {
                    JsValue::from(n)
                } else {
                    JsValue::UNDEFINED
                })
            })
        }
        "get" => boxed(get(name()?, string_arg(args, "id")?)),
        "records" => {
            let vectors = arg(args, "vectors").as_bool() != Some(false);
            boxed(records(
                name()?,
                arg(args, "after"),
                arg(args, "limit"),
                vectors,
                arg(args, "epoch"),
            ))
        }
        "search" => {
            // `query`: a vector, a string or `{ vector?, text? }`; `vector` is its old name.
            let query = match arg(args, "query") {
                q if q.is_undefined() => arg(args, "vector"),
                q => q,
            };
            boxed(search(name()?, query, arg(args, "options")))
        }
        "searchMany" => boxed(search_many(
            name()?,
            arg(args, "vectors"),
            arg(args, "texts"),
            arg(args, "options"),
        )),
        "count" => {
            let n = count(name()?);
            boxed(async move { n })
        }
        "retrain" => {
            let name = name()?;
            boxed(async move { retrain(name).await.map(nothing) })
        }
        "compact" => boxed(compact(name()?)),
        "stats" => boxed(stats(name()?)),
        "export" => boxed(export_db(name()?)),
        "import" => {
            let data = typed::<Uint8Array>(args, "data", "Uint8Array")?;
            boxed(import_db(name()?, data, arg(args, "options")))
        }
        other => Err(fail(ErrorInfo::new(
            "UNKNOWN_OP",
            format!("unknown operation {other:?}"),
        ))),
    }
}
