// The record host of a Node worker (crates/ruvector-wasm/src/engine/files.rs): the engine's
// records (the keys and values of docs/format.md) in a directory of files, with IndexedDB's
// promise: a write is stored whole or not at all, and once acknowledged it survives a crash.
//
// Each database is a directory under the root (its name escaped, see `dirName`) holding one
// file, `records.log`: an 8-byte magic, then one frame per write (docs/format.md, "Node
// directories"). A write appends a frame; `strict` flushes it (fdatasync) before it resolves.
// An open reads every frame and keeps, for each key, where its value is; a frame cut short by a
// crash (never acknowledged) is cut off. When dead bytes outgrow live ones, the live records are
// written to a new file that replaces the old one by rename.

import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

/** CRC-32 (IEEE): zlib's from Node 20.15 on, this table before it. */
const crc32 =
  zlib.crc32 ??
  ((table) => (buf) => {
    let c = ~0;
    for (const b of buf) c = table[(c ^ b) & 255] ^ (c >>> 8);
    return ~c >>> 0;
  })(Int32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c;
  }));

/** The first bytes of every records file. */
export const MAGIC = Buffer.from('RVRECS01');
/** The records file of a database directory. */
export const RECORDS = 'records.log';
/** Dead bytes a file may hold before it is rewritten, whatever its live bytes. */
const REWRITE_MIN = 8 << 20;
/** Bytes of records per frame of a rewritten file. */
const REWRITE_FRAME = 16 << 20;

/** An error the engine maps to its own code (`LOCKED`, `QUOTA_EXCEEDED`, `CORRUPT`, `STORAGE`). */
export function hostError(code, message) {
  return Object.assign(new Error(message), { code });
}

/** A file-system error as a host error: a full disk is `QUOTA_EXCEEDED`, the rest `STORAGE`. */
function fsError(e, what) {
  const full = e?.code === 'ENOSPC' || e?.code === 'EDQUOT';
  return hostError(full ? 'QUOTA_EXCEEDED' : 'STORAGE', `${what}: ${e?.message ?? e}`);
}

/**
 * The directory name of database `name`: letters, digits, `-` and `_` as they are, every other
 * UTF-8 byte as `%XX`, so that any name is one directory entry and none is `.` or `..`.
 */
