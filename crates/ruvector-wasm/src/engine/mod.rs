//! The worker's engine: open databases by name, each a `Database` in memory persisted in
//! IndexedDB with group commit, shared safely with other tabs. It owns a database's
//! lifecycle ([`lifecycle`]: open, close, delete, import, export); the storage pieces only it
//! uses live under it: [`idb`] (IndexedDB, the store of record; in Node the host's files of
//! [`files`], through the same type), [`cache`] (the OPFS page cache), [`locks`] (Web Locks)
//! and [`bulk`] (`insertMany` in chunks). The `js` module converts JavaScript values and
//! calls it.
//!
//! A write is an operation queued with [`Engine::write`]. The commit loop takes the queued
//! operations as one group, takes the database's Web Lock ([`locks`]), catches up
//! with whatever other tabs committed (from the log, or by reloading when they folded it),
//! applies the group in memory, writes its batches in one IndexedDB transaction, announces
//! the new sequence number on the `BroadcastChannel` `ruvector:<name>`, and releases the
//! lock. Callers are answered once that transaction completes. Other tabs' workers hear the
//! announcement and catch up the same way, so a search in any tab after its `change` event
//! sees the write.
//!
//! If a transaction fails, the database is reloaded from IndexedDB and that group's writes
//! fail with a typed error, so memory again equals what is stored; writes queued after it
//! apply to the reloaded state. When the queue runs empty and the log passes a hard limit, a
//! checkpoint is queued at once; when the log has merely grown larger than the pages it
//! changes, the checkpoint waits until no write has come for [`IDLE_CHECKPOINT_MS`], so a
//! bulk load is folded once, after it ends, or at `close` if that comes first. A checkpoint
//! runs in the commit loop, after the queued writes, a slice at a time ([`SLICE_BYTES`]):
//! searches are answered between slices. After the same idle time, and when closing, the
//! page cache ([`cache`]) is written again, in chunks, if the stored manifest has changed
//! and memory equals the pages it names.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use futures_channel::oneshot;
use ruvector_core::storage::{PageRef, WriteBatch, MANIFEST_KEY};
use ruvector_core::Database;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{BroadcastChannel, MessageEvent};

use crate::errors::ErrorInfo;
use crate::protocol::Durability;

pub mod bulk;
pub mod cache;
pub mod compact;
pub mod embedder;
pub mod files;
pub mod heap;
pub mod idb;
pub mod lifecycle;
pub mod locks;

use idb::{Idb, Records};

type Ack = oneshot::Sender<Result<(), ErrorInfo>>;
/// Receives `(event, name, detail)` for events the engine raises itself.
pub type EventSink = Rc<dyn Fn(&str, &str, &JsValue)>;
/// A queued write: applied to the database under the lock, it yields the batch to commit
/// (an empty batch when it has nothing to store), or a typed error having changed nothing.
pub type Op = Box<dyn FnOnce(&mut Database) -> Result<WriteBatch, ErrorInfo>>;

/// What every browser-side name of a database starts with.
pub const NAME_PREFIX: &str = "ruvector:";

/// The name database `name` goes by in the browser: its IndexedDB database, its Web Lock
/// and its BroadcastChannel are all `ruvector:<name>`.
pub fn storage_name(name: &str) -> String {
    format!("{NAME_PREFIX}{name}")
}

/// How long no write must come before a worthwhile (not yet required) checkpoint runs.
pub const IDLE_CHECKPOINT_MS: u32 = 250;

/// Bytes of records a page cache write encodes and writes before it gives the worker back
/// for a moment: about 10 ms of work.
pub const CACHE_CHUNK_BYTES: usize = 1 << 20;

/// Bytes of pages a checkpoint encodes, and of records a transaction puts, before the worker
/// answers what waits (searches): about a millisecond of work.
pub const SLICE_BYTES: usize = 512 << 10;

/// How many times a read of stored vectors tries before giving up on pages that other tabs
/// keep replacing ([`Engine::stored_pages`]).
pub const READ_ATTEMPTS: u32 = 3;

