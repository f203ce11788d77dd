// The package as a Node user installs it: `npm pack`, unpacked as a dependency of a script
// outside the repository. The script opens a database through the Node entry and the LangChain
// store; the module graphs of both entries are walked: the Node entry never reaches the
// browser-only files, and the browser entry (with its worker and element) never a `node:` module.
// (The Vite build of the same tarball is in playwright/package.test.mjs.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { installedPackage } from '../playwright/harness.mjs';

const run = promisify(execFile);
let work;
let pkg;

before(async () => {
  // The optional peer, as the app would have installed it.
  ({ work, pkg } = await installedPackage('ruvector-node-app-', ['@langchain']));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('a Node script uses the packed package: open, search, the LangChain store', async () => {
  await writeFile(join(work, 'package.json'), JSON.stringify({ type: 'module', dependencies: { 'ruvector-web': '*' } }));
  await writeFile(
    join(work, 'app.mjs'),
    `import { open } from 'ruvector-web';
import { RuvectorStore } from 'ruvector-web/langchain';
import { Document } from '@langchain/core/documents';
const db = await open('app', { dimensions: 3, text: true });
await db.insert([{ id: 'north', vector: [0, 1, 0], text: 'up north' }, { id: 'east', vector: [1, 0, 0], text: 'out east' }]);
const [best] = await db.search([0.9, 0.1, 0], { k: 1 });
const store = new RuvectorStore(null, { db, searchMode: 'text' });
const [doc] = await store.similaritySearch('north', 1);
console.log(best.id, doc instanceof Document ? doc.id : 'not a Document', (await db.stats()).kernel);
await db.close();
`,
  );
  const r = await run(process.execPath, ['app.mjs'], { cwd: work });
  assert.equal(r.stdout.trim(), 'east north simd128');
  assert.ok(existsSync(join(work, 'ruvector-data', 'app', 'records.log')), 'the data is in ./ruvector-data');
});

/** Every file reached from `entry` by static and literal dynamic imports, with the bare specifiers met. */
async function graph(entry) {
  const files = new Set();
  const bare = new Set();
  const exportsOf = JSON.parse(await readFile(join(pkg, 'package.json'), 'utf8')).exports;
  const visit = async (file) => {
    if (files.has(file)) return;
    files.add(file);
    const code = await readFile(file, 'utf8');
    for (const m of code.matchAll(/(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|new URL\(\s*['"]([^'"]+\.js)['"]\s*,\s*import\.meta\.url/g)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (spec.startsWith('.')) await visit(resolve(dirname(file), spec));
      else if (spec === 'ruvector-web' || spec.startsWith('ruvector-web/')) {
        const e = exportsOf[spec === 'ruvector-web' ? '.' : `./${spec.slice('ruvector-web/'.length)}`];
        // The condition this graph is for: the Node graph takes `node`, the browser's `default`.
        const target = entry.includes('/node/') ? e.node?.default ?? e.default : e.default ?? e;
        await visit(join(pkg, target));
      } else bare.add(spec);
    }
  };
  await visit(join(pkg, entry));
  return { files: [...files].map((f) => f.slice(pkg.length + 1)), bare: [...bare] };
}

test('the Node entry never reaches browser-only files; the browser entry never a node: module', async () => {
  for (const entry of ['node/index.js', 'node/worker.js', 'node/cli.js']) {
    const g = await graph(entry);
    const browserOnly = g.files.filter((f) => ['web/index.js', 'web/element.js', 'web/compat.js', 'worker/worker.js'].includes(f));
    assert.deepEqual(browserOnly, [], `${entry} reaches ${browserOnly}`);
  }
  for (const entry of ['web/index.js', 'worker/worker.js', 'web/element.js', 'web/compat.js', 'stores/langchain.js', 'stores/llamaindex.js']) {
    const g = await graph(entry);
    assert.deepEqual(g.bare.filter((s) => s.startsWith('node:')), [], `${entry} imports Node modules`);
    assert.deepEqual(g.files.filter((f) => f.startsWith('node/')), [], `${entry} reaches the Node entry's files`);
  }
  // And the graphs were walked for real: the browser entry reaches the facade and the worker.
  const web = await graph('web/index.js');
  assert.ok(web.files.includes('web/database.js') && web.files.includes('worker/worker.js') && web.files.includes('worker/serve.js'), web.files.join(', '));
  const node = await graph('node/index.js');
  assert.ok(node.files.includes('web/database.js') && node.files.includes('node/worker.js') && node.files.includes('node/files.js'), node.files.join(', '));
});
