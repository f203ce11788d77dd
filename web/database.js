// ruvector-web's public API, the same in a page and in Node: `open()` resolves to a
// `Database`, whose engine (Rust compiled to WebAssembly) runs in a worker of its own and keeps
// its data in the platform's store (IndexedDB in a browser, files in Node). The two entries,
// web/index.js and node/index.js, each `configure` this module with their platform: how to
// start a worker, where a database lives, how to resolve a module URL. The worker protocol
// underneath is documented in docs/protocol.md.

/** Every failure, from the engine or this facade, with a stable `code` (docs/protocol.md). */
export class RuvectorError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'RuvectorError';
    this.code = code;
  }
}

import { hitLists } from './results.js';

const DEFAULT_CHUNK = 1000;
/** The worker protocol this facade speaks (docs/protocol.md). */
const PROTOCOL = 2;

const fail = (code, message) => new RuvectorError(code, message);
const toError = (e) => (e instanceof RuvectorError ? e : fail(e?.code ?? 'INTERNAL', e?.message ?? String(e)));

/**
 * What an entry provides (web/index.js, node/index.js):
 * - `startWorker(name, scope)`: a worker speaking the protocol, with `postMessage`,
 *   `terminate`, `onmessage`/`onerror`/`onmessageerror` and, in Node, `ref`/`unref` (a worker
 *   with nothing in flight does not keep the process alive); `name` is null for a utility
 *   worker; it may throw a `RuvectorError` (`LOCKED`).
 * - `scope(options)`: splits the platform's own options off (`path` in Node) as
 *   `{ scope, key, rest }`: `scope` those options resolved (an absolute `path`), `key(name)`
 *   what tells databases of one name in different places apart. A utility worker that
 *   deletes gets `scope.deleting`, the name it deletes.
 * - `base()`: the URL relative module URLs resolve against.
 * - `persist()`: asks the platform to keep the data (`navigator.storage.persist`), or null.
 * @type {{ startWorker: (name: string | null, scope: any) => any, scope: (options: any) => { scope: any, key: (name: string) => string, rest: any }, base: () => string | undefined, persist: () => Promise<boolean> | null }}
 */
let platform;

/** Sets the platform this module runs on; each entry calls it once, when it loads. */
export function configure(p) {
  platform = p;
}

// One worker per database per page (per directory and name in Node): two open()s of one name
// share it.
class Connection {
  /** Receives every event of the worker (set while a delete waits on it). @type {((m: any) => void) | undefined} */
  onEvent = undefined;

  constructor(name, scope, key = name) {
    this.name = name;
    this.key = key;
    /** The platform's options this database was opened with, resolved (`{ path }` in Node). */
    this.scope = scope;
    this.worker = platform.startWorker(name, scope);
    this.worker.unref?.();
    this.next = 1;
    this.pending = new Map();
    this.handles = new Set();
    this.opening = 0; // open requests in flight: they keep the worker too
    this.dead = null;
    this.worker.onmessage = (e) => this.#receive(e.data);
    this.worker.onerror = (e) => {
      e.preventDefault?.();
      this.#die(fail('TERMINATED', `the worker of database ${JSON.stringify(name)} failed: ${e.message ?? 'error'}`));
    };
    this.worker.onmessageerror = () => this.#die(fail('TERMINATED', 'a reply from the worker could not be read'));
  }

  #receive(m) {
    if (!m || typeof m !== 'object') return;
    if (m.event) {
      this.onEvent?.(m);
      for (const h of this.handles) h._event(m.event, m.detail);
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (this.pending.size === 0) this.worker.unref?.();
    if (m.ok) p.resolve(m.value);
    else p.reject(fail(m.error?.code ?? 'INTERNAL', m.error?.message ?? 'unknown error'));
  }

