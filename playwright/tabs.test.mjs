// Several tabs on one database (issue #7): one writer at a time (Web Locks), commits
// announced on a BroadcastChannel, every other tab's worker catching up from the log or by
// reloading when the log was folded. Two pages of one browser profile write interleaved and
// at once; each sees the other's writes after its `change` event; both end with the same
// state, answers included, and it survives a browser restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from './server.mjs';
import { launchPersistent } from './browser.mjs';
import { unique } from './harness.mjs';
import { uniform } from './fixtures/rng.js';

const SCALAR = process.env.RUVECTOR_BUILD === 'scalar';
const DIM = 8;
const SEED = Number(process.env.RUVECTOR_SEED ?? 7);

// A small seeded generator (mulberry32), so a failure can be replayed with RUVECTOR_SEED.
const rng = uniform;

// Opens `name` in a page and records the `change` events it gets.
async function tab(context, url, name, options) {
  const p = await context.newPage();
  p.on('pageerror', (e) => console.log('page error:', e.message));
  await p.goto(url);
  await p.waitForFunction(() => window.rvReady === true);
  await p.evaluate(async ([name, options]) => {
    window.db = await window.rv.open(name, options);
    window.maxSeq = 0;
    window.remote = 0;
    window.db.addEventListener('change', (e) => {
      window.maxSeq = Math.max(window.maxSeq, e.detail.seq);
      if (e.detail.origin === 'remote') window.remote += 1;
    });
    // Resolves once this tab has seen sequence number `seq` (its own or announced).
    window.seen = (seq) =>
      new Promise((resolve) => {
        const check = () => (window.maxSeq >= seq ? resolve(window.maxSeq) : setTimeout(check, 5));
        check();
      });
  }, [name, options]);
  return p;
}

const insertOne = (p, item) =>
  p.evaluate(async (it) => {
    await window.db.insert({ ...it, vector: new Float32Array(it.vector) });
    return window.maxSeq; // the local change event of this write has fired
  }, item);

const answers = (p, queries) =>
  p.evaluate(async (qs) => {
    const out = [];
    for (const q of qs) {
      const hits = await window.db.search(q, { k: 10, includeMetadata: true, includeVectors: true });
      out.push(hits.map((h) => ({ ...h, vector: Array.from(h.vector) })));
    }
    return out;
  }, queries);

