// ruvector-web in Node: databases in a directory, one process at a time (LOCKED), nothing
// acknowledged lost when the process is killed, typed errors for paths that cannot be written
// and full or read-only disks, and a process that exits once it has nothing in flight.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, databases, deleteDatabase, importDatabase, RuvectorError } from '../node/index.js';

const CHILD = new URL('./child.mjs', import.meta.url).pathname;
const CI = process.env.CI === 'true';
let dir;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ruvector-node-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const vec = (i, d = 8) => Float32Array.from({ length: d }, (_, j) => Math.sin(i * d + j) + 1.5);

/** Starts child.mjs; `lines` collects its stdout lines, `line(pred)` waits for one. */
function child(name, what, env = {}, flags = []) {
  const p = spawn(process.execPath, [...flags, CHILD, dir, name, what], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  const waiters = [];
  let buf = '';
  let err = '';
  p.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(l);
      for (const w of waiters.splice(0)) if (!w(l)) waiters.push(w);
    }
  });
  p.stderr.on('data', (d) => (err += d));
  const exited = new Promise((ok) => p.on('exit', (code, signal) => ok({ code, signal, err })));
  const line = (pred) =>
    new Promise((ok, no) => {
      const found = lines.find(pred);
      if (found) return ok(found);
      waiters.push((l) => (pred(l) ? (ok(l), true) : false));
      exited.then((x) => no(new Error(`child exited (${x.code ?? x.signal}) first: ${x.err}`)));
    });
  return { p, lines, line, exited };
}

test('a database lives in its directory: reopened, listed, exported, deleted', async () => {
  const db = await open('notes', { path: dir, dimensions: 8, metric: 'cosine' });
  await db.insert([
    { id: 'a', vector: vec(1), metadata: { tag: 'x' } },
    { id: 'b', vector: vec(2) },
  ]);
  await db.upsert('a', { metadata: { tag: 'y' } });
  await db.close();
  const entries = await readdir(dir);
  assert.deepEqual(entries, ['notes'], 'one directory per database');
  assert.ok((await stat(join(dir, 'notes', 'records.log'))).size > 0);

  const again = await open('notes', { path: dir });
  assert.equal(await again.count(), 2);
  assert.deepEqual((await again.get('a')).metadata, { tag: 'y' });
  const hits = await again.search(vec(2), { k: 1 });
  assert.equal(hits[0].id, 'b');
  const file = await again.export();
  assert.ok(file instanceof Blob);
  const copy = await importDatabase('notes copy/é', file, { path: dir });
  assert.equal(await copy.count(), 2);
  assert.deepEqual((await databases({ path: dir })).sort(), ['notes', 'notes copy/é']);
  await copy.close();
  await again.close();
  await deleteDatabase('notes copy/é', { path: dir });
  assert.deepEqual(await databases({ path: dir }), ['notes']);
  // Another directory is another set of databases.
  const other = join(dir, 'elsewhere');
  assert.deepEqual(await databases({ path: other }), []);
  const o = await open('notes', { path: other, dimensions: 2 });
  assert.equal(await o.count(), 0);
  await o.destroy();
  assert.deepEqual(await databases({ path: other }), []);
});

test('two opens of a name in one process share its worker; another process gets LOCKED', async () => {
  const a = await open('shared', { path: dir, dimensions: 8 });
  const b = await open('shared', { path: dir });
  await a.insert({ id: 'x', vector: vec(3) });
  assert.equal(await b.count(), 1, 'the second handle sees the first one\'s write');
  await a.close();
  await b.close();

  const holder = child('held', 'hold');
  await holder.line((l) => l === 'open');
  await assert.rejects(open('held', { path: dir, dimensions: 8 }), (e) => e instanceof RuvectorError && e.code === 'LOCKED' && /process \d+/.test(e.message));
  await assert.rejects(deleteDatabase('held', { path: dir }), (e) => e.code === 'LOCKED');
  holder.p.kill('SIGKILL');
  await holder.exited;
  // Its holder is gone: the lock is taken over.
  const mine = await open('held', { path: dir });
  assert.equal(await mine.count(), 0);
  await mine.destroy();
});