  #die(error) {
    if (this.dead) return;
    this.dead = error;
    this.worker.terminate();
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    if (connections.get(this.key) === this) connections.delete(this.key);
    for (const h of [...this.handles]) h._terminated(error);
  }

  /** Sends one request; `transfer` lists buffers to move instead of copying. */
  call(op, args, transfer = [], onId = null) {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.next++;
    onId?.(id);
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref?.();
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ v: PROTOCOL, id, op, args }, transfer);
    });
  }

  /** True when no handle and no open in flight uses the worker. */
  get unused() {
    return this.handles.size === 0 && this.opening === 0;
  }

  /** Ends the worker once its requests are answered; a request after that fails with CLOSED. */
  async shutdown() {
    if (connections.get(this.key) === this) connections.delete(this.key);
    try {
      await this.call('close', { name: this.name });
    } catch {
      // Closing a database that failed to open, or a worker that died: nothing to keep.
    }
    this.worker.terminate();
    this.dead ??= fail('CLOSED', `database ${JSON.stringify(this.name)} is closed`);
    for (const p of this.pending.values()) p.reject(this.dead);
    this.pending.clear();
  }
}

const connections = new Map(); // key -> Connection

function connection(name, scope, key) {
  let c = connections.get(key);
  if (!c) {
    c = new Connection(name, scope, key);
    connections.set(key, c);
  }
  return c;
}

// A worker for requests that belong to no open database (listing, deleting).
async function withUtilityWorker(scope, fn) {
  let c;
  try {
    c = new Connection(null, scope, '\u0000utility'); // not in `connections`: no name owns it
  } catch (e) {
    throw toError(e);
  }
  try {
    return await fn(c);
  } finally {
    c.worker.terminate();
  }
}

function checkName(name) {
  if (typeof name !== 'string' || name.length === 0) throw fail('BAD_ARGUMENT', 'name: expected a non-empty string');
}

/** True when `a` is all of an ArrayBuffer (not a view of part of one, nor shared memory). */
const whole = (a) => a.buffer instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength;

/**
 * `v` as a Float32Array that costs what it holds when posted: a view of part of a larger
 * buffer (a row of a batch) is copied, since posting a view clones its whole buffer.
 */
function vectorOf(v, what = 'vector', copyViews = true) {
  if (v instanceof Float32Array) return whole(v) || !copyViews ? v : v.slice();
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return Float32Array.from(v);
  throw fail('BAD_ARGUMENT', `${what}: expected a Float32Array or an array of numbers`);
}

/** How long one `embed` call may take unless `open` says otherwise. */
const EMBED_TIMEOUT_MS = 30_000;

// Splits off what the page handles (`persist`, an embedder object) and the platform's own
// options (`path` in Node); the worker checks the rest.
function openOptions(options) {
  if (options === null || typeof options !== 'object') throw fail('BAD_ARGUMENT', 'options: expected an object');
  const { scope, key, rest } = platform.scope(options);
  const { persist, ...engine } = rest;
  let embedder = null;
  const e = engine.embedder;
  if (typeof e === 'string' || e instanceof URL) {
    // A module the worker imports: absolute, so that it resolves as it does here.
    engine.embedder = new URL(String(e), platform.base()).href;
  } else if (e !== undefined && e !== null) {
    // An object { embed, dimensions, name? }, or a plain function (texts) => vectors.
    const fn = typeof e === 'function' ? e : e?.embed;
    if (typeof fn !== 'function') throw fail('BAD_ARGUMENT', 'options.embedder: expected a module URL, a function, or an object with embed(texts) and dimensions');
    // A function's own name is its code's, not a model's: it is recorded as 'page'.
    const name = typeof e !== 'function' && typeof e.name === 'string' && e.name ? e.name : 'page';
    const dimensions = typeof e === 'function' ? undefined : e.dimensions;
    embedder = { name, dimensions, embed: typeof e === 'function' ? e : fn.bind(e), timeoutMs: engine.embedTimeoutMs ?? EMBED_TIMEOUT_MS };
    // The worker records and checks its name and dimension.
    engine.embedder = { name, dimensions };
  }
  return { engine, persist: persist === true, embedder, scope, key };
}

