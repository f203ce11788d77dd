// The package as a user gets it: the types checked by tsc (with misuse that must not
// compile), the npm tarball used through a Vite build in Chromium, and data that survives
// a browser restart with the same profile.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { serve, ROOT } from './server.mjs';
import { launch, launchPersistent } from './browser.mjs';
import { installedPackage } from './harness.mjs';

const run = promisify(execFile);
let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

test('the entries\' types (web, element, Node, the LangChain and LlamaIndex stores) type-check correct use and reject misuse (tsc --noEmit)', async () => {
  const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
  for (const config of ['tsconfig.json', 'stores.tsconfig.json']) {
    const r = await run(tsc, ['-p', join(ROOT, 'playwright', 'types', config)]).catch((e) => e);
    assert.equal(r.code ?? 0, 0, `tsc -p ${config} failed:\n${r.stdout}${r.stderr}`);
  }
});

/**
 * The Vite app of `fixture` (playwright/fixtures/) built against the packed package (with
 * `peers` installed) and opened in Chromium: `check(work)` runs on the build first; resolves to
 * the page's `#out` once it is not 'loading'.
 */
async function viteApp(fixture, { peers = [], check = async () => {}, timeout = 30_000 } = {}) {
  const { work } = await installedPackage(`ruvector-${fixture}-`, peers);
  try {
    await cp(join(ROOT, 'playwright', 'fixtures', fixture), work, { recursive: true });
    const { build } = await import('vite');
    await build({ root: work, configFile: join(work, 'vite.config.mjs'), build: { outDir: join(work, 'dist'), emptyOutDir: true } });
    await check(work);
    const server = await serve(0, { root: join(work, 'dist') });
    const p = await browser.newPage();
    p.on('pageerror', (e) => console.log('page error:', e.message));
    await p.goto(`${server.url}/index.html`);
    await p.waitForFunction(() => document.getElementById('out').textContent !== 'loading', null, { timeout });
    const out = await p.textContent('#out');
    await p.close();
    await server.close();
    return out;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

test('the npm tarball works through a Vite build: facade, element and worker', async () => {
  const check = async (work) => {
    const assets = await readdir(join(work, 'dist', 'assets'));
    assert.ok(assets.some((f) => f.endsWith('.wasm')), `the wasm is emitted: ${assets.join(', ')}`);
    // The browser entry pulls in nothing of Node's.
    for (const f of assets.filter((f) => f.endsWith('.js'))) {
      const code = await readFile(join(work, 'dist', 'assets', f), 'utf8');
      assert.doesNotMatch(code, /["']node:|worker_threads|records\.log/, `${f} holds Node-only code`);
    }
  };
  assert.equal(await viteApp('vite-app', { check }), 'east up simd128');
});

test('the LangChain store works in a page, bundled by Vite from the tarball', async () => {
  // The optional peer, linked: its own dependencies resolve from this repository's node_modules.
  assert.equal(await viteApp('vite-langchain', { peers: ['@langchain'], timeout: 60_000 }), 'zebra apple apple simd128');
});

test('data survives a browser restart with the same profile (fixed origin)', async () => {
  const profile = await mkdtemp(join(tmpdir(), 'ruvector-profile-'));
  const port = 47000 + (process.pid % 1000);
  const server = await serve(port);
  const url = `${server.url}/playwright/fixtures/facade.html`;
  const session = async (fn, arg) => {
    const context = await launchPersistent(profile);
    const p = context.pages()[0] ?? (await context.newPage());
    await p.goto(url);
    await p.waitForFunction(() => window.rvReady === true);
    const r = await p.evaluate(fn, arg);
    await context.close();
    return r;
  };
  try {
    const written = await session(async () => {
      const db = await window.rv.open('restart', { dimensions: 4, metric: 'dotproduct' });
      await db.insertMany({ vectors: new Float32Array(400).map((_, i) => Math.cos(i)), ids: Array.from({ length: 100 }, (_, i) => `r${i}`) });
      await db.upsert('r7', { metadata: { kept: true } });
      const hits = await db.search([1, 0, 0, 0], { k: 3 });
      await db.close();
      return hits.map((h) => h.id);
    });
    const reread = await session(async () => {
      const db = await window.rv.open('restart');
      return {
        count: await db.count(),
        metric: db.metric,
        meta: (await db.get('r7')).metadata,
        hits: (await db.search([1, 0, 0, 0], { k: 3 })).map((h) => h.id),
      };
    });
    assert.deepEqual(reread, { count: 100, metric: 'dotproduct', meta: { kept: true }, hits: written });
  } finally {
    await server.close();
    await rm(profile, { recursive: true, force: true });
  }
});
