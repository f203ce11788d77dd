// The JS facade (web/index.js) in headless Chromium: every method, every event, typed
// errors, workers shared per name and ended with the last handle, and AbortSignal. Under
// RUVECTOR_PLATFORM=node the same tests run against the Node entry (node/index.js), but for
// those about tabs and page workers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { suite, openPage, unique, NODE, NODE_MAIN } from './harness.mjs';

/** Skips a test about tabs or a page's workers under Node, saying why. */
const browserOnly = NODE ? { skip: 'about browser tabs and page workers (test-node/ covers processes)' } : {};
/** Skips a test that watches what is posted to a worker when there is none (`thread: 'main'`). */
const posted = NODE_MAIN ? { skip: 'watches Worker.prototype.postMessage; with thread: main nothing is posted' } : {};

// Under RUVECTOR_BUILD=scalar (the second run of `make test`) databases open with simd: false.
const SCALAR = process.env.RUVECTOR_BUILD === 'scalar';

const env = suite();
const page = (context = null) => openPage(env, '/playwright/fixtures/facade.html', context);

// Runs `fn` in the page and returns { code, name, message, isRuvectorError } for a rejection.
const failure = (p, fn, arg) =>
  p.evaluate(async ([src, arg]) => {
    try {
      await (0, eval)(`(${src})`)(arg);
      return null;
    } catch (e) {
      return { code: e.code, name: e.name, message: e.message, isRuvectorError: e instanceof window.rv.RuvectorError };
    }
  }, [fn.toString(), arg]);