test('killed mid-write, the process loses nothing it acknowledged', async () => {
  const rounds = CI ? 3 : 10;
  const acked = new Set();
  for (let r = 0; r < rounds; r++) {
    // Odd rounds run the engine in the writer's own thread.
    const w = child('crash', 'writer', r % 2 ? { CHILD_THREAD: 'main' } : {});
    const target = 20 + r * 7;
    await w.line(() => w.lines.filter((l) => l.startsWith('v')).length >= target);
    w.p.kill('SIGKILL');
    await w.exited;
    for (const l of w.lines) if (l.startsWith('v')) acked.add(l);
    const db = await open('crash', { path: dir });
    for (const id of acked) {
      const got = await db.get(id);
      assert.ok(got, `${id} was acknowledged before the kill (round ${r})`);
      // Cosine keeps unit vectors and their norms: the original comes back within rounding.
      const want = vec(Number(id.slice(1)));
      assert.ok(got.vector.every((x, j) => Math.abs(x - want[j]) < 1e-5), `${id} came back whole`);
    }
    await db.close();
  }
  console.log(`# crash rounds: ${rounds}, acknowledged writes checked: ${acked.size}`);
  await deleteDatabase('crash', { path: dir });
});

test('killed mid-compaction, the process loses nothing it acknowledged and the database opens', async () => {
  // child.mjs's churnVec.
  const vecOf = (i, r) => Float32Array.from({ length: 8 }, (_, j) => Math.sin((i + r * 7919) * 8 + j) + 1.5);
  const kills = CI ? 3 : 10;
  let done = -1; // the last round whose writes were all acknowledged
  let compactions = 0;
  for (let k = 0; k < kills; k++) {
    const w = child('churn', 'churn', k % 2 ? { CHILD_THREAD: 'main' } : {});
    // Killed at a random moment of a compaction (or just after it, among the next round's writes).
    const seen = await w.line((l) => l.startsWith('compacting '));
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 120)));
    w.p.kill('SIGKILL');
    await w.exited;
    for (const l of w.lines) {
      if (l.startsWith('round ')) done = Math.max(done, Number(l.split(' ')[1]));
      if (l.startsWith('compacted ')) compactions++;
    }
    const db = await open('churn', { path: dir, compaction: 'manual' });
    assert.equal(await db.count(), 2000, `every record is there (kill ${k}, after ${seen})`);
    for (let i = 0; i < 2000; i += 37) {
      const got = await db.get(`c${i}`);
      const r = got.metadata.round;
      // Its last acknowledged round, or the one after it, whose write may have landed unacknowledged.
      assert.ok(r === done || r === done + 1, `c${i} holds round ${r}; round ${done} was acknowledged`);
      const want = vecOf(i, r);
      assert.ok(got.vector.every((x, j) => Math.abs(x - want[j]) < 1e-5), `c${i} holds round ${r}'s vector`);
    }
    // (Some records are near duplicates: sin's period against the step of 8 between them.)
    const hits = await db.search(vecOf(5, (await db.get('c5')).metadata.round), { k: 5 });
    assert.ok(hits.some((h) => h.id === 'c5'), 'the graph finds it');
    await db.close();
  }
  console.log(`# kills during compaction: ${kills}; compactions completed before them: ${compactions}; rounds acknowledged: ${done + 1}`);
  await deleteDatabase('churn', { path: dir });
});

test('WebAssembly memory that cannot grow: an insert gets FULL, writes nothing, and the database goes on', async () => {
  // 96 MiB of WebAssembly memory at most (V8's flag, for every worker of the process).
  const c = child('capped', 'memory', {}, ['--wasm-max-mem-pages=1536']);
  const r = JSON.parse(await c.line((l) => l.startsWith('{')));
  await c.line((l) => l === 'closed');
  const { code } = await c.exited;
  assert.equal(r.code, 'FULL', r.message);
  assert.match(r.message, /could not grow past \d+ MiB; nothing was written/);
  assert.ok(r.acked >= 5000, `some chunks fit first (${r.acked})`);
  assert.equal(r.count, r.acked, 'the refused chunk left nothing');
  assert.equal(r.hits, 3, 'the database still answers');
  assert.equal(code, 0, 'the process ended normally');
  const db = await open('capped', { path: dir });
  assert.equal(await db.count(), r.acked, 'every acknowledged chunk is on disk');
  await db.close();
  console.log(`# capped memory: ${r.acked} vectors × 384 fit before FULL`);
  await deleteDatabase('capped', { path: dir });
});

test('a process with databases open but nothing in flight exits by itself, engine in a worker or not', async () => {
  for (const thread of ['worker', 'main']) {
    const c = child('idle', 'idle', { CHILD_THREAD: thread });
    const { code } = await c.exited;
    assert.equal(code, 0, thread);
    assert.deepEqual(c.lines, ['inserted']);
    const db = await open('idle', { path: dir });
    assert.equal(await db.count(), 1, 'its acknowledged write is there');
    await db.destroy();
  }
});

