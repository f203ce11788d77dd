// Shared set-up of the browser suites: one server and one Chromium per test file, pages
// that log their errors, and unique database names.
import { before, after } from 'node:test';
import { serve } from './server.mjs';
import { launch } from './browser.mjs';

/**
 * Starts a server and a browser for this test file; fields are set once `before` ran.
 * `isolated` serves with COOP/COEP headers; `args` are extra Chromium flags.
 */
export function suite({ isolated = false, args = [] } = {}) {
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
  const p = await (context ?? env.browser).newPage();
  p.on('pageerror', (e) => console.log('page error:', e.message));
  await p.goto(`${env.server.url}${path}`);
  await p.waitForFunction(() => window.rvReady === true);
  return p;
}

/** A database name no other test uses. */
export const unique = (s) => `${s}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