test('every Database method round-trips through the worker', async () => {
  const p = await page();
  const name = unique('facade');
  const r = await p.evaluate(async ([name, scalar]) => {
    const { open, databases } = window.rv;
    const db = await open(name, { dimensions: 3, metric: 'euclidean', ...(scalar ? { simd: false } : {}) });
    const out = { name: db.name, dimensions: db.dimensions, metric: db.metric, persisted: db.persisted };
    out.one = await db.insert({ id: 'a', vector: [1, 0, 0], metadata: { section: 'web' } });
    out.many = await db.insert([{ id: 'b', vector: new Float32Array([0, 1, 0]) }, { vector: [0, 0, 1], metadata: { section: 'net' } }]);
    out.upsertNew = await db.upsert('d', { vector: [1, 1, 0] });
    out.upsertOld = await db.upsert('a', { metadata: { section: 'mail' } });
    const got = await db.get('a');
    out.got = { id: got.id, vector: Array.from(got.vector), isF32: got.vector instanceof Float32Array, metadata: got.metadata };
    out.missing = await db.get('nope');
    out.hits = await db.search([1, 0, 0], { k: 2, includeMetadata: true });
    out.filtered = (await db.search([1, 0, 0], { k: 5, filter: { section: 'net' } })).map((h) => h.id);
    out.withVectors = (await db.search([0, 1, 0], { k: 1, includeVectors: true }))[0].vector instanceof Float32Array;
    out.countBefore = await db.count();
    await db.delete('d');
    await db.delete(['b']);
    out.countAfter = await db.count();
    // Delete by filter: how many matched; none is no error.
    await db.insert([{ id: 'f1', vector: [1, 2, 3], metadata: { section: 'tmp' } }, { id: 'f2', vector: [3, 2, 1], metadata: { section: 'tmp' } }]);
    out.deletedByFilter = [await db.delete({ filter: { section: 'tmp' } }), await db.delete({ filter: { section: 'tmp' } }), await db.count()];
    const stats = await db.stats();
    out.stats = { len: stats.len, kernel: stats.kernel, transactions: stats.persistence.transactions > 0, wasmMemory: stats.wasmMemory >= 2 ** 16 && stats.wasmMemory % 2 ** 16 === 0 };
    const file = await db.export();
    out.exportIsBlob = file instanceof Blob && file.size > 0;
    const copy = await window.rv.importDatabase(`${name}-copy`, file);
    out.copyCount = await copy.count();
    out.listed = (await databases()).filter((n) => n.startsWith(name)).sort();
    // import() replaces this database's contents with the file's.
    await copy.insert({ id: 'extra', vector: [5, 5, 5] });
    out.copyCountBeforeReplace = await copy.count();
    await copy.import(file);
    out.copyCountAfterReplace = await copy.count();
    await copy.destroy();
    out.closedAfterDestroy = copy.closed;
    await db.close();
    out.closed = db.closed;
    const reopened = await open(name);
    out.reopenedCount = await reopened.count();
    out.reopenedDims = reopened.dimensions;
    await reopened.destroy();
    out.listedAfter = (await databases()).filter((n) => n.startsWith(name));
    // persist: true asks navigator.storage.persist() in the page and reports the answer.
    const kept = await open(`${name}-persist`, { dimensions: 2, persist: true });
    out.persistAnswer = typeof kept.persisted;
    await kept.destroy();
    return out;
  }, [name, SCALAR]);
  assert.deepEqual([r.name, r.dimensions, r.metric, r.persisted], [name, 3, 'euclidean', null]);
  assert.equal(r.one, 'a');
  assert.equal(r.many.length, 2);
  assert.equal(r.many[0], 'b');
  assert.equal(r.upsertNew, 'inserted');
  assert.equal(r.upsertOld, 'updated');
  assert.deepEqual(r.got, { id: 'a', vector: [1, 0, 0], isF32: true, metadata: { section: 'mail' } });
  assert.equal(r.missing, null);
  assert.equal(r.hits[0].id, 'a');
  assert.equal(r.hits[0].distance, 0);
  assert.deepEqual(r.hits[0].metadata, { section: 'mail' });
  assert.ok(r.hits[0].score >= r.hits[1].score, 'best first');
  assert.deepEqual(r.filtered, [r.many[1]]);
  assert.equal(r.withVectors, true);
  assert.equal(r.countBefore, 4);
  assert.equal(r.countAfter, 2);
  assert.deepEqual(r.deletedByFilter, [2, 0, 2]);
  assert.deepEqual(r.stats, { len: 2, kernel: SCALAR ? 'portable-wasm32' : 'simd128', transactions: true, wasmMemory: true });
  assert.equal(r.exportIsBlob, true);
  assert.equal(r.copyCount, 2);
  assert.deepEqual(r.listed, [name, `${name}-copy`]);
  assert.equal(r.copyCountBeforeReplace, 3);
  assert.equal(r.copyCountAfterReplace, 2);
  assert.equal(r.closedAfterDestroy, true);
  assert.equal(r.closed, true);
  assert.equal(r.reopenedCount, 2);
  assert.equal(r.reopenedDims, 3);
  assert.deepEqual(r.listedAfter, []);
  // In Node there is no browser to ask: null.
  assert.equal(r.persistAnswer, NODE ? 'object' : 'boolean', 'persist: true reports the browser\'s answer');
  await p.close();
});

test('optional modules load when first used: the page embedder\'s checks, the record formats', browserOnly, async () => {
  const context = await env.browser.newContext();
  const fetched = [];
  context.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (/^\/web\/(embed|records)\.js$|^\/web\/formats\//.test(path)) fetched.push(path);
  });
  const p = await page(context);
  const name = unique('lazy');
  const step = (fn) => p.evaluate(fn, name);
  await step(async (name) => {
    const db = await window.rv.open(name, { dimensions: 2 });
    await db.insert({ id: 'a', vector: [1, 0], metadata: { k: 1 } });
    await db.search([1, 0]);
    await db.export();
    window.db = db;
  });
  assert.deepEqual(fetched, [], 'open, insert, search and export fetch no optional module');
  await step(async () => {
    const r = window.db.exportRecords().getReader();
    while (!(await r.read()).done);
  });
  assert.deepEqual(fetched.sort(), ['/web/formats/jsonl.js', '/web/records.js']);
  await step(async (name) => {
    await window.db.close();
    const db = await window.rv.open(name, { embedder: { dimensions: 2, embed: (texts) => texts.map(() => [0, 1]) } });
    await db.search('a text', { mode: 'vector' });
    await window.rv.deleteDatabase(name);
  });
  assert.ok(fetched.includes('/web/embed.js'), 'a page embedder brings its checks');
  await p.close();
  await context.close();
});

