// Crash loops (issue #7): a stream of writes is cut at a seeded random moment, by
// `worker.terminate()` or by SIGKILL of the whole Chromium process group (launched here
// with a remote-debugging port and attached with connectOverCDP). After each crash the
// database opens, holds every acknowledged write with its vector and metadata, and counts
// exactly those plus, at most, the whole batch that was in flight.
// RUVECTOR_CRASH_ITERATIONS sets the iterations of each loop (default 20; 8 under CI=true).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { serve } from './server.mjs';
import { ARGS, EXECUTABLE } from './browser.mjs';
import { suite, unique } from './harness.mjs';

const env = suite();
const SCALAR = process.env.RUVECTOR_BUILD === 'scalar';
const ITERATIONS = Number(process.env.RUVECTOR_CRASH_ITERATIONS ?? (process.env.CI === 'true' ? 8 : 20));
const SEED = Number(process.env.RUVECTOR_SEED ?? 20261124);
const FIXTURE = `/playwright/fixtures/worker.html${SCALAR ? '?simd=0' : ''}`;

function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

// Loads the writer module into a worker-fixture page.
async function prepare(p) {
  await p.waitForFunction(() => window.rvReady === true);
  await p.evaluate(async () => {
    window.cw = await import('/playwright/fixtures/crash-writer.js');
  });
}

// Opens `name` and checks it against what was acknowledged (and the batches after the
// last acknowledged one, `tail`); returns the ids now known durable.
async function reopenAndCheck(p, name, acked, tail, label) {
  const opened = await p.evaluate(([name]) => window.rvCall('open', { name, options: window.cw.OPTIONS }), [name]);
  assert.equal(opened.ok, true, `${label}: the database opens: ${JSON.stringify(opened.error)}`);
  const r = await p.evaluate(([name, acked, tail]) => window.cw.check(window.rvCall, name, acked, tail), [name, acked, tail]);
  assert.deepEqual(r.problems, [], `${label}: ${r.problems.slice(0, 5).join('; ')}`);
  return acked.concat(r.durable);
}

// The ids of batches 0..k-1 of a stream.
const idsUpTo = (p, prefix, seed, k) =>
  p.evaluate(([prefix, seed, k]) => Array.from({ length: k }, (_, i) => window.cw.batchIds(prefix, seed, i)).flat(), [prefix, seed, k]);

test(`crash loop: worker.terminate() or closing the page at a random moment during writes (${ITERATIONS} iterations)`, async () => {
  const context = await env.browser.newContext();
  const open = async () => {
    const p = await context.newPage();
    p.on('pageerror', (e) => console.log('page error:', e.message));
    await p.goto(`${env.server.url}${FIXTURE}`);
    await prepare(p);
    return p;
  };
  let p = await open();
  const name = unique('terminate');
  const rand = rng(SEED);
  let acked = [];
  let tail = null;
  for (let i = 0; i < ITERATIONS; i++) {
    acked = await reopenAndCheck(p, name, acked, tail, `terminate ${i}`);
    const delay = 20 + Math.floor(rand() * 400);
    const seed = Math.floor(rand() * 2 ** 31);
    // Even iterations terminate the worker; odd ones close the whole page.
    const closePage = i % 2 === 1;
    const done = await p.evaluate(([name, i, seed, delay, closePage]) => new Promise((resolve) => {
      window.done = 0;
      window.cw.stream(window.rvCall, name, `t${i}`, seed, (k) => (window.done = k + 1)).catch(() => {});
      setTimeout(() => {
        if (!closePage) window.rvRestart();
        resolve(window.done);
      }, delay);
    }), [name, i, seed, delay, closePage]);
    if (closePage) {
      await p.close();
      p = await open();
    }
    acked = acked.concat(await idsUpTo(p, `t${i}`, seed, done));
    tail = { prefix: `t${i}`, seed, from: done };
  }
  acked = await reopenAndCheck(p, name, acked, tail, 'terminate final');
  console.log(`# crash loop (terminate / page close): ${ITERATIONS} iterations, ${acked.length} acknowledged writes, 0 lost (seed ${SEED})`);
  await p.evaluate((name) => window.rvCall('deleteDatabase', { name }), name);
  await context.close();
});

// Starts Chromium on `profile` with a debugging port, in its own process group.
async function launchKillable(profile) {
  const child = spawn(EXECUTABLE, [...ARGS, `--user-data-dir=${profile}`, '--remote-debugging-port=0', 'about:blank'], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const ws = await new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no DevTools endpoint: ${err}`)), 30_000);
    child.stderr.on('data', (d) => {
      err += d;
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`chromium exited (${code}): ${err}`)));
  });
  const browser = await chromium.connectOverCDP(ws);
  const kill = async () => {
    const gone = new Promise((resolve) => child.once('exit', resolve));
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await gone;
    // Let the kernel reap the group's other processes before the profile is reused.
    await new Promise((r) => setTimeout(r, 200));
  };
  return { browser, kill };
}

test(`crash loop: SIGKILL of the Chromium process group at a random moment during writes (${ITERATIONS} iterations)`, async () => {
  const profile = await mkdtemp(join(tmpdir(), 'ruvector-kill-'));
  const server = await serve(49000 + (process.pid % 1000)); // a fixed origin across launches
  const name = unique('sigkill');
  const rand = rng(SEED ^ 0x5eed);
  let acked = [];
  let tail = null;
  try {
    for (let i = 0; i <= ITERATIONS; i++) {
      const { browser, kill } = await launchKillable(profile);
      const p = await browser.contexts()[0].newPage();
      await p.goto(`${server.url}${FIXTURE}`);
      await prepare(p);
      acked = await reopenAndCheck(p, name, acked, tail, `sigkill ${i}`);
      if (i === ITERATIONS) {
        await browser.close();
        await kill();
        break;
      }
      // Acknowledgements reach this process as console messages; one lost in the kill
      // leaves its batch in the tail, which the next check accepts only whole and in order.
      let done = 0;
      p.on('console', (m) => {
        const t = m.text();
        if (t.startsWith('ACK ')) done = Math.max(done, Number(t.slice(4)) + 1);
      });
      const seed = Math.floor(rand() * 2 ** 31);
      await p.evaluate(([name, i, seed]) => {
        window.cw.stream(window.rvCall, name, `k${i}`, seed, (k) => console.log(`ACK ${k}`)).catch(() => {});
      }, [name, i, seed]);
      await new Promise((r) => setTimeout(r, 100 + Math.floor(rand() * 900)));
      const seen = done;
      await kill();
      const helper = await env.browser.newPage();
      await helper.goto(`${env.server.url}${FIXTURE}`);
      await prepare(helper);
      acked = acked.concat(await idsUpTo(helper, `k${i}`, seed, seen));
      await helper.close();
      tail = { prefix: `k${i}`, seed, from: seen };
    }
  } finally {
    await server.close();
    await rm(profile, { recursive: true, force: true });
  }
  console.log(`# crash loop (SIGKILL): ${ITERATIONS} iterations, ${acked.length} acknowledged writes, 0 lost (seed ${SEED})`);
});
