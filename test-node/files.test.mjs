// node/files.js, the Node store of record, on its own: frames read back as written, a frame torn
// by a crash cut off, damage before whole frames refused as CORRUPT, a rewrite that keeps every
// live record, a failed write that leaves nothing, and database names escaped to one entry.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readFile, writeFile, appendFile, stat, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordHost, FileDb, encodeFrame, dirName, nameOf, MAGIC, RECORDS } from '../node/files.js';

let root;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'ruvector-files-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const bytes = (s) => new Uint8Array(Buffer.from(s));
const all = (db) => {
  const [[keys, values]] = db.readRanges(['', '\uffff', false, true]);
  return Object.fromEntries(keys.map((k, i) => [k, Buffer.from(values[i]).toString()]));
};

test('writes read back, in key order, by range and by key; deletes and clears apply', async () => {
  const db = new RecordHost(root).open('basic');
  await db.write(false, [], ['b', 'a', 'log/1'], [bytes('B'), bytes('A'), bytes('L1')], true);
  await db.write(false, ['a'], ['c'], [bytes('C')], false);
  assert.deepEqual(all(db), { b: 'B', c: 'C', 'log/1': 'L1' });
  const [[logKeys, noValues]] = db.readRanges(['log/', 'log0', false, false]);
  assert.deepEqual([logKeys, noValues], [['log/1'], []]);
  const [[inclusive]] = db.readRanges(['b', 'c', true, false]);
  assert.deepEqual(inclusive, ['b', 'c']);
  assert.deepEqual(db.readKeys(['c', 'zz']).map((v) => v && Buffer.from(v).toString()), ['C', undefined]);
  assert.equal(db.count(), 3);
  await db.write(true, [], ['d'], [bytes('D')], true);
  assert.deepEqual(all(db), { d: 'D' });
  db.close();
  const again = new RecordHost(root).open('basic');
  assert.deepEqual(all(again), { d: 'D' }, 'the same after reopening');
  again.close();
});

test('a frame torn by a crash is cut off; damage with whole frames after it is CORRUPT', async () => {
  const host = new RecordHost(root);
  const db = host.open('torn');
  await db.write(false, [], ['k1'], [bytes('one')], true);
  await db.write(false, [], ['k2'], [bytes('two')], true);
  db.close();
  await new Promise((r) => setTimeout(r, 10));
  const file = join(root, 'torn', RECORDS);
  const whole = (await stat(file)).size;
  // Half of a third frame, as a crash mid-append leaves it.
  const third = encodeFrame(false, [], ['k3'], [bytes('three')]);
  await appendFile(file, third.subarray(0, 11));
  const reopened = host.open('torn');
  assert.deepEqual(all(reopened), { k1: 'one', k2: 'two' });
  assert.equal((await stat(file)).size, whole, 'the torn bytes are gone');
  reopened.close();
  await new Promise((r) => setTimeout(r, 10));
  // Zeros after the last frame (space a crash left allocated): cut off too.
  await appendFile(file, Buffer.alloc(64));
  const zeroed = host.open('torn');
  assert.equal(zeroed.count(), 2);
  zeroed.close();
  await new Promise((r) => setTimeout(r, 10));
  // A flipped byte in the first frame, the second whole after it: refused, nothing dropped.
  const b = await readFile(file);
  b[MAGIC.length + 12] ^= 0xff;
  await writeFile(file, b);
  assert.throws(() => host.open('torn'), (e) => e.code === 'CORRUPT' && /byte 8/.test(e.message));
  await writeFile(file, Buffer.from('not a records file at all'));
  assert.throws(() => host.open('torn'), (e) => e.code === 'CORRUPT');
});

test('a file mostly dead bytes is rewritten with every live record, and still reads after reopening', async () => {
  const db = new RecordHost(root).open('rewrite');
  const big = new Uint8Array(1 << 20).fill(7);
  // 20 MiB of writes to one key: dead bytes pass 8 MiB, the file is rewritten (at most 8 MiB
  // of dead bytes and the live ones stay).
  for (let i = 0; i < 20; i++) await db.write(false, [], ['page'], [big], false);
  await db.write(false, [], ['small'], [bytes('kept')], true);
  const file = join(root, 'rewrite', RECORDS);
  const size = (await stat(file)).size;
  assert.ok(size <= (9 << 20) + 4096, `rewritten to ${size} bytes, not 20 MiB`);
  assert.deepEqual(Object.keys(all(db)).sort(), ['page', 'small']);
  assert.equal(db.readKeys(['page'])[0].length, 1 << 20);
  db.close();
  await new Promise((r) => setTimeout(r, 10));
  const again = new RecordHost(root).open('rewrite');
  assert.equal(Buffer.from(again.readKeys(['small'])[0]).toString(), 'kept');
  assert.deepEqual(await readdir(join(root, 'rewrite')), [RECORDS], 'no temporary file left');
  again.close();
});

test('a write that fails leaves nothing in the file or the index', async () => {
  const db = new RecordHost(root).open('fault');
  await db.write(false, [], ['a'], [bytes('A')], true);
  const file = join(root, 'fault', RECORDS);
  const size = (await stat(file)).size;
  process.env.RUVECTOR_TEST_FAULT = `enospc:${size + 10}`;
  try {
    await assert.rejects(db.write(false, ['a'], ['b'], [new Uint8Array(100)], true), (e) => e.code === 'QUOTA_EXCEEDED');
  } finally {
    delete process.env.RUVECTOR_TEST_FAULT;
  }
  assert.equal((await stat(file)).size, size);
  assert.deepEqual(all(db), { a: 'A' });
  await db.write(false, [], ['c'], [bytes('C')], true);
  assert.deepEqual(all(db), { a: 'A', c: 'C' }, 'the next write goes on');
  db.close();
});

test('any name is one directory entry, and comes back from it', () => {
  for (const name of ['notes', 'a/b', '..', '.', 'café ☕', 'x%41', '']) {
    const d = dirName(name);
    assert.match(d, /^[A-Za-z0-9_%-]*$/);
    assert.equal(nameOf(d), name);
  }
  assert.equal(dirName('..'), '%2E%2E');
  assert.ok(FileDb);
});