test('errors are RuvectorError instances with stable codes, and change nothing', async () => {
  const p = await page();
  const name = unique('errors');
  await p.evaluate(async (name) => {
    window.db = await window.rv.open(name, { dimensions: 3 });
    await window.db.insert({ id: 'a', vector: [1, 2, 3] });
  }, name);
  const cases = [
    [async () => window.db.insert({ vector: [1, 2] }), 'DIMENSION_MISMATCH'],
    [async () => window.db.insert({ vector: [1, NaN, 2] }), 'NON_FINITE'],
    [async () => window.db.insert([{ id: 'x', vector: [1, 1, 1] }, { id: 'y', vector: [1, 1] }]), 'DIMENSION_MISMATCH'],
    [async () => window.db.delete(['a', 'ghost']), 'NOT_FOUND'],
    [async () => window.db.delete({ filter: { section: { $regex: 'a' } } }), 'INVALID_FILTER'],
    [async () => window.db.delete({ filter: 'a' }), 'BAD_ARGUMENT'],
    [async () => window.db.search([1, 2, 3], { k: 0 }), 'INVALID_K'],
    [async () => window.db.search([1, 2, 3], { filter: { $bogus: 1 } }), 'INVALID_FILTER'],
    // A string is a text query: this database has no text index.
    [async () => window.db.search('1,2,3'), 'NO_TEXT_INDEX'],
    [async () => window.db.insertMany({ vectors: [1, 2, 3] }), 'BAD_ARGUMENT'],
    [async () => window.db.insertMany([{ vector: [1, 2, 3] }, { vector: [1] }]), 'DIMENSION_MISMATCH'],
    [async () => window.db.import(new Blob([new Uint8Array([1, 2, 3])])), 'CORRUPT'],
    [async () => window.rv.open('', {}), 'BAD_ARGUMENT'],
    [async (n) => window.rv.open(`${n}-new`, { metric: 'cosinus', dimensions: 3 }), 'INVALID_CONFIG'],
    [async (n) => window.rv.open(`${n}-new`, {}), 'INVALID_CONFIG'],
    [async (n) => window.rv.open(n, { dimensions: 4 }), 'CONFIG_MISMATCH'],
    [async (n) => window.rv.importDatabase(n, new Uint8Array(await (await window.db.export()).arrayBuffer())), 'ALREADY_EXISTS'],
  ];
  for (const [fn, code] of cases) {
    const e = await failure(p, fn, name);
    assert.ok(e, `${fn} should fail with ${code}`);
    assert.equal(e.code, code, `${fn}: ${e.message}`);
    assert.equal(e.name, 'RuvectorError');
    assert.equal(e.isRuvectorError, true);
  }
  const after = await p.evaluate(async () => ({ count: await window.db.count(), a: await window.db.get('a') }));
  assert.equal(after.count, 1, 'failed writes changed nothing');
  assert.deepEqual(Array.from(Object.values(after.a.vector)), [1, 2, 3]);
  const closed = await failure(p, async () => { await window.db.close(); await window.db.count(); });
  assert.equal(closed.code, 'CLOSED');
  await p.evaluate((n) => window.rv.deleteDatabase(n), name);
  await p.close();
});

