// <ruvector-db> (web/element.js) in headless Chromium: opens when connected, `ready`,
// proxied methods, `change`/`progress`/`error` events, reopening on a name change, and its
// worker ended when the element leaves the page (Playwright counts the live workers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { suite, openPage, unique } from './harness.mjs';

const env = suite();
const page = () => openPage(env, '/playwright/fixtures/facade.html');

test('the element opens when connected, proxies the methods, and fires ready/change/progress', async () => {
  const p = await page();
  const name = unique('element');
  const r = await p.evaluate(async (name) => {
    const el = document.createElement('ruvector-db');
    const events = [];
    for (const t of ['ready', 'change', 'progress', 'error']) el.addEventListener(t, (e) => events.push(t));
    el.setAttribute('name', name);
    el.setAttribute('dimensions', '3');
    el.setAttribute('metric', 'euclidean');
    el.setAttribute('index', 'flat');
    el.setAttribute('durability', 'relaxed');
    const notYet = el.db;
    const ready = new Promise((ok) => el.addEventListener('ready', (e) => ok(e.detail.db), { once: true }));
    document.body.append(el);
    const db = await ready;
    await el.insert([{ id: 'a', vector: [0, 0, 1] }, { id: 'b', vector: [0, 1, 0] }]);
    await el.insertMany({ vectors: new Float32Array([1, 0, 0, 1, 1, 0]), ids: ['c', 'd'] }, { chunk: 1 });
    const hits = await el.search([1, 0, 0], { k: 1 });
    const many = await el.searchMany([[1, 0, 0], [0, 1, 0]], { k: 1 });
    const stats = await el.stats();
    return {
      notYet,
      same: el.db === db,
      isElement: el instanceof window.RuvectorDbElement,
      name: db.name,
      hits: hits.map((h) => h.id),
      many: many.map((list) => list.map((h) => h.id)),
      count: await el.count(),
      index: stats.index,
      metric: stats.metric,
      durability: stats.persistence.durability,
      events,
    };
  }, name);
  assert.equal(r.notYet, null);
  assert.equal(r.same, true);
  assert.equal(r.isElement, true);
  assert.equal(r.name, name);
  assert.deepEqual(r.hits, ['c']);
  assert.deepEqual(r.many, [['c'], ['b']], 'searchMany through the element');
  assert.equal(r.count, 4);
  assert.deepEqual([r.index, r.metric, r.durability], ['flat', 'euclidean', 'relaxed']);
  assert.equal(r.events.filter((e) => e === 'ready').length, 1);
  assert.ok(r.events.filter((e) => e === 'change').length >= 2, r.events.join());
  assert.equal(r.events.filter((e) => e === 'progress').length, 2);
  assert.equal(r.events.filter((e) => e === 'error').length, 0);
  await p.evaluate((n) => window.rv.deleteDatabase(n), name);
  await p.close();
});

test('an element in the HTML (upgraded with its attributes) opens once', async () => {
  const p = await page();
  const name = unique('parsed');
  const r = await p.evaluate(async (name) => {
    const host = document.createElement('div');
    const events = [];
    host.addEventListener('ready', () => events.push('ready'), true);
    host.addEventListener('error', (e) => events.push(`error ${e.detail?.code}`), true);
    // Parsed markup: attributeChangedCallback runs for each attribute before connectedCallback.
    host.innerHTML = `<ruvector-db name="${name}" dimensions="2" metric="manhattan"></ruvector-db>`;
    document.body.append(host);
    const el = host.firstElementChild;
    const db = await el.ready;
    await el.insert({ id: 'z', vector: [3, 4] });
    await new Promise((ok) => setTimeout(ok, 100));
    const out = { events, metric: db.metric, count: await el.count() };
    host.remove();
    return out;
  }, name);
  assert.deepEqual(r.events, ['ready']);
  assert.equal(r.metric, 'manhattan');
  assert.equal(r.count, 1);
  await p.evaluate((n) => window.rv.deleteDatabase(n), name);
  await p.close();
});