// Sends an open-like request (`open`, `import`) on the name's worker and wraps the reply in
// a handle; the worker is kept while the request is in flight and ended if it failed.
async function attach({ name, scope, key }, op, args, transfer, persisted, embedder = null) {
  let c;
  try {
    c = connection(name, scope, key(name));
  } catch (e) {
    throw toError(e);
  }
  c.opening++;
  try {
    const stats = await c.call(op, { name, ...args }, transfer);
    return new Database(c, stats, persisted, embedder);
  } catch (e) {
    throw toError(e);
  } finally {
    c.opening--;
    if (c.unused) await c.shutdown();
  }
}

/**
 * Opens (creating when `dimensions` is given and it does not exist) the database `name`.
 * Resolves to a `Database` once the data is loaded from IndexedDB and searchable.
 */
export async function open(name, options = {}) {
  checkName(name);
  // `simd: false` travels with the open request: the worker then loads the scalar build.
  const { engine, persist, embedder, scope, key } = openOptions(options);
  // A plain function says no dimension: one call's answer does.
  if (embedder && embedder.dimensions === undefined) {
    let answer;
    try {
      answer = await embedder.embed(['dimension probe']);
    } catch (e) {
      throw fail('EMBEDDER_FAILED', `embedder: ${e?.message ?? e}`);
    }
    const d = answer?.[0]?.length;
    if (!(d > 0)) throw fail('EMBEDDER_FAILED', 'embedder: its answer to one text is not a vector');
    embedder.dimensions = d;
    engine.embedder.dimensions = d;
  }
  const persisted = persist ? await platform.persist() : null;
  return attach({ name, scope, key }, 'open', { options: engine }, [], persisted, embedder);
}

/** Imports an export file (a `Blob` or bytes) as the new database `name`. */
export async function importDatabase(name, file, options = {}) {
  checkName(name);
  const { engine, scope, key } = openOptions(options);
  const data = await bytesOf(file);
  return attach({ name, scope, key }, 'import', { data, options: engine }, [data.buffer], null);
}

/**
 * The names of this origin's databases (in Node, of the directory `options.path`).
 * @param {{ path?: string }} [options]
 */
export async function databases(options = {}) {
  const { scope } = scopeOf(options);
  return withUtilityWorker(scope, (c) => c.call('databases', {}));
}

/** The platform's options of `options` (`path`), checked; the rest must be empty. */
function scopeOf(options) {
  if (options === null || typeof options !== 'object') throw fail('BAD_ARGUMENT', 'options: expected an object');
  const { scope, key, rest } = platform.scope(options);
  const unknown = Object.keys(rest);
  if (unknown.length) throw fail('BAD_ARGUMENT', `options: unknown option ${JSON.stringify(unknown[0])}`);
  return { scope, key };
}

/**
 * Deletes the database `name` with all its data and resolves once it is gone. Handles open
 * in this page are closed first (they fire `terminated`); handles in other tabs are closed
 * by the request (they fire `blocked`). While some other connection stays open, the delete
 * waits for it and calls `blocked({ name })`: IndexedDB cannot withdraw a delete once asked.
 * In Node, a database open in another process is not deleted: `LOCKED`.
 * @param {string} name
 * @param {{ blocked?: (e: { name: string }) => void, path?: string }} [options]
 */
export async function deleteDatabase(name, options = {}) {
  checkName(name);
  const { blocked, ...rest } = options ?? {};
  if (blocked !== undefined && typeof blocked !== 'function') throw fail('BAD_ARGUMENT', 'blocked: expected a function');
  const { scope, key } = scopeOf(rest);
  const c = connections.get(key(name));
  if (c) {
    await c.shutdown();
    for (const h of [...c.handles]) h._terminated(fail('CLOSED', `database ${JSON.stringify(name)} was deleted`));
  }
  await withUtilityWorker({ ...scope, deleting: name }, (u) => {
    u.onEvent = (m) => {
      if (m.event === 'deleteblocked' && m.name === name) blocked?.({ name });
    };
    return u.call('deleteDatabase', { name });
  });
}