/// Counters of the persistence layer.
#[derive(Clone, Debug, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EngineStats {
    /// IndexedDB readwrite transactions committed.
    pub transactions: u64,
    /// Transactions that failed.
    pub failed_transactions: u64,
    /// The durability the browser reported for the last transaction.
    pub last_durability: String,
    /// The durability asked for.
    pub durability: Durability,
    /// Milliseconds the last open spent reading IndexedDB.
    pub open_read_ms: f64,
    /// Milliseconds the last open spent rebuilding the engine from the records.
    pub open_decode_ms: f64,
    /// Bytes the last open read from IndexedDB (vector pages restored from code pages are
    /// not read).
    pub open_bytes_read: f64,
    /// Whether writers are serialised across tabs by the Web Locks API.
    pub web_locks: bool,
    /// Log records applied from other tabs' commits.
    pub remote_records: u64,
    /// Reloads because another tab folded the log (or replaced the database) past us.
    pub remote_reloads: u64,
    /// Reads of stored vectors that found their pages replaced by another tab and read
    /// again after catching up.
    pub read_retries: u64,
    /// Whether a checkpoint is being encoded or written now.
    pub checkpointing: bool,
    /// Slices of pages ([`SLICE_BYTES`]) the current or last checkpoint encoded, the worker
    /// answering what waited between them.
    pub checkpoint_slices: u64,
    /// What the last open with `recover: true` dropped, if anything.
    pub recovery: Option<ruvector_core::recovery::Recovery>,
    /// Whether the last open read its pages from the page cache ([`cache`]) and only
    /// the manifest and the log from IndexedDB.
    pub open_from_cache: bool,
    /// Times this engine wrote the page cache.
    pub cache_writes: u64,
    /// Milliseconds the last page cache write took (encoding and writing every page).
    pub cache_write_ms: f64,
}

/// `performance.now()` where there is one (page or worker), else 0.
pub fn now_ms() -> f64 {
    js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| {
            let f = js_sys::Reflect::get(&p, &"now".into()).ok()?;
            let f: &js_sys::Function = wasm_bindgen::JsCast::dyn_ref(&f)?;
            f.call0(&p).ok()?.as_f64()
        })
        .unwrap_or(0.0)
}

