//! One writer at a time per database across tabs and workers of an origin: the Web Locks
//! API (`navigator.locks`), exclusive lock `ruvector:<name>`.
//!
//! A worker takes the lock for each commit group, catches up with what other writers
//! committed, applies its writes, commits and releases. The browser releases a lock whose
//! holder died (a terminated worker, a closed or crashed tab), so a crash never leaves a
//! database locked.

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::errors::ErrorInfo;

/// A held lock, released when dropped.
pub struct WriteLock {
    release: Option<Function>,
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        if let Some(f) = self.release.take() {
            let _ = f.call0(&JsValue::NULL);
        }
    }
}

fn lock_manager() -> Option<JsValue> {
    let nav = Reflect::get(&js_sys::global(), &"navigator".into()).ok()?;
    let locks = Reflect::get(&nav, &"locks".into()).ok()?;
    (!locks.is_undefined() && !locks.is_null()).then_some(locks)
}

/// True when this context has Web Locks (secure contexts of current browsers).
pub fn available() -> bool {
    lock_manager().is_some()
}

/// Waits for the exclusive lock of database `name`. Without Web Locks (an insecure
/// context) there is nothing to wait for, and the returned guard holds nothing: one tab
/// at a time is then the caller's promise.
pub async fn acquire(name: &str) -> Result<WriteLock, ErrorInfo> {
    let Some(locks) = lock_manager() else {
        return Ok(WriteLock { release: None });
    };
    let fail = |what: &str| ErrorInfo::new("STORAGE", format!("Web Locks: {what}"));
    let request: Function = Reflect::get(&locks, &"request".into())
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| fail("navigator.locks.request is missing"))?;
    // The lock is held until the promise the callback returns settles: we settle it by
    // calling `release`.
    let mut release = None;
    let held = Promise::new(&mut |resolve, _| release = Some(resolve));
    let mut granted_fn = None;
    let granted = Promise::new(&mut |resolve, _| granted_fn = Some(resolve));
    let granted_fn = granted_fn.ok_or_else(|| fail("no resolver"))?;
    let callback = wasm_bindgen::closure::Closure::once_into_js(move |_lock: JsValue| {
        let _ = granted_fn.call0(&JsValue::NULL);
        held
    });
    let opts = Object::new();
    let _ = Reflect::set(&opts, &"mode".into(), &"exclusive".into());
    let name = JsValue::from_str(&super::storage_name(name));
    // The request's own promise settles with the callback's (never rejected) promise.
    request
        .call3(&locks, &name, &opts, &callback)
        .map_err(|_| fail("request failed"))?;
    JsFuture::from(granted)
        .await
        .map_err(|_| fail("the lock was not granted"))?;
    Ok(WriteLock { release })
}

/// True when someone, in this context or another, waits for database `name`'s lock: work
/// that holds it but can wait (writing the page cache) then gives it up. False without Web
/// Locks or when the browser cannot tell.
pub async fn contended(name: &str) -> bool {
    let Some(locks) = lock_manager() else {
        return false;
    };
    let query = Reflect::get(&locks, &"query".into()).ok();
    let Some(query) = query.and_then(|f| f.dyn_into::<Function>().ok()) else {
        return false;
    };
    let Some(asked) = query
        .call0(&locks)
        .ok()
        .and_then(|p| p.dyn_into::<Promise>().ok())
    else {
        return false;
    };
    let Ok(snapshot) = JsFuture::from(asked).await else {
        return false;
    };
    let pending = Reflect::get(&snapshot, &"pending".into()).ok();
    let Some(pending) = pending.and_then(|p| p.dyn_into::<Array>().ok()) else {
        return false;
    };
    let ours = super::storage_name(name);
    pending.iter().any(|r| {
        Reflect::get(&r, &"name".into())
            .ok()
            .and_then(|n| n.as_string())
            .is_some_and(|n| n == ours)
    })
}
