// `npx ruvector-web`: list, info, import (an export file, or JSON lines with a progress bar),
// export and search on a Node database, and typed errors with exit code 1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm, writeFile, stat, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = new URL('../node/cli.js', import.meta.url).pathname;
const run = promisify(execFile);
let dir;
const cli = (...args) => run(process.execPath, [CLI, ...args, '--path', join(dir, 'data')]).catch((e) => e);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ruvector-cli-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('import JSON lines with progress, search, info, export and import the export', async () => {
  const n = 2500;
  const lines = Array.from({ length: n }, (_, i) => JSON.stringify({ id: `p${i}`, vector: [Math.cos(i), Math.sin(i), i / n], text: `package number ${i} ${i % 2 ? 'odd' : 'even'}`, metadata: { odd: i % 2 === 1 } }));
  const file = join(dir, 'packages.jsonl');
  await writeFile(file, lines.join('\n') + '\n');
  const imported = await cli('import', file, 'pkgs', '--text', '--metric', 'euclidean', '--chunk', '500');
  assert.equal(imported.code ?? 0, 0, imported.stderr);
  assert.match(imported.stderr, /imported 2500 records into pkgs/);
  assert.match(imported.stderr, /100%/, 'a progress bar ran to the end');
  const vector = await cli('search', 'pkgs', JSON.stringify([Math.cos(7), Math.sin(7), 7 / n]), '--k', '3');
  assert.equal(JSON.parse(vector.stdout.split('\n')[0]).id, 'p7');
  const text = await cli('search', 'pkgs', 'odd', '--k', '2', '--mode', 'text', '--filter', '{"odd": true}');
  const hits = text.stdout.trim().split('\n').map(JSON.parse);
  assert.equal(hits.length, 2);
  assert.ok(hits.every((h) => h.metadata.odd === true && /odd/.test(h.text)));
  const info = JSON.parse((await cli('info', 'pkgs')).stdout);
  assert.deepEqual([info.count, info.dimensions, info.metric], [2500, 3, 'euclidean']);
  const out = join(dir, 'pkgs.rvdb');
  assert.equal((await cli('export', 'pkgs', out)).code ?? 0, 0);
  assert.ok((await stat(out)).size > 0);
  const again = await cli('import', out, 'copy');
  assert.match(again.stderr, /imported 2500 records into copy/);
  assert.deepEqual((await cli('list')).stdout.trim().split('\n').sort(), ['copy', 'pkgs']);
  // Records as JSON lines out, and back in under other column names, upserting.
  const jsonl = join(dir, 'pkgs.jsonl');
  const exported = await cli('export', 'pkgs', jsonl, '--format', 'jsonl', '--chunk', '1000');
  assert.equal(exported.code ?? 0, 0, exported.stderr);
  const rows = (await readFile(jsonl, 'utf8')).trim().split('\n').map(JSON.parse);
  assert.equal(rows.length, 2500);
  assert.deepEqual(Object.keys(rows[0]), ['id', 'vector', 'text', 'metadata']);
  const renamed = join(dir, 'renamed.jsonl');
  await writeFile(renamed, rows.slice(0, 10).map((r) => JSON.stringify({ key: r.id, emb: r.vector, body: 'replaced' })).join('\n'));
  const up = await cli('import', renamed, 'pkgs', '--columns', '{"id":"key","vector":"emb","text":"body"}', '--mode', 'upsert');
  assert.equal(up.code ?? 0, 0, up.stderr);
  const replaced = (await cli('search', 'pkgs', 'replaced', '--mode', 'text', '--k', '20')).stdout.trim().split('\n');
  assert.equal(replaced.length, 10);
  // Parquet out, and into a new database (its dimension given: a Parquet file is read whole).
  const pq = join(dir, 'pkgs.parquet');
  assert.equal((await cli('export', 'pkgs', pq, '--format', 'parquet')).code ?? 0, 0);
  assert.equal((await readFile(pq)).subarray(0, 4).toString(), 'PAR1');
  const fromPq = await cli('import', pq, 'from-parquet', '--format', 'parquet', '--dimensions', '3', '--text');
  assert.match(fromPq.stderr, /imported 2500 records into from-parquet/, fromPq.stderr);
});

test('bad input: typed errors, exit code 1', async () => {
  const bad = join(dir, 'bad.jsonl');
  await writeFile(bad, '{"vector": [1, 2]}\nnot json\n');
  const r = await cli('import', bad, 'broken', '--chunk', '1');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /CORRUPT: row 2: not a JSON line/);
  assert.match((await cli('search', 'nope', '[1,2]')).stderr, /INVALID_CONFIG|NOT_FOUND/);
  assert.match((await cli('frobnicate')).stderr, /unknown command/);
  const dim = join(dir, 'dim.jsonl');
  await writeFile(dim, '{"vector": [1, 2]}\n{"vector": [1, 2, 3]}\n');
  assert.match((await cli('import', dim, 'dims')).stderr, /DIMENSION_MISMATCH/);
});
