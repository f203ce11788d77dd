// Launches Debian's Chromium through playwright-core (no browser download), as root-safe
// headless with the quiet-network flags this machine needs.
import { chromium } from 'playwright-core';

export const ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const EXECUTABLE = process.env.CHROMIUM || '/usr/bin/chromium';

/** Headless Chromium with ARGS and `extra` flags. */
export function launch(extra = []) {
  return chromium.launch({ executablePath: EXECUTABLE, args: [...ARGS, ...extra] });
}

/** Headless Chromium with its profile in `dir` (IndexedDB on disk), ARGS and `extra` flags. */
export function launchPersistent(dir, extra = []) {
  return chromium.launchPersistentContext(dir, { executablePath: EXECUTABLE, args: [...ARGS, ...extra] });
}
