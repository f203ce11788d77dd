// Shared set-up of the browser suites: one server and one Chromium per test file, pages
// that log their errors, and unique database names. Under RUVECTOR_PLATFORM=node a suite runs
// in Node instead: `window.rv` is the Node entry (node/index.js), a "page" evaluates its
// functions in this process, and databases go to a fresh temporary directory; under
// RUVECTOR_PLATFORM=node-main every open asks for the engine in the calling thread.
import { before, after } from 'node:test';
import { mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, ROOT } from './server.mjs';
import { launch } from './browser.mjs';

/** True when the suites run against the Node entry rather than in Chromium. */
export const NODE = process.env.RUVECTOR_PLATFORM === 'node' || process.env.RUVECTOR_PLATFORM === 'node-main';
/** True when, in Node, they run with the engine in the calling thread (`thread: 'main'`). */
export const NODE_MAIN = process.env.RUVECTOR_PLATFORM === 'node-main';

function nodeSuite() {
  const env = { dir: null, cwd: process.cwd() };
  before(async () => {
    env.dir = await mkdtemp(join(tmpdir(), 'ruvector-node-suite-'));
    process.chdir(env.dir); // the default path, ./ruvector-data, lands in it
    const entry = await import('../node/index.js');
    const main = (o = {}) => ({ thread: 'main', ...o });
    globalThis.window = {
      rv: NODE_MAIN ? { ...entry, open: (n, o) => entry.open(n, main(o)), importDatabase: (n, f, o) => entry.importDatabase(n, f, main(o)) } : entry,
    };
    // Tests that watch what the facade posts patch Worker.prototype: Node's is worker_threads'.
    globalThis.Worker ??= (await import('node:worker_threads')).Worker;
  });
  after(async () => {
    process.chdir(env.cwd);
    await rm(env.dir, { recursive: true, force: true });
  });
  return env;
}

/** A stand-in for a page in Node: `evaluate(fn, arg)` runs `fn(arg)` here. */
function nodePage() {
  return {
    evaluate: async (fn, arg) => fn(arg),
    close: async () => {},
  };
}

/**
 * Starts a server and a browser for this test file; fields are set once `before` ran.
 * `isolated` serves with COOP/COEP headers; `args` are extra Chromium flags.
 */
export function suite({ isolated = false, args = [] } = {}) {
  if (NODE) return nodeSuite();
  const env = { server: null, browser: null };
  before(async () => {
    env.server = await serve(0, { isolated });
    env.browser = await launch(args);
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.close();
  });
  return env;
}

/** A page (in `context`, else a fresh context of its own) at `path`, once `window.rvReady`. */
export async function openPage(env, path, context = null) {
  if (NODE) return nodePage();
  const p = await (context ?? env.browser).newPage();
  p.on('pageerror', (e) => console.log('page error:', e.message));
  await p.goto(`${env.server.url}${path}`);
  await p.waitForFunction(() => window.rvReady === true);
  return p;
}

/** A database name no other test uses. */
export const unique = (s) => `${s}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;

/**
 * The package as `npm publish` would ship it: `npm pack`, unpacked as an installed dependency of
 * a new directory outside the repository (so nothing resolves to the sources by walking up),
 * with `peers` (names under node_modules, such as '@langchain') linked from this repository's
 * node_modules as the app would have installed them. Resolves to `{ work, pkg }`.
 */
export async function installedPackage(prefix, peers = []) {
  const run = promisify(execFile);
  const work = await mkdtemp(join(tmpdir(), prefix));
  const pkg = join(work, 'node_modules', 'ruvector-web');
  await mkdir(pkg, { recursive: true });
  await run('npm', ['pack', '--pack-destination', work], { cwd: ROOT });
  const tarball = (await readdir(work)).find((f) => f.endsWith('.tgz'));
  await run('tar', ['xzf', join(work, tarball), '-C', pkg, '--strip-components=1']);
  for (const peer of peers) await symlink(join(ROOT, 'node_modules', peer), join(work, 'node_modules', peer));
  return { work, pkg };
}