export function dirName(name) {
  let out = '';
  for (const b of Buffer.from(name, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9_-]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The name a directory of `dirName` stands for. */
export function nameOf(dir) {
  return decodeURIComponent(dir);
}

/**
 * A test's simulated fault, from `RUVECTOR_TEST_FAULT`: `enospc:<bytes>` fails writes that would
 * take a records file past that size as a full disk would; `erofs` fails every write as a
 * read-only file system would.
 */
function fault(at, bytes) {
  const f = process.env.RUVECTOR_TEST_FAULT;
  if (!f) return null;
  if (f === 'erofs') return Object.assign(new Error('EROFS: read-only file system, write'), { code: 'EROFS' });
  const m = /^enospc:(\d+)$/.exec(f);
  if (m && at + bytes > Number(m[1])) return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  return null;
}

/** Databases by name in directory `root` (created on the first open). */
export class RecordHost {
  constructor(root) {
    this.root = root;
  }

  /** Opens database `name`, creating its directory and file. */
  open(name) {
    const dir = path.join(this.root, dirName(name));
    try {
      fs.mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw fsError(e, `cannot create ${dir}`);
    }
    return new FileDb(dir);
  }

  /** The names of the databases in the directory. */
  list() {
    let entries;
    try {
      entries = fs.readdirSync(this.root, { withFileTypes: true });
    } catch (e) {
      if (e.code === 'ENOENT') return [];
      throw fsError(e, `cannot list ${this.root}`);
    }
    return entries.filter((d) => d.isDirectory() && fs.existsSync(path.join(this.root, d.name, RECORDS))).map((d) => nameOf(d.name));
  }

  /** Deletes database `name` with its directory (nothing when there is none). */
  delete(name) {
    try {
      fs.rmSync(path.join(this.root, dirName(name)), { recursive: true, force: true });
    } catch (e) {
      throw fsError(e, `cannot delete database ${JSON.stringify(name)}`);
    }
  }
}

/** One database's records file: every key's value location in memory, the values on disk. */
export class FileDb {
  /** key -> [offset, length] of its value in the file. @type {Map<string, [number, number]>} */
  #where = new Map();
  /** The keys in order, or null until a read needs them again. @type {string[] | null} */
  #sorted = null;
  #live = 0; // bytes of the live values
  #end = 0; // where the next frame goes
  #queue = Promise.resolve();

  constructor(dir) {
    this.dir = dir;
    this.file = path.join(dir, RECORDS);
    try {
      this.fd = fs.openSync(this.file, fs.existsSync(this.file) ? 'r+' : 'w+');
    } catch (e) {
      throw fsError(e, `cannot open ${this.file}`);
    }
    try {
      this.#load();
    } catch (e) {
      fs.closeSync(this.fd);
      throw e.code === 'CORRUPT' || e.code === 'STORAGE' ? e : fsError(e, `cannot read ${this.file}`);
    }
  }

  /** Reads every frame; cuts off a frame a crash left unfinished. */
  #load() {
    const size = fs.fstatSync(this.fd).size;
    if (size < MAGIC.length) {
      // New, or a crash before its magic was flushed: nothing was ever acknowledged in it.
      fs.ftruncateSync(this.fd, 0);
      fs.writeSync(this.fd, MAGIC, 0, MAGIC.length, 0);
      fs.fdatasyncSync(this.fd);
      this.#end = MAGIC.length;
      return;
    }
    const magic = Buffer.alloc(MAGIC.length);
    fs.readSync(this.fd, magic, 0, magic.length, 0);
    if (!magic.equals(MAGIC)) throw hostError('CORRUPT', `${this.file} is not a ruvector-web records file`);
    const head = Buffer.alloc(8);
    let pos = MAGIC.length;
    while (pos < size) {
      const left = size - pos;
      if (left < 8) break;
      fs.readSync(this.fd, head, 0, 8, pos);
      const len = head.readUInt32LE(0);
      if (8 + len > left) break;
      const payload = Buffer.allocUnsafe(len);
      fs.readSync(this.fd, payload, 0, len, pos + 8);
      if (crc32(payload) !== head.readUInt32LE(4) || !this.#apply(payload, pos + 8)) {
        if (pos + 8 + len === size || this.#zeroFrom(pos + 8 + len, size)) break;
        throw hostError('CORRUPT', `${this.file}: the write stored at byte ${pos} is damaged (records after it are intact; restore from an export)`);
      }
      pos += 8 + len;
    }
    if (pos < size) {
      // A write torn by a crash: it was never acknowledged.
      fs.ftruncateSync(this.fd, pos);
      fs.fdatasyncSync(this.fd);
    }
    this.#end = pos;
  }

  /** True when the file holds only zero bytes from `from` to `to` (space a crash left). */
  #zeroFrom(from, to) {
    const b = Buffer.alloc(Math.min(to - from, 1 << 20));
    for (let at = from; at < to; at += b.length) {
      const n = fs.readSync(this.fd, b, 0, Math.min(b.length, to - at), at);
      for (let i = 0; i < n; i++) if (b[i] !== 0) return false;
    }
    return true;
  }

  /** Applies a frame's payload (at file offset `base`) to the index; false if it does not parse. */
  #apply(p, base) {
    let at = 0;
    const u32 = () => {
      if (at + 4 > p.length) throw new RangeError('short');
      const v = p.readUInt32LE(at);
      at += 4;
      return v;
    };
    const str = () => {
      const n = u32();
      if (at + n > p.length) throw new RangeError('short');
      const s = p.toString('utf8', at, at + n);
      at += n;
      return s;
    };
    try {
      if (p.length < 9) return false;
      const clear = p[at++] & 1;
      const changes = [];
      for (let n = u32(); n > 0; n--) changes.push([str(), null]);
      for (let n = u32(); n > 0; n--) {
        const key = str();
        const len = u32();
        if (at + len > p.length) return false;
        changes.push([key, [base + at, len]]);
        at += len;
      }
      if (at !== p.length) return false;
      if (clear) this.#clear();
      for (const [k, v] of changes) this.#set(k, v);
      return true;
    } catch {
      return false;
    }
  }

  #clear() {
    this.#where.clear();
    this.#live = 0;
    this.#sorted = null;
  }

  #set(key, where) {
    const old = this.#where.get(key);
    if (old) this.#live -= old[1];
    else if (where) this.#sorted = null;
    if (where) {
      this.#where.set(key, where);
      this.#live += where[1];
    } else if (old) {
      this.#where.delete(key);
      this.#sorted = null;
    }
  }

  #value(key) {
    const w = this.#where.get(key);
    if (!w) return undefined;
    const v = new Uint8Array(w[1]);
    fs.readSync(this.fd, v, 0, w[1], w[0]);
    return v;
  }

  /**
   * For each range, given flat as `from, to, toInclusive, values`: `[keys, values]`, the keys
   * in order, the values only if asked.
   */
  readRanges(flat) {
    this.#sorted ??= [...this.#where.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const all = this.#sorted;
    const ranges = [];
    for (let i = 0; i < flat.length; i += 4) ranges.push({ from: flat[i], to: flat[i + 1], toInclusive: flat[i + 2], values: flat[i + 3] });
    return ranges.map(({ from, to, toInclusive, values }) => {
      let lo = 0;
      let hi = all.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (all[mid] < from) lo = mid + 1;
        else hi = mid;
      }
      const keys = [];
      for (let i = lo; i < all.length && (all[i] < to || (toInclusive && all[i] === to)); i++) keys.push(all[i]);
      return [keys, values ? keys.map((k) => this.#value(k)) : []];
    });
  }

  /** The values under `keys`, `undefined` where there is none. */
  readKeys(keys) {
    return keys.map((k) => this.#value(k));
  }

  /** How many records there are. */
  count() {
    return this.#where.size;
  }

  /**
   * Appends one frame: every put and delete (after removing everything if `clear`), or none.
   * Resolves once written (and flushed to the disk when `strict`); writes run one at a time.
   */
  write(clear, deletes, keys, values, strict) {
    const run = this.#queue.then(() => this.#write(clear, deletes, keys, values, strict));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #write(clear, deletes, keys, values, strict) {
    const frame = encodeFrame(clear, deletes, keys, values);
    const at = this.#end;
    try {
      const injected = fault(at, frame.length);
      if (injected) throw injected;
      await writeAt(this.fd, frame, at);
      if (strict) await new Promise((ok, no) => fs.fdatasync(this.fd, (e) => (e ? no(e) : ok())));
    } catch (e) {
      // Nothing of it may stay: a later open would otherwise find it.
      try {
        fs.ftruncateSync(this.fd, at);
      } catch {
        // The next open cuts off a frame that is not whole, or finds this one whole and
        // unacknowledged: either way, no acknowledged write is lost.
      }
      throw fsError(e, `cannot write ${this.file}`);
    }
    this.#end = at + frame.length;
    this.#apply(frame.subarray(8), at + 8);
    if (this.#end - MAGIC.length - this.#live > Math.max(REWRITE_MIN, this.#live)) this.#rewrite();
    return strict ? 'strict' : 'relaxed';
  }

  /**
   * Writes the live records to a new file and renames it over this one: on a crash, either the
   * old file or the new one is there, whole. A failure leaves the old file in use.
   */
  #rewrite() {
    const tmp = `${this.file}.new`;
    let fd;
    try {
      fd = fs.openSync(tmp, 'w');
      fs.writeSync(fd, MAGIC, 0, MAGIC.length, 0);
      let at = MAGIC.length;
      let keys = [];
      let values = [];
      let bytes = 0;
      let first = true;
      const flush = () => {
        const f = encodeFrame(first, [], keys, values);
        fs.writeSync(fd, f, 0, f.length, at);
        at += f.length;
        first = false;
        keys = [];
        values = [];
        bytes = 0;
      };
      for (const k of this.#where.keys()) {
        const v = this.#value(k);
        keys.push(k);
        values.push(v);
        bytes += v.length;
        if (bytes >= REWRITE_FRAME) flush();
      }
      if (keys.length || first) flush();
      fs.fdatasyncSync(fd);
      fs.closeSync(fd);
      fd = undefined;
      fs.renameSync(tmp, this.file);
      syncDir(this.dir);
    } catch {
      if (fd !== undefined) fs.closeSync(fd);
      fs.rmSync(tmp, { force: true });
      return;
    }
    fs.closeSync(this.fd);
    this.fd = fs.openSync(this.file, 'r+');
    this.#clear();
    this.#load();
  }

  /** Closes the file once the writes in flight are done. */
  close() {
    const fd = this.fd;
    this.#queue.then(() => fs.closeSync(fd)).catch(() => {});
  }
}

/** Flushes a directory's entries (a rename in it) where the platform can. */
function syncDir(dir) {
  try {
    const d = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(d);
    } finally {
      fs.closeSync(d);
    }
  } catch {
    // Windows cannot open a directory: its renames are durable without it.
  }
}

