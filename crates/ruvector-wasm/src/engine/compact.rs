//! Compaction in the worker ([`ruvector_core::Compaction`]): the live records copied into
//! fresh slots a slice at a time ([`COMPACT_SLICE`]), the worker answering searches and
//! taking writes between slices, then the copy stored in place of the database in one
//! transaction, under the write lock, through the commit loop. A closed tab or a killed
//! process before that transaction leaves the database as it was; after it, compacted.

use std::cell::RefCell;
use std::rc::Rc;

use futures_channel::oneshot;
use ruvector_core::storage::WriteBatch;
use ruvector_core::{Compaction, Database};

use super::idb::Records;
use super::lifecycle::swap_in;
use super::{now_ms, Engine};
use crate::errors::ErrorInfo;

/// Records copied between pauses (about 80 ms of graph building at 384 dimensions).
pub const COMPACT_SLICE: usize = 256;

/// Slices between two catch-ups with writes made meanwhile (each looks at every record
/// copied so far when there were writes; the last one, under the write lock, always runs).
const CATCH_UP_EVERY: usize = 8;

/// Times a compaction starts its last step again because writes came meanwhile (vectors in
/// storage only, or another tab replacing the database) before it gives up.
const SETTLE_ROUNDS: usize = 8;

/// Dead slots that make an automatic compaction due, at the least.
pub const COMPACT_MIN_DEAD: usize = 1_024;

/// The policy of `compaction: 'auto'`: compact at an idle moment once the slots of deleted and
/// replaced vectors are at least [`COMPACT_MIN_DEAD`] and at least as many as the live ones,
/// so that a database never holds more than about twice the slots it needs.
pub fn due(db: &Database) -> bool {
    let s = db.collection().stats();
    s.tombstones >= COMPACT_MIN_DEAD.max(s.len)
}

/// What a compaction did.
pub struct Compacted {
    /// Slots (live and dead) when it was called.
    pub slots_before: usize,
    /// Slots after: the live records, and those that writes during the compaction left.
    pub slots_after: usize,
    /// Milliseconds from start to the stored replacement.
    pub ms: f64,
}

/// Compactions waiting for the one under way (`None`: none is).
pub(super) type Waiters = RefCell<Option<Vec<oneshot::Sender<()>>>>;

impl Engine {
    /// Compacts the database: see the module. One runs at a time; a second call waits for
    /// the first and then runs (finding little to do).
    pub async fn compact(self: &Rc<Self>) -> Result<Compacted, ErrorInfo> {
        loop {
            let wait = {
                let mut w = self.compacting.borrow_mut();
                match w.as_mut() {
                    None => {
                        *w = Some(Vec::new());
                        None
                    }
                    Some(list) => {
                        let (tx, rx) = oneshot::channel();
                        list.push(tx);
                        Some(rx)
                    }
                }
            };
            match wait {
                None => break,
                Some(rx) => {
                    let _ = rx.await;
                }
            }
        }
        let out = self.compact_now().await;
        for tx in self.compacting.borrow_mut().take().unwrap_or_default() {
            let _ = tx.send(());
        }
        out
    }

    async fn compact_now(self: &Rc<Self>) -> Result<Compacted, ErrorInfo> {
        let started = now_ms();
        let slots_before = {
            let s = self.db.borrow().collection().stats();
            s.len + s.tombstones
        };
        // From the newest state: an empty write catches up with other tabs' commits under the
        // lock. (Their writes taken in afterwards are deletions in the copy: tombstones.)
        self.write(Box::new(|_| Ok(WriteBatch::default()))).await?;
        let mut c = Compaction::new(&self.db.borrow())?;
        for _ in 0..SETTLE_ROUNDS {
            self.copy_rest(&mut c).await?;
            let policy = self.db.borrow().checkpoint_policy();
            let cell = Rc::new(RefCell::new(Some(c)));
            let inner = cell.clone();
            let me = self.clone();
            let swapped = self
                .commit(move |current| {
                    let mut held = inner.borrow_mut();
                    let settled = match held.as_mut() {
                        Some(c) => c.settle(current)?,
                        None => return Err(ErrorInfo::new("INTERNAL", "compaction: no copy")),
                    };
                    match held.take() {
                        Some(c) if settled => {
                            let nothing = Records::default(); // every vector is in memory
                            let batch = swap_in(current, c.into_database(), &nothing, policy)?;
                            me.renumbered();
                            Ok((true, batch))
                        }
                        other => {
                            *held = other;
                            Ok((false, WriteBatch::default()))
                        }
                    }
                })
                .await?;
            if swapped {
                let s = self.db.borrow().collection().stats();
                let slots_after = s.len + s.tombstones;
                return Ok(Compacted {
                    slots_before,
                    slots_after,
                    ms: now_ms() - started,
                });
            }
            let next = cell.borrow_mut().take();
            c = next.ok_or_else(|| ErrorInfo::new("INTERNAL", "compaction: no copy"))?;
        }
        Err(ErrorInfo::new(
            "CHANGED",
            "compaction: other writers kept changing the database under it; nothing was changed, try again",
        ))
    }

    /// Copies every record `c` has not copied yet, a slice at a time, pausing between
    /// slices; vectors kept in storage only are read from it.
    async fn copy_rest(self: &Rc<Self>, c: &mut Compaction) -> Result<(), ErrorInfo> {
        for slice in 0.. {
            let ids = {
                let db = self.db.borrow();
                if slice % CATCH_UP_EVERY == 0 {
                    c.catch_up(&db)?;
                }
                c.next_ids(&db, COMPACT_SLICE)
            };
            if ids.is_empty() {
                return Ok(());
            }
            let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
            // A write while the pages are read can move a vector to a page not read yet:
            // read once more.
            let mut attempt = 0;
            loop {
                let stored = self.stored_pages(Some(&refs)).await?;
                let db = self.db.borrow();
                match db.get_many(&ids, &stored) {
                    Ok(records) => {
                        c.copy(&db, records)?;
                        break;
                    }
                    Err(e) if attempt > 0 => return Err(e.into()),
                    Err(_) => attempt += 1,
                }
            }
            gloo_timers::future::TimeoutFuture::new(0).await;
        }
        Ok(())
    }
}