async function bytesOf(file) {
  if (file instanceof Blob) return new Uint8Array(await file.arrayBuffer());
  // A copy of its own, whose whole buffer may move to the worker: a Node Buffer's own slice()
  // is a view of a shared pool, never moved.
  if (file instanceof Uint8Array) return Uint8Array.prototype.slice.call(file);
  if (file instanceof ArrayBuffer) return new Uint8Array(file.slice(0));
  throw fail('BAD_ARGUMENT', 'file: expected a Blob, a Uint8Array or an ArrayBuffer');
}

/**
 * An open database. Every method returns a promise and rejects with a `RuvectorError`.
 * Events: `change` (an acknowledged write, here or in another tab: `detail.seq`, `detail.origin`
 * 'local' or 'remote'), `progress` (`insertMany`),
 * `blocked` (another tab is upgrading or deleting the database: this handle is closed),
 * `terminated` (the worker died or the database was deleted: this handle is closed).
 */
export class Database extends EventTarget {
  #c;
  #closed = null;
  /** The page's embedder (`open`'s `embedder` object), or null. */
  #embed = null;

  constructor(connection, stats, persisted, embedder = null) {
    super();
    this.#c = connection;
    this.#embed = embedder;
    /** The database name. */
    this.name = connection.name;
    /** Vector length. */
    this.dimensions = stats.dimensions;
    /** Distance metric. */
    this.metric = stats.metric;
    /** `true`/`false` when `persist` was asked (the browser's answer), else `null`. */
    this.persisted = persisted;
    connection.handles.add(this);
  }

  /** True once closed, deleted, or cut off (`blocked`, `terminated`). */
  get closed() {
    return this.#closed !== null;
  }

  /**
   * The vectors of `texts` by the page's embedder, back to back; null without one. Its checks
   * (web/embed.js) load with the first texts: a page without an embedder never fetches them.
   */
  async #embedded(texts) {
    if (!this.#embed) return null;
    try {
      return await (await import('./embed.js')).embedTexts(this.#embed, texts);
    } catch (e) {
      throw toError(e);
    }
  }

  /** `items` with the vectors of those that have a text and none, by the page's embedder. */
  async #withVectors(items) {
    const missing = [];
    items.forEach((it, i) => {
      if ((it?.vector === undefined || it?.vector === null) && typeof it?.text === 'string') missing.push(i);
    });
    const vectors = missing.length ? await this.#embedded(missing.map((i) => items[i].text)) : null;
    if (!vectors) return items;
    const dim = this.dimensions;
    const out = items.slice();
    missing.forEach((i, j) => {
      out[i] = { ...items[i], vector: vectors.slice(j * dim, (j + 1) * dim) };
    });
    return out;
  }

