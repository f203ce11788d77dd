//! The page cache: a copy of the records an open reads (the manifest and the pages it
//! names, not the log), in one file of the origin private file system (OPFS) per database.
//! A worker reads a file through a synchronous access handle several times faster than the
//! same bytes from IndexedDB (30 MiB: 20-28 ms against 88-118 in a running browser, 173-190
//! in a freshly started one; docs/engine.md).
//!
//! IndexedDB stays the only store of record; the cache is never needed and never trusted:
//! - an open uses it only when the manifest it holds is byte for byte the manifest in
//!   IndexedDB (read in the same locked step), and reads the log from IndexedDB. A manifest
//!   names every page by a generation used once per database, and a database that replaces
//!   another is numbered after it, so an equal manifest names the same pages;
//! - each record in it carries its own checksum, seeded by its key, as in IndexedDB; an
//!   open from the cache that fails for any reason deletes it and opens from IndexedDB;
//! - it is written from memory when nothing waits for a checkpoint, holding the write lock,
//!   and only while IndexedDB's manifest is the one memory has;
//! - creating, importing into a new name and deleting a database delete its cache file.
//!
//! The file has the export file's framing (docs/format.md) without its final checksum (each
//! record carries its own), written a record at a time, so that writing it never holds more
//! than one encoded page in memory (the engine writes them in chunks, pausing between them:
//! `Engine::refresh_cache`). The file is written over in place and its header, which names how
//! many records follow, is written last (a zeroed header until then), then the file is cut to
//! its new length: emptying a 30 MiB file first, and flushing it at the end, each held the
//! worker for 10-30 ms while searches waited. Left unflushed, a file torn by a crash is read as
//! no cache (a zeroed header) or fails its records' checksums, and the open reads IndexedDB.

use js_sys::{Array, Promise};
use ruvector_core::storage::export::{export_header, frame_record};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

// Synchronous access handles exist in dedicated workers only; anywhere else, or on any
// failure (no OPFS, the file held by another tab's handle, a full quota), the cache is
// simply absent: reads give null, writes false (and leave no partial file).
#[wasm_bindgen(inline_js = "
const dir = () => (globalThis.navigator?.storage?.getDirectory ? navigator.storage.getDirectory() : null);
const MAGIC = 'RUVECTOR-EXPORT\\0';
export async function cache_read(name) {
  try {
    const d = await dir();
    if (!d) return null;
    const h = await (await d.getFileHandle(name)).createSyncAccessHandle();
    let buf;
    try { buf = new Uint8Array(h.getSize()); if (h.read(buf, { at: 0 }) !== buf.length) return null; } finally { h.close(); }
    const v = new DataView(buf.buffer);
    if (buf.length < 24 || String.fromCharCode(...buf.subarray(0, 16)) !== MAGIC) return null;
    const keys = [], values = [], text = new TextDecoder();
    let at = 24;
    const take = (n) => { if (n > buf.length - at) throw new Error('truncated'); at += n; return buf.subarray(at - n, at); };
    const u32 = () => v.getUint32(take(4).byteOffset, true);
    for (let i = v.getUint32(20, true); i > 0; i--) {
      keys.push(text.decode(take(u32())));
      values.push(take(u32()));
    }
    return [keys, values];
  } catch (e) {
    return null;
  }
}
export async function cache_writer(name) {
  try {
    const d = await dir();
    return d && await (await d.getFileHandle(name, { create: true })).createSyncAccessHandle();
  } catch (e) {
    return null;
  }
}
export function cache_put(h, bytes, at) {
  try { return h.write(bytes, { at }) === bytes.length; } catch (e) { return false; }
}
export async function cache_close(h, name, ok, header, size) {
  try {
    if (ok) ok = h.write(header, { at: 0 }) === header.length;
    if (ok) h.truncate(size);
    h.close();
  } catch (e) {
    ok = false;
  }
  if (!ok) await cache_remove(name);
  return ok;
}
export async function cache_remove(name) {
  try { await (await dir())?.removeEntry(name); } catch (e) {}
}")]
extern "C" {
    fn cache_read(name: &str) -> Promise;
    fn cache_writer(name: &str) -> Promise;
    /// `bytes` is a view of wasm memory, read while the call runs: no copy to make and drop.
    fn cache_put(handle: &JsValue, bytes: &[u8], at: f64) -> bool;
    fn cache_close(handle: &JsValue, name: &str, ok: bool, header: &[u8], size: f64) -> Promise;
    fn cache_remove(name: &str) -> Promise;
}