test('a name change reopens, removal ends the worker, and a bad open fires error', async () => {
  const p = await page();
  const [first, second, bad] = [unique('first'), unique('second'), unique('bad')];
  await p.evaluate(async ([first]) => {
    const el = document.createElement('ruvector-db');
    el.id = 'db';
    el.setAttribute('name', first);
    el.setAttribute('dimensions', '2');
    const ready = new Promise((ok) => el.addEventListener('ready', ok, { once: true }));
    document.body.append(el);
    await ready;
    await el.insert({ id: 'in-first', vector: [1, 2] });
  }, [first]);
  assert.equal(p.workers().length, 1);
  const second_ = await p.evaluate(async (second) => {
    const el = document.getElementById('db');
    const ready = new Promise((ok) => el.addEventListener('ready', (e) => ok(e.detail.db), { once: true }));
    el.setAttribute('name', second);
    const db = await ready;
    return { name: db.name, count: await el.count() };
  }, second);
  assert.deepEqual(second_, { name: second, count: 0 });
  // The first database's worker ended with its last handle; the second one runs.
  await p.waitForFunction(() => true);
  for (let i = 0; i < 50 && p.workers().length !== 1; i++) await new Promise((ok) => setTimeout(ok, 20));
  assert.equal(p.workers().length, 1, 'only the current database has a worker');
  // Removed from the page: its worker ends.
  const gone = new Promise((ok) => p.workers()[0].once('close', ok));
  await p.evaluate(() => document.getElementById('db').remove());
  await gone;
  assert.equal(p.workers().length, 0);
  // Moved within the page (removed and re-inserted in one task): it stays open.
  const moved = await p.evaluate(async ([first]) => {
    const el = document.createElement('ruvector-db');
    el.setAttribute('name', first);
    const ready = new Promise((ok) => el.addEventListener('ready', (e) => ok(e.detail.db), { once: true }));
    document.body.append(el);
    const db = await ready;
    const box = document.createElement('div');
    document.body.append(box);
    box.append(el); // disconnect + connect in one task
    await new Promise((ok) => setTimeout(ok, 50));
    window.kept = el;
    return { same: el.db === db, closed: db.closed, count: await el.count() };
  }, [first]);
  assert.deepEqual(moved, { same: true, closed: false, count: 1 });
  // A database that does not exist, without dimensions: `error` with a typed code.
  const error = await p.evaluate(async (bad) => {
    const el = document.createElement('ruvector-db');
    const failed = new Promise((ok) => el.addEventListener('error', (e) => ok({ code: e.detail.code, message: e.detail.message }), { once: true }));
    el.setAttribute('name', bad);
    document.body.append(el);
    const e = await failed;
    let proxied = null;
    try {
      await el.count();
    } catch (x) {
      proxied = x.code;
    }
    el.remove();
    return { ...e, proxied, db: el.db, leftBehind: (await window.rv.databases()).includes(bad) };
  }, bad);
  assert.equal(error.code, 'INVALID_CONFIG');
  assert.match(error.message, /dimensions/);
  assert.equal(error.proxied, 'INVALID_CONFIG');
  assert.equal(error.db, null);
  assert.equal(error.leftBehind, false, 'a failed create leaves no empty database');
  await p.evaluate(async (names) => {
    window.kept.remove();
    for (const n of names) await window.rv.deleteDatabase(n);
  }, [first, second]);
  await p.close();
});

test('the element streams exportRecords at once and proxies importRecords', async () => {
  const p = await page();
  const name = unique('element-records');
  const r = await p.evaluate(async (name) => {
    const el = document.createElement('ruvector-db');
    el.setAttribute('name', name);
    el.setAttribute('dimensions', '2');
    el.setAttribute('metric', 'euclidean');
    // The stream is there before the element is connected and ready.
    const stream = el.exportRecords({ format: 'jsonl' });
    const early = stream instanceof ReadableStream;
    await new Promise((ok) => setTimeout(ok, 20));
    document.body.append(el);
    await el.ready;
    await el.insert([{ id: 'a', vector: [1, 2], metadata: { k: 1 } }, { id: 'b', vector: [3, 4] }]);
    const text = await new Response(el.exportRecords()).text();
    await new Response(stream).text();
    const copy = document.createElement('ruvector-db');
    copy.setAttribute('name', `${name}-copy`);
    copy.setAttribute('dimensions', '2');
    copy.setAttribute('metric', 'euclidean');
    document.body.append(copy);
    const imported = await copy.importRecords(text);
    const got = await copy.get('a');
    await (await el.ready).destroy();
    await (await copy.ready).destroy();
    return { early, lines: text.trim().split('\n').map((l) => JSON.parse(l)), imported, got: { id: got.id, vector: Array.from(got.vector), metadata: got.metadata } };
  }, name);
  assert.equal(r.early, true);
  assert.deepEqual(r.lines, [{ id: 'a', vector: [1, 2], text: null, metadata: { k: 1 } }, { id: 'b', vector: [3, 4], text: null, metadata: null }]);
  assert.deepEqual(r.imported, { imported: 2, aborted: false });
  assert.deepEqual(r.got, { id: 'a', vector: [1, 2], metadata: { k: 1 } });
  await p.close();
});