/// The channel on which commits of database `name` are announced to other tabs.
struct Channel {
    channel: BroadcastChannel,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

/// One open database.
pub struct Engine {
    /// Its name.
    pub name: String,
    /// The engine; never borrowed across an await.
    pub db: RefCell<Database>,
    /// The database's IndexedDB connection.
    pub idb: Idb,
    queue: RefCell<Vec<(Op, Option<Ack>)>>,
    /// A checkpoint asked for (run after the queued writes), with whom to tell.
    checkpoint: RefCell<Option<Vec<Ack>>>,
    committing: Cell<bool>,
    /// Writes queued so far; an idle checkpoint runs only if none came while it waited.
    writes: Cell<u64>,
    /// Set when another context asked to upgrade or delete the database.
    pub closed: Rc<Cell<bool>>,
    /// Persistence counters.
    pub stats: RefCell<EngineStats>,
    channel: RefCell<Option<Channel>>,
    /// The embedder module loaded by `open` (this session only), if any.
    pub embedder: RefCell<Option<Rc<embedder::Embedder>>>,
    /// Receives `(event, name, detail)`: `change` after catching up with another tab.
    events: EventSink,
    /// The manifest record the page cache holds, as far as this engine knows.
    cached_manifest: RefCell<Option<Vec<u8>>>,
    /// `Some` while the page cache is being written, with whoever waits for that write to end.
    caching: RefCell<Option<Vec<oneshot::Sender<()>>>>,
    /// Bytes of records a page cache write encodes between two pauses
    /// ([`CACHE_CHUNK_BYTES`] unless a test sets it).
    pub cache_chunk_bytes: Cell<usize>,
    /// Bytes of pages a checkpoint encodes between pauses ([`SLICE_BYTES`]; tests lower it).
    pub slice_bytes: Cell<usize>,
    /// Records the page cache write in flight has written so far (0 when none is).
    pub cache_records_written: Cell<usize>,
    /// A compaction under way, and the ones waiting for it ([`compact`]).
    compacting: compact::Waiters,
    /// Whether an idle moment compacts when [`compact::due`] (`compaction: 'auto'`); off for
    /// the rest of the session once one has failed.
    pub auto_compact: Cell<bool>,
    /// Times the slots were renumbered under this engine: a compaction or an import here, or a
    /// reload that found fewer slots (another tab compacted). A `records` cursor holds slots,
    /// so a paging export checks this did not change between its pages.
    pub epoch: Cell<u32>,
    /// Until when (`now_ms`) an export is taken to be paging through the database: the idle
    /// policy does not compact under it.
    pub export_lease: Cell<f64>,
}

thread_local! {
    static OPEN: RefCell<HashMap<String, Rc<Engine>>> = RefCell::new(HashMap::new());
}

/// The open database `name`.
pub fn get(name: &str) -> Result<Rc<Engine>, ErrorInfo> {
    let e = OPEN
        .with(|o| o.borrow().get(name).cloned())
        .ok_or_else(|| {
            ErrorInfo::new(
                "NOT_OPEN",
                format!("database {name:?} is not open; call open first"),
            )
        })?;
    if e.closed.get() {
        return Err(ErrorInfo::new(
            "CLOSED",
            format!("database {name:?} was closed because another context is upgrading or deleting it; open it again"),
        ));
    }
    Ok(e)
}

/// Registers an opened engine, starts listening to other tabs' commits and, once idle,
/// brings the page cache up to date.
pub fn register(engine: Rc<Engine>) {
    engine.listen();
    engine.when_idle();
    OPEN.with(|o| o.borrow_mut().insert(engine.name.clone(), engine));
}

/// Forgets `name`, closing its connection; true if it was open.
pub fn unregister(name: &str) -> bool {
    match OPEN.with(|o| o.borrow_mut().remove(name)) {
        Some(e) => {
            // A pending idle checkpoint sees this and does nothing.
            e.closed.set(true);
            if let Some(c) = e.channel.borrow_mut().take() {
                c.channel.close();
            }
            e.idb.close();
            true
        }
        None => false,
    }
}

fn abandoned() -> ErrorInfo {
    ErrorInfo::new("STORAGE", "the commit was abandoned")
}

/// A `change` event's detail: `{ seq, origin }`.
pub fn change_detail(seq: u64, origin: &str) -> JsValue {
    let o = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&o, &"seq".into(), &JsValue::from_f64(seq as f64));
    let _ = js_sys::Reflect::set(&o, &"origin".into(), &JsValue::from_str(origin));
    o.into()
}

impl Engine {
    /// The vector pages that reads of `ids` (every such page when `None`) need from
    /// IndexedDB: those whose originals are not in memory (`quantization: int8`); none
    /// otherwise, and then no transaction is opened.
    ///
    /// Another tab may replace pages (a fold, an import) between naming the keys and reading
    /// them, and an import may reuse a key for other contents. The pages are read with the
    /// manifest, in one transaction: when a key is gone, when the stored manifest is not the
    /// one memory was built from, or when memory moved on meanwhile, it catches up (an empty
    /// write, which brings memory level with IndexedDB under the lock) and reads again, at
    /// most [`READ_ATTEMPTS`] times.
    pub async fn stored_pages(self: &Rc<Self>, ids: Option<&[&str]>) -> Result<Records, ErrorInfo> {
        let mut attempt = 1;
        loop {
            let keys = self.db.borrow().stored_page_keys(ids);
            if keys.is_empty() {
                return Ok(Records::default());
            }
            let mut wanted = keys.clone();
            wanted.push(MANIFEST_KEY.to_owned());
            let records = self.idb.read_keys(&wanted).await?;
            let complete = records.len() == wanted.len();
            let valid = {
                let db = self.db.borrow();
                let current = db.manifest_is_current(&records).map_err(ErrorInfo::from)?;
                complete && current && db.stored_page_keys(ids) == keys
            };
            if valid {
                return Ok(records);
            }
            if attempt == READ_ATTEMPTS {
                return Err(ErrorInfo::new(
                    "STORAGE",
                    format!(
                        "the stored vectors changed under {READ_ATTEMPTS} reads in a row \
                         (other tabs replacing this database); try again"
                    ),
                ));
            }
            attempt += 1;
            self.stats.borrow_mut().read_retries += 1;
            self.write(Box::new(|_| Ok(WriteBatch::default()))).await?;
        }
    }