/// The OPFS file name of database `name`'s cache (its UTF-8 bytes in hex: any name is
/// allowed, a file name is not).
fn file_name(name: &str) -> String {
    let mut file = String::from("ruvector-");
    for b in name.bytes() {
        for d in [b >> 4, b & 15] {
            file.push(char::from_digit(d.into(), 16).unwrap_or('0'));
        }
    }
    file + ".pages"
}

/// The cached records of database `name` as parallel arrays of keys and values (views of
/// one buffer, manifest first as written), or `None` when there is no readable cache.
pub async fn read(name: &str) -> Option<(Array, Array)> {
    let found = JsFuture::from(cache_read(&file_name(name))).await.ok()?;
    let pair = found.dyn_into::<Array>().ok()?;
    Some((pair.get(0).dyn_into().ok()?, pair.get(1).dyn_into().ok()?))
}

/// A cache file being written, a record at a time; nothing of it is left unless
/// [`Writer::finish`] says so.
pub struct Writer {
    handle: JsValue,
    file: String,
    at: f64,
    ok: bool,
    /// The real header, written by [`Writer::finish`].
    header: Vec<u8>,
}

impl Writer {
    /// Starts replacing database `name`'s cache file (emptied now); `None` where there is
    /// no OPFS or the file is held elsewhere.
    pub async fn open(name: &str) -> Option<Writer> {
        let file = file_name(name);
        let handle = JsFuture::from(cache_writer(&file)).await.ok()?;
        (!handle.is_null() && !handle.is_undefined()).then_some(Writer {
            handle,
            file,
            at: 0.0,
            ok: true,
            header: Vec::new(),
        })
    }

    /// Appends `bytes` (after a failure, does nothing).
    pub fn put(&mut self, bytes: &[u8]) {
        if self.ok {
            self.ok = cache_put(&self.handle, bytes, self.at);
            self.at += bytes.len() as f64;
        }
    }

    /// Makes room for the file's header (`count` records follow), written by
    /// [`Writer::finish`].
    pub fn header(&mut self, count: usize) {
        self.header = export_header(count);
        self.put(&vec![0; self.header.len()]);
    }

    /// Appends one record with the export file's framing.
    pub fn record(&mut self, key: &str, value: &[u8]) {
        let mut r = Vec::with_capacity(8 + key.len() + value.len());
        frame_record(&mut r, key, value);
        self.put(&r);
    }

    /// Writes the header and the `count` records of `records`, encoding and writing one
    /// at a time.
    pub fn records(&mut self, count: usize, records: impl Iterator<Item = (String, Vec<u8>)>) {
        self.header(count);
        for (key, value) in records {
            self.record(&key, &value);
        }
    }

    /// Gives up: the file will be deleted by [`Writer::finish`].
    pub fn fail(&mut self) {
        self.ok = false;
    }

    /// Writes the header, cuts the file to what was written and closes it; true when every
    /// write succeeded, else the file is deleted.
    pub async fn finish(self) -> bool {
        let closing = cache_close(&self.handle, &self.file, self.ok, &self.header, self.at);
        let closed = JsFuture::from(closing).await;
        closed.ok().and_then(|v| v.as_bool()) == Some(true)
    }
}

/// Replaces database `name`'s cache file with `bytes` as they are (tests damage it so).
pub async fn write_raw(name: &str, bytes: &[u8]) -> bool {
    let Some(mut w) = Writer::open(name).await else {
        return false;
    };
    w.put(bytes);
    w.finish().await
}

/// Replaces database `name`'s cache with `records` (tests write old copies back so).
pub async fn write(name: &str, records: &[(String, Vec<u8>)]) -> bool {
    let Some(mut w) = Writer::open(name).await else {
        return false;
    };
    w.records(records.len(), records.iter().cloned());
    w.finish().await
}

/// Deletes database `name`'s cache, if there is one.
pub async fn remove(name: &str) {
    let _ = JsFuture::from(cache_remove(&file_name(name))).await;
}