test('compact gives back the slots of deleted and replaced vectors; records, searches, writes meanwhile and a reopen keep', async () => {
  const p = await page();
  const name = unique('compact');
  const r = await p.evaluate(async ([name, scalar]) => {
    const { open } = window.rv;
    const opts = { dimensions: 8, text: true, compaction: 'manual', ...(scalar ? { simd: false } : {}) };
    let db = await open(name, opts);
    // What the database must hold: id -> { vector, metadata, text }.
    const model = new Map();
    let s = 7;
    const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) - 0.5;
    const vec = () => Float32Array.from({ length: 8 }, rand);
    const items = Array.from({ length: 600 }, (_, i) => ({ id: `n${i}`, vector: vec(), metadata: { i }, text: `note ${i} about topic${i % 9}` }));
    await db.insertMany(items);
    for (const it of items) model.set(it.id, { vector: it.vector, metadata: it.metadata, text: it.text });
    // An app re-embedding its notes, twice, and deleting some.
    for (let round = 0; round < 2; round++) {
      for (const it of items) {
        const vector = vec();
        await db.upsert(it.id, { vector });
        model.get(it.id).vector = vector;
      }
    }
    const dead = items.slice(0, 50).map((it) => it.id);
    await db.delete(dead);
    for (const id of dead) model.delete(id);
    const before = await db.stats();
    // Writes while the compaction runs.
    const compacting = db.compact();
    const writes = [];
    for (let i = 0; i < 10; i++) {
      const vector = vec();
      model.set(`late${i}`, { vector, metadata: null, text: null });
      writes.push(db.insert({ id: `late${i}`, vector }));
    }
    for (const id of ['n100', 'n101', 'n102']) {
      model.delete(id);
      writes.push(db.delete(id));
    }
    for (const id of ['n200', 'n201']) {
      model.get(id).metadata = { changed: true };
      writes.push(db.upsert(id, { metadata: { changed: true } }));
    }
    await Promise.all(writes);
    const done = await compacting;
    const after = await db.stats();
    const check = async (db) => {
      const wrong = [];
      for (const [id, want] of model) {
        const got = await db.get(id);
        const same = got && got.vector.every((x, j) => Math.abs(x - want.vector[j]) < 1e-5) && JSON.stringify(got.metadata ?? null) === JSON.stringify(want.metadata ?? null) && (got.text ?? null) === (want.text ?? null);
        if (!same) wrong.push(id);
      }
      const nearest = [];
      for (const id of ['n60', 'n300', 'late3']) nearest.push((await db.search(model.get(id).vector, { k: 1 }))[0]?.id);
      const text = (await db.search('topic4', { k: 100 })).length;
      return { count: await db.count(), wrong, nearest, text };
    };
    const live = await check(db);
    await db.close();
    db = await open(name, opts);
    const reopened = await check(db);
    const reopenedStats = await db.stats();
    await db.close();
    await window.rv.deleteDatabase(name);
    return { before: [before.len, before.tombstones], done, after: [after.len, after.tombstones], live, reopened, reopenedTombstones: reopenedStats.tombstones, modelSize: model.size, topic4: [...model.values()].filter((m) => m.text?.endsWith('topic4')).length };
  }, [name, SCALAR]);
  assert.deepEqual(r.before, [550, 1250]);
  assert.equal(r.done.slotsBefore, 1800);
  assert.ok(r.done.slotsAfter >= 555 && r.done.slotsAfter <= 575, JSON.stringify(r.done));
  assert.equal(r.after[0], r.modelSize);
  // Writes that came while it copied may leave a few slots (a record changed after its copy).
  assert.ok(r.after[1] <= 15, `tombstones after: ${r.after[1]}`);
  for (const got of [r.live, r.reopened]) {
    assert.equal(got.count, r.modelSize);
    assert.deepEqual(got.wrong, []);
    assert.deepEqual(got.nearest, ['n60', 'n300', 'late3']);
    assert.equal(got.text, r.topic4);
  }
  assert.equal(r.reopenedTombstones, r.after[1]);
  await p.close();
});

test('an export that a compaction renumbers under ends with CHANGED; read again, it holds every record once', async () => {
  const p = await page();
  const name = unique('exportcompact');
  const r = await p.evaluate(async ([name, scalar]) => {
    const db = await window.rv.open(name, { dimensions: 4, compaction: 'manual', ...(scalar ? { simd: false } : {}) });
    const ids = Array.from({ length: 500 }, (_, i) => `e${i}`);
    await db.insertMany({ ids, vectors: Float32Array.from({ length: 2000 }, (_, i) => Math.sin(i) + 2) });
    await db.delete(ids.slice(0, 200));
    const reader = db.exportRecords({ chunk: 100 }).getReader();
    const first = new TextDecoder().decode((await reader.read()).value).trim().split('\n').length;
    await db.compact();
    let code = null;
    try {
      while (!(await reader.read()).done);
    } catch (e) {
      code = e.code;
    }
    const text = await new Response(db.exportRecords({ chunk: 100 })).text();
    const exported = text.trim().split('\n').map((l) => JSON.parse(l).id);
    await db.close();
    await window.rv.deleteDatabase(name);
    return { first, code, exported: exported.length, distinct: new Set(exported).size, firstId: exported[0] };
  }, [name, SCALAR]);
  assert.equal(r.first, 100, 'the first page');
  assert.equal(r.code, 'CHANGED');
  assert.deepEqual([r.exported, r.distinct, r.firstId], [300, 300, 'e200']);
  await p.close();
});