test('two tabs write interleaved and at once; each sees the other after its change event; all survives a restart', async () => {
  const profile = await mkdtemp(join(tmpdir(), 'ruvector-tabs-'));
  const server = await serve(48000 + (process.pid % 1000));
  const url = `${server.url}/playwright/fixtures/facade.html`;
  const name = unique('tabs');
  // Small folds, so that tabs also meet a log another tab has folded (and reload).
  const options = { dimensions: DIM, metric: 'cosine', checkpoint: { maxLogRecords: 5 }, ...(SCALAR ? { simd: false } : {}) };
  const rand = rng(SEED);
  const vec = () => Array.from({ length: DIM }, () => rand() * 2 - 1);
  const ids = new Set();
  console.log(`# tabs: seed ${SEED}`);
  let context = await launchPersistent(profile);
  try {
    const a = await tab(context, url, name, options);
    const b = await tab(context, url, name, options);
    // Interleaved: a write in one tab, then a read in the other after its change event.
    const rounds = 12;
    for (let r = 0; r < rounds; r += 1) {
      const [writer, reader] = r % 2 === 0 ? [a, b] : [b, a];
      const item = { id: `i${r}`, vector: vec(), metadata: { round: r } };
      const seq = await insertOne(writer, item);
      ids.add(item.id);
      const seen = await reader.evaluate(async ([seq, item]) => {
        await window.seen(seq);
        const got = await window.db.get(item.id);
        const top = await window.db.search(item.vector, { k: 1 });
        return { got: got?.metadata ?? null, top: top[0]?.id };
      }, [seq, item]);
      assert.deepEqual(seen, { got: { round: r }, top: item.id }, `round ${r}: the other tab sees the write`);
    }
    // At once: both tabs write together, bulk batches (vectors straight into pages) and
    // single ones, an upsert and a delete among them.
    const bulk = (prefix, n) => ({ ids: Array.from({ length: n }, (_, i) => `${prefix}${i}`), vectors: Array.from({ length: n }, vec).flat() });
    const [ba, bb] = [bulk('a', 300), bulk('b', 290)];
    ba.ids.forEach((id) => ids.add(id));
    bb.ids.forEach((id) => ids.add(id));
    const singles = Array.from({ length: 10 }, (_, i) => ({ id: `s${i}`, vector: vec() }));
    singles.forEach((s) => ids.add(s.id));
    ids.delete('i3');
    const many = (p, m) => p.evaluate(async (m) => window.db.insertMany({ ids: m.ids, vectors: new Float32Array(m.vectors) }, { chunk: 300 }), m);
    await Promise.all([
      many(a, ba),
      many(b, bb),
      (async () => {
        for (const s of singles.slice(0, 5)) await insertOne(a, s);
        await a.evaluate(() => window.db.upsert('i0', { metadata: { round: 'upserted' } }));
      })(),
      (async () => {
        for (const s of singles.slice(5)) await insertOne(b, s);
        await b.evaluate(() => window.db.delete('i3'));
      })(),
    ]);
    // Both tabs reach the last sequence number, then hold the same state.
    const last = Math.max(...(await Promise.all([a, b].map((p) => p.evaluate(() => window.maxSeq)))));
    await Promise.all([a, b].map((p) => p.evaluate((s) => window.seen(s), last)));
    const queries = Array.from({ length: 5 }, vec);
    const state = (p) =>
      p.evaluate(async () => ({
        count: await window.db.count(),
        seq: (await window.db.stats()).storage.seq,
        upserted: (await window.db.get('i0'))?.metadata,
        deleted: await window.db.get('i3'),
        remote: window.remote,
      }));
    const [sa, sb] = [await state(a), await state(b)];
    assert.equal(sa.count, ids.size, 'tab A holds every write');
    assert.deepEqual({ ...sa, remote: 0 }, { ...sb, remote: 0 }, 'both tabs hold the same state');
    assert.deepEqual(sa.upserted, { round: 'upserted' });
    assert.equal(sa.deleted, null);
    assert.ok(sa.remote > 0 && sb.remote > 0, `each tab caught up with the other (${sa.remote}, ${sb.remote})`);
    const before = await answers(a, queries);
    assert.deepEqual(await answers(b, queries), before, 'the same answers in both tabs (the same graph)');
    const all = await b.evaluate(async (ids) => (await Promise.all(ids.map((id) => window.db.get(id)))).filter((r) => r === null).length, [...ids]);
    assert.equal(all, 0, 'every id present in tab B');
    const stats = await a.evaluate(async () => (await window.db.stats()).persistence);
    console.log(`# tabs: ${ids.size} ids, seq ${sa.seq}; tab A applied ${stats.remoteRecords} remote records, reloaded ${stats.remoteReloads} times; web locks: ${stats.webLocks}`);
    assert.equal(stats.webLocks, true);
    await context.close();
    // A restart of the browser with the same profile: everything is there.
    context = await launchPersistent(profile);
    const c = await tab(context, url, name, options);
    assert.equal(await c.evaluate(() => window.db.count()), ids.size);
    assert.deepEqual(await answers(c, queries), before, 'the same answers after a restart');
  } finally {
    await context.close();
    await server.close();
    await rm(profile, { recursive: true, force: true });
  }
});

