// exportRecords / importRecords (JSON lines so far): a stream of pages with progress and abort,
// a round trip that gives the same records back, column mapping, append and upsert, and bad
// input that names its row and column and writes nothing of its chunk.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, RuvectorError } from '../node/index.js';

let dir;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ruvector-records-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const DIM = 6;
const rowVector = (i) => Array.from({ length: DIM }, (_, j) => Math.fround(Math.sin(i * DIM + j) * 3));
const items = (n) =>
  Array.from({ length: n }, (_, i) => ({
    id: `r${i}`,
    vector: rowVector(i),
    ...(i % 2 ? { text: `record number ${i}` } : {}),
    ...(i % 3 ? { metadata: { g: i % 3, tags: ['x', `t${i % 5}`], nested: { n: i } } } : {}),
  }));
const text = (stream) => new Response(stream).text();

test('a JSON-lines export streams every record in pages, and imports back to the same records', async () => {
  const src = await open('src', { path: dir, dimensions: DIM, metric: 'euclidean', text: true });
  await src.insertMany(items(2500));
  await src.delete(['r7', 'r8']);
  const pages = [];
  const out = await text(src.exportRecords({ format: 'jsonl', chunk: 700, onProgress: (p) => pages.push(p) }));
  const lines = out.trim().split('\n').map(JSON.parse);
  assert.equal(lines.length, 2498);
  assert.deepEqual(pages.map((p) => p.exported), [700, 1400, 2100, 2498]);
  assert.ok(pages.every((p) => p.total === 2498));
  assert.deepEqual(lines[1], { id: 'r1', vector: rowVector(1).map((x) => Number(x.toPrecision(9))), text: 'record number 1', metadata: { g: 1, tags: ['x', 't1'], nested: { n: 1 } } });
  assert.deepEqual(lines[0], { id: 'r0', vector: rowVector(0).map((x) => Number(x.toPrecision(9))), text: null, metadata: null });

  const dst = await open('dst', { path: dir, dimensions: DIM, metric: 'euclidean', text: true });
  const progress = [];
  const r = await dst.importRecords(src.exportRecords({ chunk: 500 }), { chunk: 1000, onProgress: (p) => progress.push(p.imported) });
  assert.deepEqual(r, { imported: 2498, aborted: false });
  assert.deepEqual(progress, [1000, 2000, 2498]);
  for (const id of ['r0', 'r1', 'r2', 'r2499']) {
    const [a, b] = [await src.get(id), await dst.get(id)];
    assert.deepEqual(b, a, `${id} is the same record`);
  }
  assert.equal(await dst.get('r7'), null);
  assert.equal(await text(dst.exportRecords()), out, 'its export is the same, line for line');
  const q = Float32Array.from(rowVector(42));
  assert.deepEqual(await dst.search(q, { k: 5 }), await src.search(q, { k: 5 }));
  assert.deepEqual(await dst.search('number 41', { k: 3 }), await src.search('number 41', { k: 3 }));
  await src.close();
  await dst.destroy();
});

test('an aborted export ends its stream with ABORTED; an aborted import keeps what it wrote', async () => {
  const db = await open('abort', { path: dir, dimensions: DIM });
  await db.insertMany(items(3000).map(({ id, vector }) => ({ id, vector })));
  const controller = new AbortController();
  const stream = db.exportRecords({ chunk: 500, onProgress: (p) => p.exported >= 1000 && controller.abort(), signal: controller.signal });
  await assert.rejects(text(stream), (e) => e instanceof RuvectorError && e.code === 'ABORTED');
  const all = await text(db.exportRecords());
  const into = await open('abort-into', { path: dir, dimensions: DIM });
  const stop = new AbortController();
  const r = await into.importRecords(all, { chunk: 1000, signal: stop.signal, onProgress: (p) => p.imported >= 2000 && stop.abort() });
  assert.deepEqual(r, { imported: 2000, aborted: true });
  assert.equal(await into.count(), 2000);
  await db.destroy();
  await into.destroy();
});

