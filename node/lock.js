// One process at a time per database directory: a `LOCK` file naming the holder's pid. Unlike
// browser tabs, which write together under Web Locks, Node processes do not share a database;
// a second process's open fails with `LOCKED`. A lock whose process is gone (killed, crashed)
// is taken over; one left by this process's earlier holder that ended without closing, too.

import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { dirName } from './files.js';

/** Locks this process holds, by file: shared by every copy of this module in the process. */
const held = (globalThis[Symbol.for('ruvector-web.locks')] ??= new Map());
let exitHook = false;

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

function fail(code, message) {
  return Object.assign(new Error(message), { name: 'RuvectorError', code });
}

/**
 * Takes the lock of database `name` in directory `root` (creating the database's directory);
 * returns the function that releases it. Throws `LOCKED` while another process, or another
 * open of this process that does not share this one's worker, holds it.
 */
export function acquire(root, name) {
  const dir = path.join(root, dirName(name));
  const file = path.join(dir, 'LOCK');
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw fail('STORAGE', `cannot create ${dir}: ${e.message}`);
  }
  const token = randomUUID();
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid} ${token}\n`, { flag: 'wx' });
      held.set(file, token);
      if (!exitHook) {
        exitHook = true;
        // Locks of a process that ends without closing go with it.
        process.once('exit', () => {
          for (const [f, t] of held) release(f, t);
        });
      }
      return () => release(file, token);
    } catch (e) {
      if (e.code !== 'EEXIST') throw fail('STORAGE', `cannot lock ${dir}: ${e.message}`);
    }
    const [pid, owner] = readLock(file);
    const ours = pid === process.pid;
    if (pid && (ours ? held.has(file) && held.get(file) === owner : alive(pid))) {
      const who = ours ? 'this process (another copy of ruvector-web)' : `process ${pid}`;
      throw fail('LOCKED', `database ${JSON.stringify(name)} in ${root} is open in ${who}; processes do not share a database: close it there first`);
    }
    // Its holder is gone: take it over.
    fs.rmSync(file, { force: true });
  }
  throw fail('LOCKED', `database ${JSON.stringify(name)} in ${root}: its lock keeps changing hands`);
}

function readLock(file) {
  try {
    const [pid, token] = fs.readFileSync(file, 'utf8').trim().split(' ');
    return [Number(pid) || 0, token];
  } catch {
    return [0, undefined];
  }
}

function release(file, token) {
  if (held.get(file) !== token) return;
  held.delete(file);
  // Only our own lock: the database may have been deleted, or taken over after a fault.
  if (readLock(file)[1] === token) fs.rmSync(file, { force: true });
}