test('a read of vectors kept in IndexedDB while another tab replaces the database answers from one state or the other', async () => {
  // quantization int8 keeps the float32 vectors of full pages in IndexedDB only; `get` reads
  // their page by the key the database named a moment before. Another tab's import replaces
  // every page (new keys, the old ones deleted) at any moment: a read racing with it must
  // answer from the old or the new contents (catching up and reading again), never fail.
  const profile = await mkdtemp(join(tmpdir(), 'ruvector-tabs-'));
  const server = await serve(48000 + ((process.pid + 1) % 1000));
  const url = `${server.url}/playwright/fixtures/facade.html`;
  const name = unique('race');
  const options = { dimensions: DIM, metric: 'euclidean', quantization: 'int8', ...(SCALAR ? { simd: false } : {}) };
  const n = 17_000;
  const rand = rng(SEED + 1);
  const vectors = Array.from({ length: n * DIM }, () => rand() * 2 - 1);
  const ids = Array.from({ length: n }, (_, i) => `v${i}`);
  const context = await launchPersistent(profile);
  try {
    const a = await tab(context, url, name, options);
    const stored = await a.evaluate(async ([ids, vectors]) => {
      await window.db.insertMany({ ids, vectors: new Float32Array(vectors) }, { chunk: 5_000 });
      return (await window.db.stats()).memory.vectorsInMemory;
    }, [ids, vectors]);
    assert.ok(stored < n / 2, `most vectors live in IndexedDB only (${stored} of ${n} in memory)`);
    // Tab B prepares the replacement (every vector negated) in a database of its own.
    const b = await tab(context, url, name, options);
    await b.evaluate(async ([src, options, ids, vectors]) => {
      const other = await window.rv.open(src, options);
      await other.insertMany({ ids, vectors: new Float32Array(vectors.map((x) => -x)) }, { chunk: 5_000 });
      window.file = await other.export();
      await other.close();
    }, [`${name}-src`, options, ids, vectors]);
    const probe = ['v0', 'v300', 'v9000'];
    const old = probe.map((id) => vectors.slice(Number(id.slice(1)) * DIM, (Number(id.slice(1)) + 1) * DIM));
    const first = await a.evaluate(async (probe) => (await Promise.all(probe.map((id) => window.db.get(id)))).map((r) => Array.from(r.vector)), probe);
    // A reads in a loop while B imports; then reads until it has seen the new contents.
    const reads = a.evaluate(async (probe) => {
      const seen = [];
      const t0 = performance.now();
      while (performance.now() - t0 < 20_000) {
        try {
          const got = await Promise.all(probe.map((id) => window.db.get(id)));
          const first = got.map((r) => Array.from(r.vector));
          seen.push(first);
          if (window.replaced && (window.after = (window.after ?? 0) + 1) > 3) break;
        } catch (e) {
          return { error: `${e.code}: ${e.message}`, reads: seen.length };
        }
      }
      return { reads: seen.length, seen, last: seen.at(-1) };
    }, probe);
    const seq = await b.evaluate(async () => {
      await window.db.import(window.file);
      return (await window.db.stats()).storage.seq;
    });
    // Once A has caught up with the import, its next reads must see the new contents.
    await a.evaluate(async (seq) => {
      await window.seen(seq);
      window.replaced = true;
    }, seq);
    const r = await reads;
    const retries = await a.evaluate(async () => (await window.db.stats()).persistence.readRetries);
    console.log(`# tabs race: ${r.reads} rounds of reads during and after the import; ${retries} read again after catching up`);
    assert.equal(r.error, undefined, 'no read failed');
    const close = (x, y) => x.length === y.length && x.every((v, i) => Math.abs(v - y[i]) < 1e-6);
    assert.ok(first.every((v, i) => close(v, old[i])), 'the reads before the import see the original vectors');
    for (const round of r.seen) {
      assert.ok(round.every((v, i) => close(v, old[i]) || close(v, old[i].map((x) => -x))), 'every read answers with a vector the id had');
    }
    assert.ok(r.last.every((v, i) => close(v, old[i].map((x) => -x))), 'the last reads see the imported ones');
  } finally {
    await context.close();
    await server.close();
    await rm(profile, { recursive: true, force: true });
  }
});