test("compaction: 'auto' compacts at an idle moment once dead slots outnumber live ones; 'manual' waits to be asked", async () => {
  const p = await page();
  const name = unique('autocompact');
  const r = await p.evaluate(async ([name, scalar]) => {
    const { open } = window.rv;
    const churn = async (db) => {
      const ids = Array.from({ length: 300 }, (_, i) => `a${i}`);
      await db.insertMany({ ids, vectors: Float32Array.from({ length: 300 * 4 }, (_, i) => Math.sin(i)) });
      // 1,200 dead slots: at least 1,024 and more than the 300 live.
      for (let round = 1; round <= 4; round++) {
        await db.insertMany({ ids: ids.map((id) => `tmp${round}-${id}`), vectors: Float32Array.from({ length: 300 * 4 }, (_, i) => Math.cos(i * round)) });
        await db.delete(ids.map((id) => `tmp${round}-${id}`));
      }
    };
    const tombstonesAfter = async (db, ms) => {
      const until = performance.now() + ms;
      let t = (await db.stats()).tombstones;
      while (t > 0 && performance.now() < until) {
        await new Promise((r) => setTimeout(r, 100));
        t = (await db.stats()).tombstones;
      }
      return t;
    };
    const extra = scalar ? { simd: false } : {};
    const manual = await open(`${name}-manual`, { dimensions: 4, compaction: 'manual', ...extra });
    await churn(manual);
    const manualAfter = await tombstonesAfter(manual, 1500);
    const auto = await open(name, { dimensions: 4, ...extra });
    await churn(auto);
    const autoAfter = await tombstonesAfter(auto, 10_000);
    const out = { manualAfter, autoAfter, count: await auto.count(), nearest: (await auto.search(Float32Array.from([0, 1, 2, 3], (i) => Math.sin(40 + i)), { k: 1 }))[0].id };
    await manual.close();
    await auto.close();
    await window.rv.deleteDatabase(name);
    await window.rv.deleteDatabase(`${name}-manual`);
    return out;
  }, [name, SCALAR]);
  assert.equal(r.manualAfter, 1200, 'manual: nothing happens by itself');
  assert.equal(r.autoAfter, 0, 'auto: compacted while idle');
  assert.equal(r.count, 300);
  assert.equal(r.nearest, 'a10');
  await p.close();
});

