// The Node half of `make test-interop-python` (scripts/qdrant_interop.py is the Python half):
//   node scripts/qdrant-interop.mjs prepare <dir>  3,000 of the demo's committed vectors into a flat
//                                                  index; its JSON-lines export, 100 queries and
//                                                  the index's exact top 11 of each into <dir>
//   node scripts/qdrant-interop.mjs check <dir>    Qdrant's own points (written back by the Python
//                                                  half as JSON lines) imported: the same records
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { open } from '../node/index.js';

const ROOT = new URL('..', import.meta.url).pathname;
const [mode, dir] = process.argv.slice(2);
const N = 3000;
const Q = 100;

async function prepare() {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const meta = JSON.parse(await readFile(join(ROOT, 'demo', 'data', 'packages.json'), 'utf8'));
  const buf = await readFile(join(ROOT, 'demo', 'data', 'vectors.f32'));
  const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const dim = meta.dim;
  const db = await open('slice', { path: join(dir, 'db'), dimensions: dim, metric: 'euclidean', index: 'flat', text: true });
  await db.insertMany(meta.rows.slice(0, N).map(([id, text, section], i) => ({ id, vector: all.slice(i * dim, (i + 1) * dim), text, metadata: { section, n: i } })));
  await writeFile(join(dir, 'records.jsonl'), await new Response(db.exportRecords({ format: 'jsonl' })).text());
  const queries = [];
  for (let q = 0; q < Q; q++) {
    const vector = all.slice((N + q) * dim, (N + q + 1) * dim);
    const top = (await db.search(vector, { k: 11 })).map((h) => ({ id: h.id, distance: h.distance }));
    queries.push({ vector: Array.from(vector), top });
  }
  await writeFile(join(dir, 'queries.json'), JSON.stringify(queries));
  await db.close();
  console.log(`qdrant-interop: wrote ${N} records and ${Q} queries to ${dir}`);
}

async function check() {
  const rows = (await readFile(join(dir, 'records.jsonl'), 'utf8')).trim().split('\n').map(JSON.parse);
  const back = await open('from-qdrant', { path: join(dir, 'db'), dimensions: rows[0].vector.length, metric: 'euclidean', text: true });
  await back.importRecords(await readFile(join(dir, 'from-qdrant.jsonl')));
  const fail = (why) => {
    console.error(`qdrant-interop: ${why}`);
    process.exitCode = 1;
  };
  if ((await back.count()) !== rows.length) fail(`${await back.count()} records came back, not ${rows.length}`);
  for (const r of rows) {
    const got = await back.get(r.id);
    const same = got && got.text === (r.text ?? undefined) && JSON.stringify(got.metadata ?? null) === JSON.stringify(r.metadata) && got.vector.every((x, i) => x === Math.fround(r.vector[i]));
    if (!same) {
      fail(`${r.id} came back different`);
      break;
    }
  }
  await back.destroy();
  if (!process.exitCode) console.log(`qdrant-interop: Qdrant's ${rows.length} points imported back as the same records`);
}

await (mode === 'prepare' ? prepare() : check());