    /// Searches with `query`: in memory, then, when it rescores or a hit lacks the vector
    /// asked for, with the stored pages of its hits read from IndexedDB
    /// ([`Database::start_search`], [`Database::finish_search`]).
    pub async fn search(
        self: &Rc<Self>,
        query: &ruvector_core::SearchQuery<'_>,
        rescore: bool,
    ) -> Result<ruvector_core::SearchResults, ErrorInfo> {
        let pending = self.db.borrow().start_search(query, rescore)?;
        let stored = if pending.needs_stored() {
            let ids: Vec<&str> = pending.results.hits.iter().map(|h| h.id.as_str()).collect();
            self.stored_pages(Some(&ids)).await?
        } else {
            Records::default()
        };
        let found = self
            .db
            .borrow()
            .finish_search(pending, query.vector, &stored);
        Ok(found?)
    }

    /// An engine over an opened database; `events` receives the events it raises itself.
    pub fn new(
        name: &str,
        db: Database,
        idb: Idb,
        durability: Durability,
        closed: Rc<Cell<bool>>,
        events: EventSink,
    ) -> Rc<Engine> {
        Rc::new(Engine {
            name: name.to_owned(),
            db: RefCell::new(db),
            idb,
            queue: RefCell::new(Vec::new()),
            checkpoint: RefCell::new(None),
            committing: Cell::new(false),
            writes: Cell::new(0),
            closed,
            stats: RefCell::new(EngineStats {
                durability,
                web_locks: locks::available(),
                ..EngineStats::default()
            }),
            channel: RefCell::new(None),
            embedder: RefCell::new(None),
            events,
            cached_manifest: RefCell::new(None),
            caching: RefCell::new(None),
            cache_chunk_bytes: Cell::new(CACHE_CHUNK_BYTES),
            slice_bytes: Cell::new(SLICE_BYTES),
            cache_records_written: Cell::new(0),
            compacting: RefCell::new(None),
            auto_compact: Cell::new(true),
            epoch: Cell::new(0),
            export_lease: Cell::new(0.0),
        })
    }

    /// Records that the page cache holds `manifest` (the open read it from there).
    pub fn set_cached_manifest(&self, manifest: Option<Vec<u8>>) {
        *self.cached_manifest.borrow_mut() = manifest;
    }

    /// Resolves once no write of the page cache is in flight (at once when none is).
    pub async fn cache_written(&self) {
        loop {
            let ended = match self.caching.borrow_mut().as_mut() {
                Some(waiting) => {
                    let (tx, rx) = oneshot::channel();
                    waiting.push(tx);
                    rx
                }
                None => break,
            };
            let _ = ended.await;
        }
    }

    /// Writes the page cache again when the stored manifest is not the one it holds and
    /// memory equals the pages that manifest names; otherwise does nothing. Holds the
    /// write lock while it checks and writes, so the cache never holds a manifest that was
    /// not the stored one. A write of it in flight (an idle one, say) is waited for first, so
    /// that `close` never returns with the cache half written. Written in chunks of about
    /// [`Engine::cache_chunk_bytes`], pausing between them. Best effort: a failure leaves no
    /// cache, never an error.
    pub async fn refresh_cache(&self) {
        self.cache_written().await;
        *self.caching.borrow_mut() = Some(Vec::new());
        let ours = self.db.borrow().manifest_record();
        if self.cached_manifest.borrow().as_ref() != Some(&ours) && !self.closed.get() {
            if let Ok(lock) = locks::acquire(&self.name).await {
                let stored = self.idb.read_manifest().await.ok().flatten();
                let pages = {
                    let db = self.db.borrow();
                    db.page_list().filter(|_| db.manifest_record() == ours)
                };
                let t0 = now_ms();
                let writer = match (stored.as_ref() == Some(&ours), pages) {
                    (true, Some(pages)) => cache::Writer::open(&self.name).await.zip(Some(pages)),
                    _ => None,
                };
                if let Some((mut w, pages)) = writer {
                    if !self.write_cache_records(&mut w, &ours, &pages).await {
                        w.fail();
                    }
                    self.cache_records_written.set(0);
                    if w.finish().await {
                        *self.cached_manifest.borrow_mut() = stored;
                        let mut s = self.stats.borrow_mut();
                        s.cache_writes += 1;
                        s.cache_write_ms = now_ms() - t0;
                    }
                }
                drop(lock);
            }
        }
        for waiting in self.caching.take().unwrap_or_default() {
            let _ = waiting.send(());
        }
    }