test('thread: main runs the engine here: the same answers, and a name open either way shares its engine', async () => {
  const w = await open('threads', { path: dir, dimensions: 8, metric: 'euclidean' });
  await w.insertMany({ vectors: Float32Array.from({ length: 8 * 300 }, (_, i) => Math.sin(i * 7) + 1.5), ids: Array.from({ length: 300 }, (_, i) => `t${i}`) });
  const q = vec(5);
  const viaWorker = await w.search(q, { k: 5 });
  await w.close();
  const m = await open('threads', { path: dir, thread: 'main' });
  assert.deepEqual(await m.search(q, { k: 5 }), viaWorker, 'the same hits, scores and distances');
  const also = await open('threads', { path: dir, thread: 'worker' });
  await also.insert({ id: 'extra', vector: vec(9) });
  assert.equal(await m.count(), 301, 'the second open shares the first one\'s engine');
  await also.close();
  await assert.rejects(open('threads', { path: dir, thread: 'fibre' }), (e) => e.code === 'BAD_ARGUMENT');
  await m.destroy();
});

test('a path that cannot be written, a full disk and a read-only file system are typed errors that lose nothing', async () => {
  const file = join(dir, 'a-file');
  await writeFile(file, 'not a directory');
  await assert.rejects(open('x', { path: join(file, 'sub'), dimensions: 2 }), (e) => e instanceof RuvectorError && e.code === 'STORAGE' && /a-file/.test(e.message));
  await assert.rejects(open('x', { path: '', dimensions: 2 }), (e) => e.code === 'BAD_ARGUMENT');
  await assert.rejects(databases({ path: dir, bogus: 1 }), (e) => e.code === 'BAD_ARGUMENT');

  // A disk that fills after about 200 KiB (simulated in the child's file writes).
  const full = child('full', 'fill', { RUVECTOR_TEST_FAULT: 'enospc:200000' });
  const r = JSON.parse(await full.line((l) => l.startsWith('{')));
  await full.exited;
  assert.equal(r.code, 'QUOTA_EXCEEDED', r.message);
  assert.ok(r.acked > 0, 'writes before the disk filled were acknowledged');
  assert.equal(r.count, r.acked, 'the failed chunk left nothing behind in memory');
  const db = await open('full', { path: dir });
  assert.equal(await db.count(), r.acked, 'and nothing behind on disk');
  await db.close();

  // Read-only: the open itself fails to write its first record, or the first write fails.
  const ro = child('full', 'fill', { RUVECTOR_TEST_FAULT: 'erofs' });
  const out = await Promise.race([ro.line((l) => l.startsWith('{')).then(JSON.parse), ro.exited]);
  await ro.exited;
  if (out.code !== undefined && typeof out.acked === 'number') {
    assert.equal(out.code, 'STORAGE');
    assert.match(out.message, /read-only/);
    assert.equal(out.acked, 0);
  } else {
    assert.match(out.err, /STORAGE|read-only/);
  }
  const after = await open('full', { path: dir });
  assert.equal(await after.count(), r.acked, 'a read-only disk changed nothing');
  await after.destroy();
});

test('concurrent writes are committed in groups: one flushed frame for many writes', async () => {
  const db = await open('group', { path: dir, dimensions: 8 });
  const before = (await db.stats()).persistence.transactions;
  await Promise.all(Array.from({ length: 64 }, (_, i) => db.insert({ id: `g${i}`, vector: vec(i) })));
  const commits = (await db.stats()).persistence.transactions - before;
  assert.equal(await db.count(), 64);
  assert.ok(commits >= 1 && commits < 64, `64 concurrent inserts took ${commits} commits`);
  console.log(`# 64 concurrent inserts: ${commits} commits`);
  await db.close();
  const again = await open('group', { path: dir });
  assert.equal(await again.count(), 64, 'all of them durable');
  await again.destroy();
});

test('an export given as a Node Buffer is copied, not moved: the caller keeps its bytes', async () => {
  const db = await open('buffers', { path: dir, dimensions: 8 });
  await db.insertMany({ vectors: Float32Array.from({ length: 8 * 500 }, (_, i) => Math.sin(i) + 1.5) });
  // Buffer.from(arrayBuffer) shares that buffer; Buffer's own slice() would be a view of it,
  // and moving the view's buffer would empty the caller's Buffer.
  const file = Buffer.from(await (await db.export()).arrayBuffer());
  const size = file.length;
  const copy = await importDatabase('buffers-copy', file, { path: dir });
  assert.equal(await copy.count(), 500);
  assert.equal(file.length, size, 'the caller\'s Buffer still holds its bytes');
  await copy.destroy();
  await db.destroy();
});