  #call(op, args = {}, transfer = [], onId = null) {
    if (this.#closed) return Promise.reject(this.#closed);
    return this.#c.call(op, { name: this.name, ...args }, transfer, onId).catch((e) => {
      throw toError(e);
    });
  }

  _event(event, detail) {
    if (event === 'versionchange') {
      this.#closed = fail('CLOSED', `database ${JSON.stringify(this.name)} was closed: another tab is upgrading or deleting it`);
      this.#release();
      this.dispatchEvent(new CustomEvent('blocked', { detail }));
      return;
    }
    this.dispatchEvent(new CustomEvent(event, { detail }));
  }

  _terminated(error) {
    if (this.#closed && this.#closed.code !== 'CLOSED') return;
    const first = this.#closed === null;
    this.#closed = error;
    this.#c.handles.delete(this);
    if (first) this.dispatchEvent(new CustomEvent('terminated', { detail: { code: error.code, message: error.message } }));
  }

  #release() {
    this.#c.handles.delete(this);
    if (this.#c.unused && connections.get(this.#c.key) === this.#c) return this.#c.shutdown();
    return Promise.resolve();
  }

  /** Inserts one item `{ id?, vector, text?, metadata? }` or an array of them (all or none); resolves to the ids. */
  async insert(items) {
    const list = await this.#withVectors(Array.isArray(items) ? items : [items]);
    // An item with a text and no vector goes as it is: the worker's embedder, or NO_EMBEDDER.
    const bare = (it) => (it?.vector === undefined || it?.vector === null) && typeof it?.text === 'string';
    const ids = await this.#call('insert', { items: list.map((it, i) => (bare(it) ? it : { ...it, vector: vectorOf(it?.vector, `items[${i}].vector`) })) });
    return Array.isArray(items) ? ids : ids[0];
  }

  /**
   * Inserts many vectors in atomic chunks (`chunk`, default 1,000): `{ vectors: Float32Array
   * (n·dimensions), ids?, metadata?, texts? }` or an array of items. `onProgress({ committed, total })`
   * runs after each acknowledged chunk; on `signal` abort, acknowledged chunks stay and the
   * result says how many. `transfer: true` moves `vectors`' buffer to the worker (detaching it)
   * instead of copying it, when `vectors` is the whole of its buffer; a view of part of a
   * buffer is copied, and nothing of the caller's is detached.
   * @param {any} input
   * @param {{ chunk?: number, onProgress?: (p: { committed: number, total: number }) => void, signal?: AbortSignal, transfer?: boolean }} [options]
   */
  async insertMany(input, { chunk = DEFAULT_CHUNK, onProgress, signal, transfer = false } = {}) {
    const packed = Array.isArray(input);
    // Items that are all texts without vectors go as texts, embedded a chunk at a time.
    const textsOnly = packed && input.length > 0 && input.every((it) => (it?.vector ?? null) === null && typeof it?.text === 'string');
    const items = packed && !textsOnly ? await this.#withVectors(input) : input;
    let { vectors, ids, metadata, texts } = textsOnly ? unpack(items) : packed ? pack(items, this.dimensions) : input ?? {};
    if (vectors === undefined && Array.isArray(texts) && this.#embed) {
      return this.#insertEmbedded({ ids, metadata, texts }, { chunk, onProgress, signal });
    }
    const bareTexts = vectors === undefined && Array.isArray(texts);
    if (!bareTexts && !(vectors instanceof Float32Array)) throw fail('BAD_ARGUMENT', 'vectors: expected a Float32Array of n·dimensions values');
    const total = bareTexts ? texts.length : vectors.length / this.dimensions;
    if (signal?.aborted) return { ids: [], committed: 0, total, aborted: true };
    // The caller's array is copied before its buffer moves (and so is a view of part of a
    // buffer, which cannot move alone); one packed here is ours already.
    if (!bareTexts && !packed && (!transfer || !whole(vectors))) vectors = vectors.slice();
    let requestId = null;
    const onAbort = () => requestId !== null && this.#c.call('abort', { requestId }).catch(() => {});
    const onEvent = (e) => {
      if (e.detail?.requestId === requestId) onProgress?.({ committed: e.detail.committed, total: e.detail.total });
    };
    signal?.addEventListener('abort', onAbort);
    this.addEventListener('progress', onEvent);
    try {
      const moved = bareTexts ? [] : [vectors.buffer];
      return await this.#call('insertMany', { vectors, ids, metadata, texts, chunk }, moved, (id) => {
        requestId = id;
      });
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.removeEventListener('progress', onEvent);
    }
  }

  /**
   * `insertMany` of texts by the page's embedder: each chunk embedded, then inserted, so that
   * progress and an abort work as they do for vectors (acknowledged chunks stay).
   */
  async #insertEmbedded({ ids, metadata, texts }, { chunk, onProgress, signal }) {
    const total = texts.length;
    const out = { ids: [], committed: 0, total, aborted: false };
    for (let s = 0; s < total; s += chunk) {
      if (signal?.aborted) {
        out.aborted = true;
        break;
      }
      const part = (a) => a?.slice(s, s + chunk);
      const vectors = await this.#embedded(part(texts));
      const r = await this.#call('insertMany', { vectors, ids: part(ids), metadata: part(metadata), texts: part(texts), chunk }, [vectors.buffer]);
      out.ids.push(...r.ids);
      out.committed += r.committed;
      onProgress?.({ committed: out.committed, total });
    }
    return out;
  }

  /**
   * Inserts or replaces `id`: a new `vector`, new `metadata` or `text` (`null` clears either),
   * any of them. Resolves to `'inserted'` or `'updated'`.
   * @param {string} id
   * @param {{ vector?: Float32Array | number[], metadata?: object | null, text?: string | null }} [change]
   */
  async upsert(id, { vector, metadata, text } = {}) {
    // With an embedder, a new text brings its vector.
    if (vector === undefined && typeof text === 'string') vector = (await this.#embedded([text])) ?? undefined;
    return this.#call('upsert', { id, vector: vector === undefined ? undefined : vectorOf(vector), metadata, text });
  }

  /** The stored `{ id, vector, metadata? }` of `id`, or `null`. */
  async get(id) {
    return this.#call('get', { id });
  }

  /**
   * Deletes one id or several (all or none; `NOT_FOUND` names an unknown one), or, given
   * `{ filter }`, every record whose metadata the filter accepts, atomically, resolving to how
   * many that was.
   */
  async delete(ids) {
    if (ids && typeof ids === 'object' && !Array.isArray(ids)) {
      if (ids.filter === null || typeof ids.filter !== 'object') throw fail('BAD_ARGUMENT', 'delete: expected an id, an array of ids or { filter }');
      return this.#call('delete', { filter: ids.filter });
    }
    return this.#call('delete', { ids });
  }

  /**
   * The best `k` (default 10) for `query` as `[{ id, score, distance?, scores, metadata?,
   * vector?, text? }]`, best first. `query` is a vector (nearest neighbours), a string (BM25
   * text search) or `{ vector, text }` (hybrid: both rankings fused). Options: `k`, `ef`,
   * `filter` (docs/engine.md), `mode` ('vector' | 'text' | 'hybrid'), `fusion`,
   * `includeMetadata`, `includeVectors`, `includeText`.
   */
  async search(query, options = {}) {
    let q = /** @type {any} */ (queryOf(query));
    // With the page's embedder, a text alone brings its vector (hybrid), unless the mode is text.
    const text = typeof q === 'string' ? q : q?.vector === undefined ? q?.text : undefined;
    if (this.#embed && typeof text === 'string' && options?.mode !== 'text') {
      q = { vector: await this.#embedded([text]), text };
    }
    return hitLists(await this.#call('search', { query: q, options }))[0];
  }

  /**
   * The best `k` of each query, in one round trip: `queries` is a Float32Array of
   * n·dimensions values, an array of vectors, an array of strings (text searches) or
   * `{ vectors?, texts? }` (hybrid when both); resolves to one array of hits per query, as
   * `search` gives, under the same options. At most 10,000 queries and 1,000,000 hits (n·k).
   */
  async searchMany(queries, options = {}) {
    let vectors;
    let texts;
    const allStrings = Array.isArray(queries) && queries.length > 0 && queries.every((q) => typeof q === 'string');
    if (queries instanceof Float32Array) vectors = queries.slice();
    else if (allStrings) texts = queries;
    else if (Array.isArray(queries)) vectors = pack(queries.map((vector) => ({ vector })), this.dimensions, 'queries').vectors;
    else if (queries && typeof queries === 'object') {
      texts = queries.texts;
      if (queries.vectors !== undefined) vectors = vectorOf(queries.vectors, 'queries.vectors').slice();
    } else throw fail('BAD_ARGUMENT', 'queries: expected a Float32Array of n·dimensions values, an array of vectors or strings, or { vectors, texts }');
    if (vectors === undefined && Array.isArray(texts) && options?.mode !== 'text') {
      vectors = (await this.#embedded(texts)) ?? undefined;
    }
    return hitLists(await this.#call('searchMany', { vectors, texts, options }, vectors ? [vectors.buffer] : []));
  }

  /**
   * Retrains the int8 ranges (`quantization: 'int8' | 'binary'`) on the vectors there are now
   * and re-encodes them all, durably; the graph is kept.
   */
  async retrain() {
    await this.#call('retrain');
  }

  /**
   * Gives back the space of deleted and replaced vectors: the live records move to fresh
   * slots, a slice at a time (searches and writes go on), and replace the database in one
   * transaction. Resolves to `{ slotsBefore, slotsAfter, ms }`.
   */
  async compact() {
    return this.#call('compact');
  }

  /** Live vectors. */
  async count() {
    return this.#call('count');
  }

  /** Sizes, kernel (`simd128` or scalar), memory, storage and persistence counters. */
  async stats() {
    return this.#call('stats');
  }

  /** Every record in a format other engines read, streamed a page at a time (web/records.js). @returns {ReadableStream<Uint8Array>} */
  exportRecords(options) {
    const io = this.#records();
    let bytes; // web/records.js's async iterator of encoded chunks
    return new ReadableStream({
      pull: async (controller) => {
        bytes ??= (await import('./records.js')).exportRecords(io, options);
        const { done, value } = await bytes.next();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel: () => bytes?.return(),
    }, { highWaterMark: 0 });
  }

  /** Adds the records of a file in such a format, a checked chunk at a time (web/records.js). */
  async importRecords(source, options) {
    return (await import('./records.js')).importRecords(this.#records(), source, options);
  }

  /** What web/records.js needs of this database. */
  #records() {
    return { call: (op, args) => this.#call(op, args), dimensions: this.dimensions, fail, toError };
  }

  /** The whole database as an export file (docs/format.md). */
  async export() {
    const bytes = await this.#call('export');
    return new Blob([bytes], { type: 'application/octet-stream' });
  }

  /**
   * Replaces this database's contents with an export file's, in one transaction: a damaged
   * file (`CORRUPT`) or a failed write changes nothing.
   */
  async import(file) {
    const data = await bytesOf(file);
    const stats = await this.#call('import', { data, options: { replace: true } }, [data.buffer]);
    this.dimensions = stats.dimensions;
    this.metric = stats.metric;
    return stats;
  }

  /**
   * Closes this handle; the worker ends with the last handle of its name. Pending writes finish
   * first, and the last close folds the log into pages and writes the page cache when the next
   * open would otherwise have to replay the log from IndexedDB.
   */
  async close() {
    if (this.#closed) return;
    this.#closed = fail('CLOSED', `database ${JSON.stringify(this.name)} is closed`);
    await this.#release();
  }

  /** Deletes this database with all its data, closing every handle to it in this page (see `deleteDatabase`). */
  async destroy(options) {
    await deleteDatabase(this.name, { ...options, ...this.#c.scope });
  }
}

/** A search query as the worker takes it: a vector, a string, or `{ vector?, text? }`. */
function queryOf(q) {
  if (typeof q === 'string') return q;
  if (q && typeof q === 'object' && !Array.isArray(q) && !ArrayBuffer.isView(q)) {
    const { vector, text } = q;
    return { vector: vector === undefined || vector === null ? undefined : vectorOf(vector, 'query.vector'), text };
  }
  return vectorOf(q, 'query');
}

/** Items that all have a text and no vector, as `insertMany`'s packed fields without vectors. */
function unpack(items) {
  const has = (k) => items.some((it) => it[k] !== undefined);
  return {
    vectors: undefined,
    texts: items.map((it) => it.text),
    ids: has('id') ? items.map((it) => it.id) : undefined,
    metadata: has('metadata') ? items.map((it) => it.metadata ?? null) : undefined,
  };
}

function pack(items, dim, what = 'items') {
  const vectors = new Float32Array(items.length * dim);
  const ids = [];
  const metadata = [];
  const texts = [];
  let anyId = false;
  let anyMeta = false;
  let anyText = false;
  items.forEach((it, i) => {
    const at = what === 'items' ? `items[${i}].vector` : `${what}[${i}]`;
    const v = vectorOf(it?.vector, at, false); // copied into `vectors` just below
    if (v.length !== dim) throw fail('DIMENSION_MISMATCH', `${at} has ${v.length} values; the database has ${dim} dimensions`);
    vectors.set(v, i * dim);
    ids.push(it.id);
    metadata.push(it.metadata ?? null);
    texts.push(it.text ?? null);
    anyId ||= it.id !== undefined;
    anyMeta ||= it.metadata !== undefined;
    anyText ||= it.text !== undefined;
  });
  return { vectors, ids: anyId ? ids : undefined, metadata: anyMeta ? metadata : undefined, texts: anyText ? texts : undefined };
}