    /// Writes the page cache's header, the manifest `ours` and the records of `pages` (its
    /// [`Database::page_list`]) into `w`, encoded from memory a chunk of about
    /// [`Engine::cache_chunk_bytes`] at a time, giving the worker back between chunks
    /// so that searches are answered meanwhile (a million vectors' cache takes seconds).
    /// False, leaving the file to be deleted, when memory is not (or no longer) the pages
    /// `ours` names, or when a commit here or anyone elsewhere (another tab) waits for the
    /// write lock held here; the cache is written again at a later idle moment.
    async fn write_cache_records(
        &self,
        w: &mut cache::Writer,
        ours: &[u8],
        pages: &[PageRef],
    ) -> bool {
        w.header(1 + pages.len());
        w.record(MANIFEST_KEY, ours);
        let mut next = 0;
        while next < pages.len() {
            if next > 0 {
                gloo_timers::future::TimeoutFuture::new(0).await;
                if self.committing.get() || self.closed.get() || locks::contended(&self.name).await
                {
                    return false;
                }
            }
            let db = self.db.borrow();
            if !db.pages_current() || db.manifest_record() != ours {
                return false;
            }
            let mut bytes = 0;
            while next < pages.len() && bytes < self.cache_chunk_bytes.get() {
                let (key, value) = db.page_record(pages[next]);
                w.record(&key, &value);
                bytes += value.len();
                next += 1;
            }
            self.cache_records_written.set(1 + next);
        }
        true
    }

    /// Queues the write `op` and resolves to its sequence number once a transaction
    /// holding its batch has completed. `op` runs under the write lock on a database that
    /// has caught up with every other tab; when it fails it must change nothing (the
    /// `Database` methods are all or none). A caller wanting more back than the sequence
    /// number captures a slot for it in `op`.
    pub async fn write(self: &Rc<Self>, op: Op) -> Result<u64, ErrorInfo> {
        let seq = Rc::new(Cell::new(0));
        let slot = seq.clone();
        let op: Op = Box::new(move |db| {
            let b = op(db)?;
            slot.set(b.seq);
            Ok(b)
        });
        let (tx, rx) = oneshot::channel();
        self.writes.set(self.writes.get() + 1);
        self.enqueue(op, Some(tx));
        rx.await.unwrap_or_else(|_| Err(abandoned()))?;
        Ok(seq.get())
    }

