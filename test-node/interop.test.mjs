// An export file moves between the browser, Node and the native build unchanged. The browser
// suite (playwright/worker.test.mjs) ran a seeded op sequence and saved its exports and search
// results under target/parity/<build>/; the native test (crates/ruvector-core/tests/
// browser_parity.rs) replays it on redb and requires its export to equal the browser's byte for
// byte. Here Node replays it through its public API: its exports must equal the browser's byte
// for byte (so the native build reads them too), its searches must answer as the browser's did,
// and the browser's exports imported in Node must search and export the same. Under CI=true the
// browser's files must be there; elsewhere the test is skipped without them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, importDatabase } from '../node/index.js';

const PARITY = new URL('../target/parity/simd/', import.meta.url).pathname;
const have = existsSync(join(PARITY, 'ops.json'));
if (!have && process.env.CI === 'true') throw new Error(`CI: ${PARITY}ops.json is missing; the browser suite must run first`);

let dir;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ruvector-interop-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const bytes = async (db) => new Uint8Array(await (await db.export()).arrayBuffer());
const ids = (hits) => hits.map((h) => h.id);

async function searches(db, fixture) {
  const vector = [];
  for (const q of fixture.queries) vector.push(ids(await db.search(q, { k: 10 })));
  const text = [];
  for (const q of fixture.textQueries) text.push(ids(await db.search(q, { k: 10 })));
  return { vector, text };
}

test('Node replays the browser\'s op sequence: byte-identical exports, the same answers; browser exports import in Node', { skip: !have && 'no target/parity/simd (run the browser suite first)' }, async () => {
  const fixture = JSON.parse(await readFile(join(PARITY, 'ops.json'), 'utf8'));
  for (const d of fixture.databases) {
    const db = await open(`replay-${d.metric}-${d.index}`, { path: dir, dimensions: fixture.dim, metric: d.metric, index: d.index, text: true });
    for (const o of fixture.ops) {
      if (o.op === 'insert') await db.insert(o.items);
      if (o.op === 'upsert') await db.upsert(o.id, { vector: o.vector, metadata: o.metadata, text: o.text });
      if (o.op === 'delete') await db.delete(o.ids);
    }
    const browserFile = new Uint8Array(await readFile(join(PARITY, d.file)));
    const got = await searches(db, fixture);
    assert.deepEqual(got.vector, d.results.map(ids), `${d.metric}/${d.index}: vector searches answer as in the browser`);
    assert.deepEqual(got.text, d.textResults.map(ids), `${d.metric}/${d.index}: text searches answer as in the browser`);
    assert.deepEqual(await bytes(db), browserFile, `${d.metric}/${d.index}: Node's export is the browser's, byte for byte`);
    await db.destroy({ path: dir });

    // The browser's file, imported in Node.
    const imported = await importDatabase(`from-browser-${d.metric}-${d.index}`, browserFile, { path: dir });
    const again = await searches(imported, fixture);
    assert.deepEqual(again.vector, d.results.map(ids));
    assert.deepEqual(again.text, d.textResults.map(ids));
    assert.deepEqual(await bytes(imported), browserFile, 'exported again unchanged');
    await imported.close();
  }
});