test('insertMany: chunks with progress, AbortSignal keeps acknowledged chunks, arrays detached only on request', async () => {
  const p = await page();
  const name = unique('many');
  const r = await p.evaluate(async (name) => {
    const db = await window.rv.open(name, { dimensions: 8 });
    const n = 5000;
    const vectors = new Float32Array(n * 8).map((_, i) => Math.sin(i * 12.9898) + (i % 8));
    const ids = Array.from({ length: n }, (_, i) => `v${i}`);
    const progress = [];
    const full = await db.insertMany({ vectors, ids }, { chunk: 1000, onProgress: (x) => progress.push(x) });
    const copiedIntact = vectors.length === n * 8;
    // Items, aborted after the first acknowledged chunk.
    const items = Array.from({ length: 3000 }, (_, i) => ({ id: `w${i}`, vector: vectors.subarray(i * 8, i * 8 + 8), metadata: { i } }));
    const controller = new AbortController();
    const partial = await db.insertMany(items, { chunk: 500, signal: controller.signal, onProgress: () => controller.abort() });
    // Already aborted: nothing happens.
    const none = await db.insertMany({ vectors: vectors.slice(0, 8) }, { signal: AbortSignal.abort() });
    const moved = new Float32Array(16).fill(1);
    const transferred = await db.insertMany({ vectors: moved }, { transfer: true });
    return {
      full: { committed: full.committed, total: full.total, aborted: full.aborted, ids: full.ids.length },
      progress,
      copiedIntact,
      partial: { committed: partial.committed, total: partial.total, aborted: partial.aborted },
      none: { committed: none.committed, aborted: none.aborted },
      transferred: transferred.committed,
      detached: moved.length === 0,
      count: await db.count(),
      meta: (await db.get('w1')).metadata,
    };
  }, name);
  assert.deepEqual(r.full, { committed: 5000, total: 5000, aborted: false, ids: 5000 });
  assert.deepEqual(r.progress.map((x) => x.committed), [1000, 2000, 3000, 4000, 5000]);
  assert.ok(r.progress.every((x) => x.total === 5000));
  assert.equal(r.copiedIntact, true, 'the caller keeps its array');
  assert.equal(r.partial.aborted, true);
  assert.ok(r.partial.committed >= 500 && r.partial.committed < 3000 && r.partial.committed % 500 === 0, `committed ${r.partial.committed}`);
  assert.deepEqual(r.none, { committed: 0, aborted: true });
  assert.equal(r.transferred, 2);
  assert.equal(r.detached, true, 'transfer: true moves the buffer');
  assert.equal(r.count, 5000 + r.partial.committed + 2);
  assert.deepEqual(r.meta, { i: 1 });
  await p.evaluate((n) => window.rv.deleteDatabase(n), name);
  await p.close();
});

test('searchMany answers each query as search does, in one round trip; a view posts only what it holds', posted, async () => {
  const p = await page();
  const name = unique('many');
  const r = await p.evaluate(async ([name, scalar]) => {
    // Every request the facade posts, with the byte length of each typed array's buffer.
    const posted = [];
    const post = Worker.prototype.postMessage;
    Worker.prototype.postMessage = function (m, transfer) {
      const a = m?.args ?? {};
      posted.push({ op: m?.op, vector: a.query?.buffer.byteLength, vectors: a.vectors?.buffer.byteLength });
      return post.call(this, m, transfer);
    };
    const dim = 8;
    let s = 7;
    const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
    const base = Float32Array.from({ length: 600 * dim }, rnd);
    const db = await window.rv.open(name, { dimensions: dim, ...(scalar ? { simd: false } : {}) });
    const ids = Array.from({ length: 600 }, (_, i) => `v${i}`);
    await db.insertMany({ vectors: base, ids, metadata: ids.map((_, i) => ({ g: i % 3 })) });
    const queries = Float32Array.from({ length: 20 * dim }, rnd);
    const options = { k: 5, ef: 32, includeMetadata: true, filter: { g: 1 } };
    posted.length = 0;
    const many = await db.searchMany(queries, options);
    const requests = posted.map((x) => x.op);
    const one = [];
    for (let q = 0; q < 20; q++) one.push(await db.search(queries.subarray(q * dim, (q + 1) * dim), options));
    const viewBytes = posted.filter((x) => x.op === 'search').map((x) => x.vector);
    const rows = Array.from({ length: 20 }, (_, q) => Array.from(queries.subarray(q * dim, (q + 1) * dim)));
    const fromArrays = await db.searchMany(rows, options);
    const withVectors = await db.searchMany(queries.subarray(0, 2 * dim), { k: 3, includeVectors: true });
    // insertMany of a view with transfer: true copies the view and detaches nothing of the
    // caller's; of a whole array, it moves that array's buffer.
    const big = Float32Array.from({ length: 40 * dim }, rnd);
    posted.length = 0;
    await db.insertMany({ vectors: big.subarray(0, 2 * dim) }, { transfer: true });
    const viewPosted = posted.find((x) => x.op === 'insertMany').vectors;
    const whole = Float32Array.from({ length: 2 * dim }, rnd);
    await db.insertMany({ vectors: whole }, { transfer: true });
    const out = {
      requests, many, one, fromArrays, viewBytes, viewPosted,
      bigKept: big.buffer.byteLength, wholeDetached: whole.buffer.byteLength,
      withVectors: withVectors.map((l) => l.map((h) => [h.id, h.vector instanceof Float32Array, h.vector.length, h.vector.buffer.byteLength])),
      nearest: withVectors[0].map((h) => h.vector).every((v, i, all) => i === 0 || v !== all[i - 1]),
      empty: await db.searchMany(new Float32Array(0)),
      count: await db.count(),
    };
    Worker.prototype.postMessage = post;
    for (const [label, f] of [['string', () => db.searchMany('x')], ['ragged', () => db.searchMany([new Float32Array(dim), [1, 2]])], ['partial', () => db.searchMany(new Float32Array(dim + 1))]]) {
      try {
        await f();
        out[label] = 'resolved';
      } catch (e) {
        out[label] = [e.code, e.message];
      }
    }
    await db.destroy();
    return out;
  }, [name, SCALAR]);
  assert.deepEqual(r.requests, ['searchMany'], 'one request for the whole batch');
  assert.equal(r.many.length, 20);
  assert.deepEqual(r.many, r.one, 'each query answered as search answers it');
  assert.deepEqual(r.fromArrays, r.many, 'an array of vectors is the same batch');
  assert.ok(r.many.every((hits) => hits.length === 5 && hits.every((h) => h.metadata.g === 1)), 'k hits that pass the filter');
  assert.deepEqual(r.viewBytes, Array(20).fill(32), 'a row of the batch posts its 32 bytes, not the batch');
  assert.equal(r.viewPosted, 64, 'a view given with transfer: true is copied: its own 64 bytes move');
  assert.equal(r.bigKept, 40 * 8 * 4, 'the caller\'s buffer is not detached');
  assert.equal(r.wholeDetached, 0, 'a whole array given with transfer: true moves');
  assert.deepEqual(r.withVectors.map((l) => l.map((h) => h.slice(1))), Array(2).fill(Array(3).fill([true, 8, 32])), 'each hit\'s vector is a Float32Array of its own');
  assert.equal(r.nearest, true);
  assert.deepEqual(r.empty, []);
  assert.equal(r.count, 604);
  assert.equal(r.string[0], 'BAD_ARGUMENT');
  assert.deepEqual(r.ragged, ['DIMENSION_MISMATCH', 'queries[1] has 2 values; the database has 8 dimensions']);
  assert.equal(r.partial[0], 'DIMENSION_MISMATCH');
  await p.close();
});

