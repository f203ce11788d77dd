//! The worker's engine: open databases by name, each a `Database` in memory persisted in
//! IndexedDB with group commit.
//!
//! A write is applied in memory, its batch queued, and the call resolves once the
//! IndexedDB transaction holding that batch completes. While a transaction is in flight,
//! further batches wait and go together into the next one. If a transaction fails, the
//! database is reopened from IndexedDB and every write of that transaction and after it
//! fails with a typed error, so memory again equals what is stored. When the queue runs
//! empty and the log passes a hard limit, a checkpoint is queued at once; when the log has
//! merely grown larger than the pages it changes, the checkpoint waits until no write has
//! come for [`IDLE_CHECKPOINT_MS`], so a bulk load is folded once, after it ends.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use futures_channel::oneshot;
use ruvector_core::storage::WriteBatch;
use ruvector_core::Database;

use crate::codes::ErrorInfo;
use crate::idb::Idb;
use crate::protocol::Durability;

type Ack = oneshot::Sender<Result<(), ErrorInfo>>;

/// How long no write must come before a worthwhile (not yet required) checkpoint runs.
pub const IDLE_CHECKPOINT_MS: u32 = 250;

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

/// One open database.
pub struct Engine {
    /// Its name.
    pub name: String,
    /// The engine; never borrowed across an await.
    pub db: RefCell<Database>,
    idb: Idb,
    queue: RefCell<Vec<(WriteBatch, Option<Ack>)>>,
    committing: Cell<bool>,
    /// Writes queued so far; an idle checkpoint runs only if none came while it waited.
    writes: Cell<u64>,
    /// Set when another context asked to upgrade or delete the database.
    pub closed: Rc<Cell<bool>>,
    /// Persistence counters.
    pub stats: RefCell<EngineStats>,
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

/// Registers an opened engine.
pub fn register(engine: Rc<Engine>) {
    OPEN.with(|o| o.borrow_mut().insert(engine.name.clone(), engine));
}

/// Forgets `name`, closing its connection; true if it was open.
pub fn unregister(name: &str) -> bool {
    match OPEN.with(|o| o.borrow_mut().remove(name)) {
        Some(e) => {
            // A pending idle checkpoint sees this and does nothing.
            e.closed.set(true);
            e.idb.close();
            true
        }
        None => false,
    }
}

impl Engine {
    /// An engine over an opened database.
    pub fn new(
        name: &str,
        db: Database,
        idb: Idb,
        durability: Durability,
        closed: Rc<Cell<bool>>,
    ) -> Rc<Engine> {
        Rc::new(Engine {
            name: name.to_owned(),
            db: RefCell::new(db),
            idb,
            queue: RefCell::new(Vec::new()),
            committing: Cell::new(false),
            writes: Cell::new(0),
            closed,
            stats: RefCell::new(EngineStats {
                durability,
                ..EngineStats::default()
            }),
        })
    }

    /// Queues `batch` and resolves once a transaction holding it has completed.
    pub async fn persist(self: &Rc<Self>, batch: WriteBatch) -> Result<(), ErrorInfo> {
        let (tx, rx) = oneshot::channel();
        self.writes.set(self.writes.get() + 1);
        self.enqueue(batch, Some(tx));
        rx.await
            .unwrap_or_else(|_| Err(ErrorInfo::new("STORAGE", "the commit was abandoned")))
    }

    /// Resolves once every batch queued so far has been committed (or has failed, which its
    /// own caller is told). Closing waits for this, so no queued write meets a closed
    /// connection.
    pub async fn flush(self: &Rc<Self>) {
        if self.committing.get() || !self.queue.borrow().is_empty() {
            let _ = self.persist(WriteBatch::default()).await;
        }
    }

    fn enqueue(self: &Rc<Self>, batch: WriteBatch, ack: Option<Ack>) {
        self.queue.borrow_mut().push((batch, ack));
        if !self.committing.get() {
            let me = self.clone();
            wasm_bindgen_futures::spawn_local(async move { me.commit_loop().await });
        }
    }

    /// After [`IDLE_CHECKPOINT_MS`] without a write, folds the log if that still pays off.
    fn checkpoint_when_idle(self: &Rc<Self>) {
        let me = self.clone();
        let seen = self.writes.get();
        wasm_bindgen_futures::spawn_local(async move {
            gloo_timers::future::TimeoutFuture::new(IDLE_CHECKPOINT_MS).await;
            if me.writes.get() != seen || me.committing.get() || me.closed.get() {
                return; // not idle: the commit that follows the new writes looks again
            }
            let batch = {
                let mut db = me.db.borrow_mut();
                if db.checkpoint_worthwhile() {
                    db.checkpoint()
                } else {
                    None
                }
            };
            if let Some(b) = batch {
                me.enqueue(b, None);
            }
        });
    }

    async fn commit_loop(self: Rc<Self>) {
        self.committing.set(true);
        loop {
            let group: Vec<(WriteBatch, Option<Ack>)> =
                std::mem::take(&mut *self.queue.borrow_mut());
            if group.is_empty() {
                let due = self.db.borrow().wants_checkpoint();
                if let Some(b) = due.then(|| self.db.borrow_mut().checkpoint()).flatten() {
                    self.queue.borrow_mut().push((b, None));
                    continue;
                }
                if self.db.borrow().checkpoint_worthwhile() {
                    self.checkpoint_when_idle();
                }
                break;
            }
            let mut merged = WriteBatch::default();
            let mut acks = Vec::with_capacity(group.len());
            for (b, ack) in group {
                merged.append(b);
                acks.extend(ack);
            }
            let durability = self.stats.borrow().durability;
            match self.idb.write(&merged, durability).await {
                Ok(reported) => {
                    {
                        let mut s = self.stats.borrow_mut();
                        s.transactions += 1;
                        s.last_durability = reported;
                    }
                    for a in acks {
                        let _ = a.send(Ok(()));
                    }
                }
                Err(e) => {
                    self.stats.borrow_mut().failed_transactions += 1;
                    let info = ErrorInfo::from(e);
                    // Memory is ahead of storage: reload what is stored.
                    let reopened = match self.idb.read_all().await {
                        Ok(mem) => Database::open(&mem).map_err(ErrorInfo::from).map(|mut db| {
                            db.set_checkpoint_policy(self.db.borrow().checkpoint_policy());
                            db
                        }),
                        Err(e) => Err(e),
                    };
                    let info = match reopened {
                        Ok(db) => {
                            *self.db.borrow_mut() = db;
                            info
                        }
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
                    let later: Vec<_> = std::mem::take(&mut *self.queue.borrow_mut());
                    for a in acks
                        .into_iter()
                        .chain(later.into_iter().filter_map(|(_, a)| a))
                    {
                        let _ = a.send(Err(info.clone()));
                    }
                }
            }
        }
        self.committing.set(false);
    }
}