test('columns map to the file\'s names; append refuses an existing id, upsert replaces it', async () => {
  const db = await open('mapped', { path: dir, dimensions: DIM, metric: 'euclidean', text: true });
  const rows = [0, 1, 2].map((i) => JSON.stringify({ doc_id: i, embedding: rowVector(i), body: `body ${i}`, meta: JSON.stringify({ i }) })).join('\n');
  const columns = { id: 'doc_id', vector: 'embedding', text: 'body', metadata: 'meta' };
  assert.deepEqual(await db.importRecords(rows, { columns }), { imported: 3, aborted: false });
  assert.deepEqual(await db.get('1'), { id: '1', vector: Float32Array.from(rowVector(1)), text: 'body 1', metadata: { i: 1 } });
  await assert.rejects(db.importRecords(rows, { columns }), (e) => e.code === 'DUPLICATE_ID' && /^row 1: id "0"/.test(e.message));
  const changed = JSON.stringify({ doc_id: 1, embedding: rowVector(9), body: 'changed', meta: null });
  assert.deepEqual(await db.importRecords(changed, { columns, mode: 'upsert' }), { imported: 1, aborted: false });
  const one = await db.get('1');
  assert.deepEqual([one.text, one.metadata, Array.from(one.vector)], ['changed', undefined, rowVector(9)]);
  // Rows without an id get one on append.
  await db.importRecords(JSON.stringify({ embedding: rowVector(5) }), { columns: { vector: 'embedding' } });
  assert.equal(await db.count(), 4);
  await db.destroy();
});

test('bad rows name their row and column, and nothing of their chunk is written', async () => {
  const db = await open('bad', { path: dir, dimensions: DIM });
  const good = (i) => JSON.stringify({ id: `g${i}`, vector: rowVector(i) });
  const cases = [
    [`${good(0)}\n{"id": "b", "vector": [1, 2]}`, 'DIMENSION_MISMATCH', /^row 2, column "vector": 2 values/],
    [`${good(0)}\n{"id": "b", "vector": [1, 2, 3, 4, 5, null]}`, 'NON_FINITE', /^row 2, column "vector"/],
    [`${good(0)}\n{"id": "b"}`, 'BAD_ARGUMENT', /^row 2, column "vector": no such column/],
    [`${good(0)}\n{"id": "b", "vector": ${JSON.stringify(rowVector(1))}, "metadata": [1]}`, 'INVALID_METADATA', /^row 2, column "metadata"/],
    [`${good(0)}\n{"id": "b", "vector": ${JSON.stringify(rowVector(1))}, "text": 5}`, 'BAD_ARGUMENT', /^row 2, column "text"/],
    [`${good(0)}\n{"id": "b", "vector": [1, 2, 3`, 'CORRUPT', /^row 2: not a JSON line/],
    [`${good(0)}\n${good(0)}`, 'DUPLICATE_ID', /^rows 1 and 2 both have id "g0"/],
    [good(0), 'BAD_ARGUMENT', /^row 1, column "doc": no such column/, { columns: { id: 'doc' } }],
    [good(0), 'BAD_ARGUMENT', /^format: expected 'jsonl'/, { format: 'csv' }],
    [good(0), 'BAD_ARGUMENT', /^mode: expected/, { mode: 'merge' }],
    [42, 'BAD_ARGUMENT', /^source: expected/],
  ];
  for (const [source, code, message, options] of cases) {
    await assert.rejects(db.importRecords(source, options), (e) => e instanceof RuvectorError && e.code === code && message.test(e.message), `${code}: ${message}`);
    assert.equal(await db.count(), 0, `${code}: nothing of the bad chunk was written`);
  }
  // With chunks of one row, the rows before the bad one stay.
  await assert.rejects(db.importRecords(`${good(1)}\n${good(2)}\n{"id": "b", "vector": [1]}`, { chunk: 1 }), (e) => e.code === 'DIMENSION_MISMATCH' && /^row 3/.test(e.message));
  assert.equal(await db.count(), 2);
  await db.destroy();
});