test('one worker per name: two opens share it, it ends with the last handle', browserOnly, async () => {
  const p = await page();
  const name = unique('shared');
  const r = await p.evaluate(async (name) => {
    const a = await window.rv.open(name, { dimensions: 2 });
    const b = await window.rv.open(name);
    await a.insert({ id: 'x', vector: [1, 2] });
    window.handles = [a, b];
    return { seenByB: await b.count() };
  }, name);
  assert.equal(r.seenByB, 1);
  assert.equal(p.workers().length, 1, 'two opens of one name share a worker');
  await p.evaluate(() => window.handles[0].close());
  assert.equal(p.workers().length, 1, 'the second handle keeps it');
  assert.equal(await p.evaluate(() => window.handles[1].count()), 1);
  const gone = new Promise((ok) => p.workers()[0].once('close', ok));
  await p.evaluate(() => window.handles[1].close());
  await gone;
  assert.equal(p.workers().length, 0, 'the last close ends the worker');
  // A handle closed while another open of the name is in flight leaves the worker running.
  const raced = await p.evaluate(async (name) => {
    const first = window.rv.open(name);
    const second = window.rv.open(name);
    await (await first).close();
    const b = await second;
    return b.count();
  }, name);
  assert.equal(raced, 1);
  await p.evaluate((n) => window.rv.deleteDatabase(n), name);
  await p.close();
});