test("a tab that applied log records another tab's recovery drops reloads, and sees later writes", async () => {
  // Tab A commits three writes. The second one's log record is then damaged in IndexedDB;
  // tab B opens with `recover: true`, which drops it and the one after it. A had applied
  // both: the recovery must not give their sequence numbers to B's next write, or A would
  // keep the lost writes and never see the new one.
  const profile = await mkdtemp(join(tmpdir(), 'ruvector-tabs-'));
  const server = await serve(48000 + ((process.pid + 2) % 1000));
  const url = `${server.url}/playwright/fixtures/facade.html`;
  const name = unique('recover');
  const options = { dimensions: DIM, metric: 'euclidean', checkpoint: { maxLogRecords: 1000 }, ...(SCALAR ? { simd: false } : {}) };
  const rand = rng(SEED + 2);
  const vec = () => Array.from({ length: DIM }, () => rand() * 2 - 1);
  const context = await launchPersistent(profile);
  try {
    const a = await tab(context, url, name, options);
    for (const id of ['r0', 'r1', 'r2']) await insertOne(a, { id, vector: vec() });
    const damaged = await a.evaluate(async (dbName) => {
      const req = (r) => new Promise((res, rej) => { r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
      const db = await req(indexedDB.open(dbName));
      const keys = (await req(db.transaction('records').objectStore('records').getAllKeys())).filter((k) => k.startsWith('log/'));
      const key = keys.at(-2);
      const store = db.transaction('records', 'readwrite').objectStore('records');
      const value = new Uint8Array(await req(store.get(key)));
      value[value.length >> 1] ^= 0x10;
      await req(store.put(value, key));
      db.close();
      return key;
    }, `ruvector:${name}`);
    const b = await tab(context, url, name, { ...options, recover: true });
    const recovery = await b.evaluate(async () => (await window.db.stats()).persistence.recovery);
    assert.equal(recovery.firstDamaged, damaged);
    assert.equal(recovery.droppedRecords, 2, 'the damaged record and the one after it');
    // A hears of the recovery (announced) and reloads, before any new write.
    const holds = (p, want) =>
      p.evaluate(async (want) => {
        const deadline = Date.now() + 10_000;
        for (;;) {
          const got = {};
          for (const id of Object.keys(want)) got[id] = !!(await window.db.get(id));
          if (Object.keys(want).every((id) => got[id] === want[id]) || Date.now() > deadline) return got;
          await new Promise((r) => setTimeout(r, 20));
        }
      }, want);
    const lost = { r0: true, r1: false, r2: false };
    assert.deepEqual(await holds(a, lost), lost, 'tab A reloads the recovered state');
    const after = { id: 'after', vector: vec() };
    const seq = await insertOne(b, after);
    assert.deepEqual(await holds(a, { ...lost, after: true }), { ...lost, after: true }, "tab A sees B's next write");
    assert.ok(await a.evaluate(() => window.maxSeq) >= seq, `A reached B's sequence number ${seq}`);
  } finally {
    await context.close();
    await server.close();
    await rm(profile, { recursive: true, force: true });
  }
});

test('one tab compacts while another writes: no write is lost, and both tabs end with the same records and answers', async () => {
  const profile = await mkdtemp(join(tmpdir(), 'ruvector-tabs-'));
  const server = await serve(49000 + (process.pid % 1000));
  const url = `${server.url}/playwright/fixtures/facade.html`;
  const name = unique('compacting');
  const options = { dimensions: DIM, metric: 'cosine', compaction: 'manual', ...(SCALAR ? { simd: false } : {}) };
  const rand = rng(SEED + 1);
  const vec = () => Array.from({ length: DIM }, () => rand() * 2 - 1);
  const context = await launchPersistent(profile);
  try {
    const a = await tab(context, url, name, options);
    const b = await tab(context, url, name, options);
    const first = { ids: Array.from({ length: 2000 }, (_, i) => `c${i}`), vectors: Array.from({ length: 2000 }, vec).flat() };
    await a.evaluate(async (m) => window.db.insertMany({ ids: m.ids, vectors: new Float32Array(m.vectors) }), first);
    // The other tab deletes half: 1,000 dead slots.
    await b.evaluate(async (ids) => window.db.delete(ids), first.ids.slice(0, 1000));
    const want = new Map(first.ids.slice(1000).map((id) => [id, null])); // id -> metadata
    const singles = Array.from({ length: 150 }, (_, i) => ({ id: `late${i}`, vector: vec() }));
    singles.forEach((s) => want.set(s.id, { late: true }));
    for (const id of first.ids.slice(1000, 1020)) want.set(id, { changed: true });
    for (const id of first.ids.slice(1980)) want.delete(id);
    const [compacted] = await Promise.all([
      a.evaluate(() => window.db.compact()),
      b.evaluate(async ([singles, changed, deleted]) => {
        for (const s of singles) await window.db.insert({ ...s, vector: new Float32Array(s.vector), metadata: { late: true } });
        for (const id of changed) await window.db.upsert(id, { metadata: { changed: true } });
        await window.db.delete(deleted);
      }, [singles, first.ids.slice(1000, 1020), first.ids.slice(1980)]),
    ]);
    assert.equal(compacted.slotsBefore >= 2000, true, JSON.stringify(compacted));
    const last = Math.max(...(await Promise.all([a, b].map((p) => p.evaluate(() => window.maxSeq)))));
    await Promise.all([a, b].map((p) => p.evaluate((s) => window.seen(s), last)));
    const state = (p) =>
      p.evaluate(async (ids) => {
        const got = await Promise.all(ids.map((id) => window.db.get(id)));
        const st = await window.db.stats();
        return { count: await window.db.count(), metadata: got.map((r) => (r ? (r.metadata ?? null) : 'missing')), tombstones: st.tombstones, seq: st.storage.seq };
      }, [...want.keys()]);
    const [sa, sb] = [await state(a), await state(b)];
    assert.equal(sa.count, want.size, 'every acknowledged write is there, and nothing deleted');
    assert.deepEqual(sa.metadata, [...want.values()]);
    assert.deepEqual(sb, sa, 'both tabs hold the same state');
    assert.ok(sa.tombstones < 1000, `the compaction gave the deleted slots back (${sa.tombstones} left)`);
    const queries = Array.from({ length: 5 }, vec);
    assert.deepEqual(await answers(b, queries), await answers(a, queries), 'the same answers in both tabs');
    console.log(`# compacting tab: ${compacted.slotsBefore} slots to ${compacted.slotsAfter}; ${sa.tombstones} dead slots left by writes meanwhile`);
  } finally {
    await context.close();
    await server.close();
    await rm(profile, { recursive: true, force: true });
  }
});