    /// Runs the write `f` through the commit loop and resolves to what `f` returned once it
    /// is durable, raising `change` (`origin: "local"`).
    pub async fn commit<T: 'static>(
        self: &Rc<Self>,
        f: impl FnOnce(&mut Database) -> Result<(T, WriteBatch), ErrorInfo> + 'static,
    ) -> Result<T, ErrorInfo> {
        let out = Rc::new(Cell::new(None));
        let slot = out.clone();
        self.persist(Box::new(move |db| {
            let (t, b) = f(db)?;
            slot.set(Some(t));
            Ok(b)
        }))
        .await?;
        out.take()
            .ok_or_else(|| ErrorInfo::new("INTERNAL", "a write returned nothing"))
    }

    /// The part of [`Engine::commit`] that is the same for every write (kept apart: one copy
    /// of the async machinery in the wasm).
    async fn persist(self: &Rc<Self>, op: Op) -> Result<(), ErrorInfo> {
        let seq = self.write(op).await?;
        (self.events)("change", &self.name, &change_detail(seq, "local"));
        Ok(())
    }

    /// Resolves once every write queued so far has been committed (or has failed, which its
    /// own caller is told), after catching up with other tabs. Closing waits for this, so no
    /// queued write meets a closed connection.
    pub async fn flush(self: &Rc<Self>) {
        if !self.committing.get()
            && self.queue.borrow().is_empty()
            && self.checkpoint.borrow().is_none()
        {
            return; // nothing queued, nothing to wait for
        }
        let (tx, rx) = oneshot::channel();
        self.enqueue(Box::new(|_| Ok(WriteBatch::default())), Some(tx));
        let _ = rx.await;
    }

    /// Before a close: folds the log when an idle moment would have
    /// ([`Database::checkpoint_worthwhile`]), or when it holds anything and the page cache
    /// is not known to hold the stored manifest (a cache can only be written once nothing
    /// waits for a checkpoint). Resolves once that checkpoint has committed or failed (a
    /// failure stores nothing: the log still holds every write). So the next open reads
    /// pages, from the page cache, instead of replaying a log that a busy worker never had a
    /// quiet moment to fold; a small log over a current cache is left for that open.
    pub async fn fold_before_close(self: &Rc<Self>) {
        let fold = {
            let db = self.db.borrow();
            let current = self.cached_manifest.borrow().as_ref() == Some(&db.manifest_record());
            db.checkpoint_worthwhile() || (!current && db.storage_stats().log_records > 0)
        };
        if fold {
            let _ = self.checkpoint_now().await;
        }
    }

    fn enqueue(self: &Rc<Self>, op: Op, ack: Option<Ack>) {
        self.queue.borrow_mut().push((op, ack));
        self.start_commit_loop();
    }

    /// Asks the commit loop for a checkpoint, after the writes queued before it; `ack`
    /// hears when it has committed or failed.
    fn request_checkpoint(self: &Rc<Self>, ack: Option<Ack>) {
        self.checkpoint
            .borrow_mut()
            .get_or_insert_with(Vec::new)
            .extend(ack);
        self.start_commit_loop();
    }

    fn start_commit_loop(self: &Rc<Self>) {
        if !self.committing.get() {
            self.committing.set(true);
            let me = self.clone();
            wasm_bindgen_futures::spawn_local(async move { me.commit_loop().await });
        }
    }

    /// Listens for other tabs' commits of this database. An announcement of a sequence
    /// number we have not reached queues an empty write: the commit loop then catches up
    /// under the lock like before any write.
    fn listen(self: &Rc<Self>) {
        // With a record host (Node) no one else writes the database: one process holds it, and
        // one engine per name in that process.
        if files::hosted() {
            return;
        }
        let Ok(channel) = BroadcastChannel::new(&storage_name(&self.name)) else {
            return; // no BroadcastChannel: other tabs' writes are seen at our next write
        };
        let weak: Weak<Engine> = Rc::downgrade(self);
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |m: MessageEvent| {
            let Some(me) = weak.upgrade() else { return };
            let seq = js_sys::Reflect::get(&m.data(), &"seq".into())
                .ok()
                .and_then(|s| s.as_f64());
            let ours = me.db.borrow().storage_stats().seq as f64;
            if !me.closed.get() && seq.is_some_and(|s| s > ours) {
                me.enqueue(Box::new(|_| Ok(WriteBatch::default())), None);
            }
        });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        *self.channel.borrow_mut() = Some(Channel {
            channel,
            _on_message: on_message,
        });
    }

    fn announce(&self, seq: u64) {
        if let Some(c) = self.channel.borrow().as_ref() {
            post_seq(&c.channel, seq);
        }
    }

    /// Once no write has come for [`IDLE_CHECKPOINT_MS`] and none is being committed: folds
    /// the log if that still pays off (the commit loop then comes back here), else brings
    /// the page cache up to date. A write meanwhile cancels it: the commit that follows
    /// the new writes looks again.
    pub fn when_idle(self: &Rc<Self>) {
        let me = self.clone();
        let seen = self.writes.get();
        wasm_bindgen_futures::spawn_local(async move {
            gloo_timers::future::TimeoutFuture::new(IDLE_CHECKPOINT_MS).await;
            if me.writes.get() != seen || me.committing.get() || me.closed.get() {
                return;
            }
            // Not while one runs (its own writes end here too): it would start over after it.
            let compacting = me.compacting.borrow().is_some();
            let exporting = now_ms() < me.export_lease.get();
            if me.auto_compact.get() && !compacting && !exporting && compact::due(&me.db.borrow()) {
                // A failure leaves the database as it was; `compact()` can still be asked for.
                if me.compact().await.is_err() {
                    me.auto_compact.set(false);
                }
            } else if me.db.borrow().checkpoint_worthwhile() {
                me.request_checkpoint(None);
            } else {
                me.refresh_cache().await;
            }
        });
    }

    /// Brings memory up to what IndexedDB holds (call it holding the lock): applies other
    /// tabs' log records, or reloads when they folded the log past us.
    async fn catch_up(&self) -> Result<(), ErrorInfo> {
        // With a record host (Node) no one else writes the database (see `Engine::listen`):
        // nothing to read before each commit.
        if files::hosted() {
            return Ok(());
        }
        let (seq, page) = {
            let db = self.db.borrow();
            (db.storage_stats().seq, db.sync_vector_page())
        };
        let records = self.idb.read_since(seq, page).await?;
        let synced = self
            .db
            .borrow_mut()
            .sync(&records)
            .map_err(ErrorInfo::from)?;
        match synced {
            Ok(0) => return Ok(()),
            Ok(n) => self.stats.borrow_mut().remote_records += n as u64,
            Err(_) => {
                self.reload().await?;
                self.stats.borrow_mut().remote_reloads += 1;
            }
        }
        let seq = self.db.borrow().storage_stats().seq;
        (self.events)("change", &self.name, &change_detail(seq, "remote"));
        Ok(())
    }

    /// Replaces memory with what IndexedDB holds, keeping the checkpoint policy.
    async fn reload(&self) -> Result<(), ErrorInfo> {
        let mem = self.idb.read_all().await?;
        let mut db = Database::open(&mem).map_err(ErrorInfo::from)?;
        db.set_checkpoint_policy(self.db.borrow().checkpoint_policy());
        let slots = |d: &Database| d.collection().stats().tombstones + d.collection().len();
        if slots(&db) < slots(&self.db.borrow()) {
            self.renumbered(); // slots only grow, but for a compaction
        }
        *self.db.borrow_mut() = db;
        Ok(())
    }

    /// Notes that the slots were renumbered ([`Engine::epoch`]).
    pub fn renumbered(&self) {
        self.epoch.set(self.epoch.get() + 1);
    }

    /// Commits what is queued, group by group, then a checkpoint asked for; ends when there
    /// is nothing left (a checkpoint the log's size requires counts), asking for an idle
    /// checkpoint or cache write later.
    async fn commit_loop(self: Rc<Self>) {
        loop {
            let group: Vec<(Op, Option<Ack>)> = std::mem::take(&mut *self.queue.borrow_mut());
            if !group.is_empty() {
                if let Err((info, acks)) = self.commit_group(group).await {
                    for a in acks {
                        let _ = a.send(Err(info.clone()));
                    }
                }
                continue;
            }
            let asked = self.checkpoint.borrow_mut().take();
            if let Some(acks) = asked {
                let done = self.commit_checkpoint().await;
                let failed = done.is_err();
                for a in acks {
                    let _ = a.send(done.clone());
                }
                // Writes that came meanwhile are committed whatever happened to it; a failed
                // checkpoint with nothing else to do is tried again once idle.
                if !failed || !self.queue.borrow().is_empty() {
                    continue;
                }
            } else if !self.closed.get() && self.db.borrow().wants_checkpoint() {
                self.request_checkpoint(None);
                continue;
            }
            if !self.closed.get() {
                self.when_idle(); // after a failed checkpoint: try again once idle
            }
            break;
        }
        self.committing.set(false);
    }

    /// A checkpoint under the lock, its pages encoded [`Engine::slice_bytes`] at a time with the
    /// worker given back between slices (and between slices of the transaction's puts), so
    /// that a search waits for one slice, not for the whole fold. No write runs meanwhile:
    /// they wait in the queue for this loop.
    async fn commit_checkpoint(self: &Rc<Self>) -> Result<(), ErrorInfo> {
        let lock = locks::acquire(&self.name).await?;
        self.catch_up().await?;
        let started = self.db.borrow_mut().begin_checkpoint();
        let Some(mut c) = started else {
            return Ok(()); // nothing to fold
        };
        self.stats.borrow_mut().checkpointing = true;
        self.stats.borrow_mut().checkpoint_slices = 1;
        while !self
            .db
            .borrow_mut()
            .continue_checkpoint(&mut c, self.slice_bytes.get())
        {
            gloo_timers::future::TimeoutFuture::new(0).await;
            self.stats.borrow_mut().checkpoint_slices += 1;
        }
        let batch = self.db.borrow_mut().finish_checkpoint(c);
        let stored = self.store(&batch, lock).await;
        self.stats.borrow_mut().checkpointing = false;
        stored
    }

    /// Folds the log now (after the writes queued before), whether or not it would pay off;
    /// resolves once that checkpoint has committed or failed.
    pub async fn checkpoint_now(self: &Rc<Self>) -> Result<(), ErrorInfo> {
        let (tx, rx) = oneshot::channel();
        self.request_checkpoint(Some(tx));
        rx.await.unwrap_or_else(|_| Err(abandoned()))
    }

    /// One group under the lock: catch up, apply, write, announce. On failure, the error and
    /// the acknowledgements it must go to.
    async fn commit_group(
        self: &Rc<Self>,
        group: Vec<(Op, Option<Ack>)>,
    ) -> Result<(), (ErrorInfo, Vec<Ack>)> {
        let lock = match locks::acquire(&self.name).await {
            Ok(l) => l,
            Err(e) => return Err((e, group.into_iter().filter_map(|(_, a)| a).collect())),
        };
        if let Err(e) = self.catch_up().await {
            return Err((e, group.into_iter().filter_map(|(_, a)| a).collect()));
        }
        let mut merged = WriteBatch::default();
        let mut acks = Vec::with_capacity(group.len());
        {
            let mut db = self.db.borrow_mut();
            for (op, ack) in group {
                match op(&mut db) {
                    Ok(b) => {
                        merged.append(b);
                        acks.extend(ack);
                    }
                    Err(e) => {
                        if let Some(a) = ack {
                            let _ = a.send(Err(e));
                        }
                    }
                }
            }
        }
        if merged.puts.is_empty() && merged.deletes.is_empty() && !merged.clear {
            drop(lock);
            for a in acks {
                let _ = a.send(Ok(()));
            }
            return Ok(());
        }
        match self.store(&merged, lock).await {
            Ok(()) => {
                for a in acks {
                    let _ = a.send(Ok(()));
                }
                Ok(())
            }
            Err(info) => Err((info, acks)),
        }
    }

    /// Writes `batch`, applied in memory, in one transaction while `lock` is held, and
    /// announces it; when the transaction fails, reloads what is stored (memory was ahead of
    /// it) and returns the error.
    async fn store(&self, batch: &WriteBatch, lock: locks::WriteLock) -> Result<(), ErrorInfo> {
        let durability = self.stats.borrow().durability;
        match self.idb.write(batch, durability).await {
            Ok(reported) => {
                {
                    let mut s = self.stats.borrow_mut();
                    s.transactions += 1;
                    s.last_durability = reported;
                }
                self.announce(self.db.borrow().storage_stats().seq);
                drop(lock);
                Ok(())
            }
            Err(e) => {
                self.stats.borrow_mut().failed_transactions += 1;
                if matches!(e, ruvector_core::BackendError::QuotaExceeded(_)) {
                    // The cache is a copy: its room goes back to the database.
                    cache::remove(&self.name).await;
                    self.set_cached_manifest(None);
                }
                let info = ErrorInfo::from(e);
                // Memory is ahead of storage: reload what is stored, still holding the lock.
                let info = match self.reload().await {
                    Ok(()) => info,
                    Err(re) => {
                        self.closed.set(true);
                        ErrorInfo::new(
                            info.code,
                            format!(
                                "{}; reopening then failed too: {}",
                                info.message, re.message
                            ),
                        )
                    }
                };
                drop(lock);
                Err(info)
            }
        }
    }
}

/// Posts `{ seq }` on `channel`: what a commit announces.
fn post_seq(channel: &BroadcastChannel, seq: u64) {
    let o = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&o, &"seq".into(), &JsValue::from_f64(seq as f64));
    let _ = channel.post_message(&o);
}

/// Tells every other context holding database `name` open that what is stored is now at
/// sequence number `seq` (for a write made without an engine, such as `saveCollection`).
pub fn announce(name: &str, seq: u64) {
    if files::hosted() {
        return; // no other context holds it (see `Engine::listen`)
    }
    if let Ok(channel) = BroadcastChannel::new(&storage_name(name)) {
        post_seq(&channel, seq);
        channel.close();
    }
}