/** Writes all of `buf` at `pos`. */
async function writeAt(fd, buf, pos) {
  let done = 0;
  while (done < buf.length) {
    done += await new Promise((ok, no) => fs.write(fd, buf, done, buf.length - done, pos + done, (e, n) => (e ? no(e) : ok(n))));
  }
}

/**
 * One frame: u32 payload length, u32 CRC-32 of the payload, then the payload: u8 flags (1:
 * clear), u32 count of deletes, each a u32-length-prefixed UTF-8 key, u32 count of puts, each
 * a key as before then a u32-length-prefixed value. Little-endian.
 */
export function encodeFrame(clear, deletes, keys, values) {
  const keyBytes = (k) => Buffer.byteLength(k, 'utf8');
  let len = 1 + 4 + 4;
  for (const k of deletes) len += 4 + keyBytes(k);
  keys.forEach((k, i) => {
    len += 8 + keyBytes(k) + values[i].length;
  });
  const f = Buffer.allocUnsafe(8 + len);
  let at = 8;
  f[at++] = clear ? 1 : 0;
  const key = (k) => {
    const n = f.write(k, at + 4, 'utf8');
    f.writeUInt32LE(n, at);
    at += 4 + n;
  };
  f.writeUInt32LE(deletes.length, at);
  at += 4;
  deletes.forEach(key);
  f.writeUInt32LE(keys.length, at);
  at += 4;
  keys.forEach((k, i) => {
    key(k);
    const v = values[i];
    f.writeUInt32LE(v.length, at);
    f.set(v, at + 4);
    at += 4 + v.length;
  });
  f.writeUInt32LE(len, 0);
  f.writeUInt32LE(crc32(f.subarray(8)), 4);
  return f;
}