test('an Arrow IPC stream: a batch per page, scalar metadata keys as columns, a round trip, bad streams CORRUPT', async () => {
  const { tableFromIPC, tableToIPC, tableFromArrays } = await import('apache-arrow');
  const src = await open('arrow-src', { path: dir, dimensions: DIM, metric: 'euclidean', text: true });
  await src.insertMany(
    Array.from({ length: 1500 }, (_, i) => ({
      id: `a${i}`,
      vector: rowVector(i),
      ...(i % 2 ? { text: `arrow ${i}` } : {}),
      metadata: { g: i % 3, name: `n${i}`, even: i % 2 === 0, ...(i % 4 ? { sometimes: 1 } : {}), mixed: i % 2 ? 1 : 'one' },
    })),
  );
  const bytes = new Uint8Array(await new Response(src.exportRecords({ format: 'arrow', chunk: 400 })).arrayBuffer());
  const table = tableFromIPC(bytes);
  assert.equal(table.numRows, 1500);
  assert.equal(table.batches.length, 4, 'a record batch per page');
  const fields = Object.fromEntries(table.schema.fields.map((f) => [f.name, String(f.type)]));
  assert.deepEqual(fields, { id: 'Utf8', vector: `FixedSizeList[${DIM}]<Float32>`, text: 'Utf8', metadata: 'Utf8', g: 'Float64', name: 'Utf8', even: 'Bool' }, 'only keys of one scalar type in every record become columns');
  const r1 = table.get(1).toJSON();
  assert.deepEqual([r1.id, Array.from(r1.vector), r1.text, JSON.parse(r1.metadata), r1.g, r1.name, r1.even], ['a1', rowVector(1), 'arrow 1', { g: 1, name: 'n1', even: false, sometimes: 1, mixed: 1 }, 1, 'n1', false]);

  const dst = await open('arrow-dst', { path: dir, dimensions: DIM, metric: 'euclidean', text: true });
  assert.deepEqual(await dst.importRecords(bytes, { format: 'arrow', chunk: 500 }), { imported: 1500, aborted: false });
  for (const id of ['a0', 'a1', 'a1499']) assert.deepEqual(await dst.get(id), await src.get(id));
  assert.deepEqual(new Uint8Array(await new Response(dst.exportRecords({ format: 'arrow', chunk: 400 })).arrayBuffer()), bytes, 'exported again byte for byte');

  // Another tool's table, with its own column names: vectors of 3 values, not 6.
  const other = tableFromArrays({ doc: ['x', 'y'], emb: [Float32Array.from([1, 2, 3]), Float32Array.from([4, 5, 6])] });
  const bad = tableToIPC(other, 'stream');
  await assert.rejects(dst.importRecords(bad, { format: 'arrow', columns: { id: 'doc', vector: 'emb' } }), (e) => e.code === 'DIMENSION_MISMATCH' && /^row 1, column "emb": 3 values/.test(e.message));
  await assert.rejects(dst.importRecords(bytes.subarray(0, bytes.length >> 1), { format: 'arrow', mode: 'upsert' }), (e) => e.code === 'CORRUPT');
  await assert.rejects(dst.importRecords('{"id": 1}', { format: 'arrow' }), (e) => e.code === 'CORRUPT');
  assert.equal(await dst.count(), 1500, 'nothing of the bad chunks was written');
  await src.close();
  await dst.destroy();
});

test('a Parquet file: a row group per page, the Arrow columns, a round trip, a file cut short CORRUPT', async () => {
  const { readParquet, readSchema, ParquetFile } = await import('parquet-wasm');
  const { tableFromIPC } = await import('apache-arrow');
  const src = await open('parquet-src', { path: dir, dimensions: DIM, metric: 'euclidean', text: true });
  await src.insertMany(Array.from({ length: 1300 }, (_, i) => ({ id: `q${i}`, vector: rowVector(i), ...(i % 2 ? { text: `parquet ${i}` } : {}), metadata: { g: i % 3, label: `l${i % 4}` } })));
  const file = new Uint8Array(await new Response(src.exportRecords({ format: 'parquet', chunk: 500 })).arrayBuffer());
  assert.deepEqual(Array.from(file.subarray(0, 4)), [80, 65, 82, 49], 'PAR1');
  const meta = (await ParquetFile.fromFile(new Blob([file]))).metadata();
  assert.equal(meta.numRowGroups(), 3, 'a row group per page');
  const table = tableFromIPC(readParquet(file).intoIPCStream());
  assert.equal(table.numRows, 1300);
  assert.deepEqual(table.schema.fields.map((f) => f.name), ['id', 'vector', 'text', 'metadata', 'g', 'label']);
  assert.ok(readSchema(file));
  const r3 = table.get(3).toJSON();
  assert.deepEqual([r3.id, Array.from(r3.vector), r3.text, JSON.parse(r3.metadata), r3.g, r3.label], ['q3', rowVector(3), 'parquet 3', { g: 0, label: 'l3' }, 0, 'l3']);

  const dst = await open('parquet-dst', { path: dir, dimensions: DIM, metric: 'euclidean', text: true });
  assert.deepEqual(await dst.importRecords(file, { format: 'parquet' }), { imported: 1300, aborted: false });
  for (const id of ['q0', 'q3', 'q1299']) assert.deepEqual(await dst.get(id), await src.get(id));
  await assert.rejects(dst.importRecords(file.subarray(0, file.length - 100), { format: 'parquet', mode: 'upsert' }), (e) => e.code === 'CORRUPT');
  await assert.rejects(dst.importRecords('not parquet', { format: 'parquet' }), (e) => e.code === 'CORRUPT');
  // An empty database is a file with the schema and no rows.
  const none = await open('parquet-none', { path: dir, dimensions: DIM });
  const emptyFile = new Uint8Array(await new Response(none.exportRecords({ format: 'parquet' })).arrayBuffer());
  assert.equal(tableFromIPC(readParquet(emptyFile).intoIPCStream()).numRows, 0);
  assert.deepEqual(await dst.importRecords(emptyFile, { format: 'parquet' }), { imported: 0, aborted: false });
  await none.destroy();
  await src.close();
  await dst.destroy();
});