test('deleteDatabase waits for a connection elsewhere that does not close, calls blocked, and resolves once the database is gone', browserOnly, async () => {
  const context = await env.browser.newContext();
  const a = await page(context);
  const b = await page(context);
  const name = unique('held');
  // Tab a holds a plain IndexedDB connection that ignores versionchange (another library,
  // or a worker too busy to answer): IndexedDB keeps a delete waiting for it.
  await a.evaluate(async (name) => {
    const db = await window.rv.open(name, { dimensions: 2 });
    await db.insert({ id: 'x', vector: [1, 2] });
    await db.close();
    window.raw = await new Promise((resolve, reject) => {
      const q = indexedDB.open(`ruvector:${name}`);
      q.onsuccess = () => resolve(q.result);
      q.onerror = () => reject(q.error);
    });
  }, name);
  await b.evaluate((name) => {
    window.blockedCalls = [];
    window.deleted = false;
    window.deleting = window.rv.deleteDatabase(name, { blocked: (info) => window.blockedCalls.push(info) })
      .then(() => { window.deleted = true; });
  }, name);
  await b.waitForFunction(() => window.blockedCalls.length > 0);
  assert.deepEqual(await b.evaluate(() => window.blockedCalls[0]), { name });
  // Reported, not given up: the delete is still pending and the data still there.
  assert.equal(await b.evaluate(() => window.deleted), false);
  assert.ok((await b.evaluate(() => window.rv.databases())).includes(name));
  await a.evaluate(() => window.raw.close());
  await b.evaluate(() => window.deleting);
  assert.equal(await b.evaluate(() => window.deleted), true);
  assert.ok(!(await b.evaluate(() => window.rv.databases())).includes(name));
  const bad = await failure(b, async () => window.rv.deleteDatabase('x', { blocked: 1 }));
  assert.equal(bad.code, 'BAD_ARGUMENT');
  await context.close();
});

test('events: change, progress, blocked (another tab deletes), terminated (the worker failed)', browserOnly, async () => {
  const context = await env.browser.newContext();
  const a = await page(context);
  const b = await page(context);
  const name = unique('events');
  await a.evaluate(async (name) => {
    window.seen = [];
    const db = await window.rv.open(name, { dimensions: 2 });
    for (const t of ['change', 'progress', 'blocked', 'terminated']) db.addEventListener(t, (e) => window.seen.push({ type: t, detail: e.detail }));
    await db.insert({ id: 'p', vector: [1, 1] });
    await db.insertMany({ vectors: new Float32Array(8) .fill(0.5) }, { chunk: 2 });
    window.db = db;
  }, name);
  let seen = await a.evaluate(() => window.seen);
  assert.ok(seen.filter((e) => e.type === 'change').length >= 3, JSON.stringify(seen));
  assert.deepEqual(seen.filter((e) => e.type === 'progress').map((e) => e.detail.committed), [2, 4]);
  // Another tab deletes the database: this handle hears `blocked` and is closed.
  await b.evaluate((n) => window.rv.deleteDatabase(n), name);
  await a.waitForFunction(() => window.seen.some((e) => e.type === 'blocked'));
  const closed = await failure(a, async () => window.db.count());
  assert.equal(closed.code, 'CLOSED');
  assert.equal(await a.evaluate(() => window.db.closed), true);
  // A worker that fails: handles hear `terminated`, pending and later calls reject.
  const other = unique('dies');
  await a.evaluate(async (n) => {
    window.victim = await window.rv.open(n, { dimensions: 2 });
    window.victim.addEventListener('terminated', (e) => window.seen.push({ type: 'terminated', detail: e.detail }));
  }, other);
  const worker = a.workers().at(-1);
  await worker.evaluate(() => setTimeout(() => { throw new Error('simulated crash'); }));
  await a.waitForFunction(() => window.seen.some((e) => e.type === 'terminated'));
  seen = await a.evaluate(() => window.seen);
  assert.equal(seen.find((e) => e.type === 'terminated').detail.code, 'TERMINATED');
  const dead = await failure(a, async () => window.victim.count());
  assert.equal(dead.code, 'TERMINATED');
  // Opening the name again starts a fresh worker with the data intact.
  assert.equal(await a.evaluate(async (n) => (await window.rv.open(n)).count(), other), 0);
  await a.evaluate((n) => window.rv.deleteDatabase(n), other);
  await context.close();
});
