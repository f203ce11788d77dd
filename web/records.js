// Records in and out in other engines' formats (docs/outgrowing.md): the part of
// `exportRecords` and `importRecords` that is not the facade's plumbing. Loaded only when one of
// them is called; each format's module (web/formats/) only when asked for.

const DEFAULT_CHUNK = 1000;

/**
 * What `Database#exportRecords` streams (the facade makes the stream at once and loads this
 * module at its first read): every record as bytes in `format` (`'jsonl'`, `'arrow'` or
 * `'parquet'`; docs/outgrowing.md), a page of `chunk` (default 1,000) records at a time, so that
 * nothing holds the whole database. `onProgress({ exported, total })` runs after each page;
 * `signal` ends the stream with `ABORTED`. A record written during the export may be missing
 * from it, and one whose vector is replaced meanwhile may appear twice (the newer last).
 * `arrow` and `parquet` are the apache-arrow and (initialised) parquet-wasm modules, for those
 * formats in a bundled page (Node imports them). A compaction or a replacement of the database
 * between two pages ends the stream with `CHANGED`.
 * @param {{ call: (op: string, args?: any) => Promise<any>, dimensions: number, fail: (code: string, message: string) => Error }} io what the database lends
 * @param {{ format?: string, chunk?: number, signal?: AbortSignal, onProgress?: (p: { exported: number, total: number }) => void, arrow?: any, parquet?: any }} [options]
 */
export async function* exportRecords(io, { format = 'jsonl', chunk = DEFAULT_CHUNK, signal, onProgress, arrow, parquet } = {}) {
  const { call, fail } = io;
  const aborted = () => fail('ABORTED', 'exportRecords: aborted');
  const mod = await formatModule(format, fail);
  // Cursors are slots: every page after the first names the numbering they belong to, and a
  // compaction or a replacement in between is `CHANGED`, not records skipped or repeated.
  let epoch;
  const page = async (after, vectors) => {
    const p = await call('records', { after, limit: chunk, vectors, epoch });
    epoch = p.epoch;
    return p;
  };
  let scalars = [];
  if (mod.scalarColumns) {
    // A first pass over the metadata alone finds the keys that become columns.
    const keys = scalarKeys();
    for (let after = 0; after !== null; ) {
      const p = await page(after, false);
      keys.add(p.metadata);
      after = p.next;
    }
    scalars = keys.columns();
  }
  const total = await call('count');
  // The pages of records, in order, with progress; the format pulls them as it encodes.
  async function* pages() {
    let exported = 0;
    for (let after = 0; after !== null; ) {
      if (signal?.aborted) throw aborted();
      const p = await page(after, true);
      after = p.next;
      exported += p.ids.length;
      yield p;
      onProgress?.({ exported, total });
    }
  }
  for await (const bytes of mod.encode(pages(), { dimensions: io.dimensions, chunk, scalars, fail, libs: { arrow, parquet } })) {
    if (signal?.aborted) throw aborted();
    if (bytes.length) yield bytes;
  }
}

/**
 * What `Database#importRecords` does: adds the records of `source` (a string, bytes, a Blob, a
 * ReadableStream or an async iterable of bytes) in `format` (`'jsonl'`, `'arrow'` or
 * `'parquet'`), `chunk` rows (default 1,000) at a time, each chunk checked whole before it is
 * written. A bad row stops the import with an error naming the row and the column; the chunks
 * written before it stay. `columns` maps fields to the file's names (`{ id: 'doc_id', vector:
 * 'embedding', text: 'body', metadata: 'meta' }`). `mode: 'append'` (default) refuses an id that
 * exists (`DUPLICATE_ID`); `'upsert'` replaces it. Resolves to `{ imported, aborted }`.
 * @param {{ call: (op: string, args?: any) => Promise<any>, dimensions: number, fail: (code: string, message: string) => Error, toError: (e: any) => Error }} io what the database lends
 * @param {any} source
 * @param {{ format?: string, columns?: { id?: string, vector?: string, text?: string, metadata?: string }, mode?: 'append' | 'upsert', chunk?: number, signal?: AbortSignal, onProgress?: (p: { imported: number }) => void, arrow?: any, parquet?: any }} [options]
 */
export async function importRecords(io, source, { format = 'jsonl', columns = {}, mode = 'append', chunk = DEFAULT_CHUNK, signal, onProgress, arrow, parquet } = {}) {
  const { call, fail } = io;
  if (mode !== 'append' && mode !== 'upsert') throw fail('BAD_ARGUMENT', `mode: expected 'append' or 'upsert', not ${JSON.stringify(mode)}`);
  if (!(Number.isInteger(chunk) && chunk > 0)) throw fail('BAD_ARGUMENT', 'chunk: expected a whole number above 0');
  const map = { id: 'id', vector: 'vector', text: 'text', metadata: 'metadata', ...columns };
  const fmt = await formatModule(format, fail);
  let imported = 0;
  for await (const batch of fmt.rows(byteChunks(source, fail), { chunk, fail, libs: { arrow, parquet } })) {
    if (signal?.aborted) return { imported, aborted: true };
    // An upsert needs every row's id; an append makes one for a row without.
    const items = itemsOf(batch, { columns: map, needId: columns.id !== undefined || mode === 'upsert', dimensions: io.dimensions, fail });
    try {
      if (mode === 'append') await call('insert', { items });
      else for (const it of items) await call('upsert', { id: it.id, vector: it.vector, metadata: it.metadata ?? null, text: it.text });
    } catch (e) {
      throw io.toError(atRow(e, batch));
    }
    imported += items.length;
    onProgress?.({ imported });
  }
  return { imported, aborted: false };
}

/** The formats and the modules that read and write them. */
const FORMATS = {
  jsonl: () => import('./formats/jsonl.js'),
  arrow: () => import('./formats/arrow.js'),
  parquet: () => import('./formats/parquet.js'),
};

/**
 * Finds the top-level metadata keys that hold one scalar type (number, string, boolean) in every
 * record fed to `add`: the columns of their own that Arrow and Parquet exports give them.
 */
export function scalarKeys() {
  let types = null; // key -> type, or null once disqualified
  return {
    add(metadata) {
      for (const m of metadata) {
        if (types === null) {
          types = new Map();
          for (const [k, v] of Object.entries(m ?? {})) if (['number', 'string', 'boolean'].includes(typeof v)) types.set(k, typeof v);
          continue;
        }
        for (const [k, t] of types) if (t !== null && typeof m?.[k] !== t) types.set(k, null);
      }
    },
    /** The qualifying keys as `{ key, type }`, minus the record's own field names. */
    columns() {
      return [...(types ?? [])].filter(([k, t]) => t !== null && !['id', 'vector', 'text', 'metadata'].includes(k)).map(([key, type]) => ({ key, type }));
    },
  };
}

/** The module of `format`; `BAD_ARGUMENT` for an unknown one. */
export async function formatModule(format, fail) {
  const load = FORMATS[format];
  if (!load) throw fail('BAD_ARGUMENT', `format: expected ${Object.keys(FORMATS).map((f) => `'${f}'`).join(', ')}, not ${JSON.stringify(format)}`);
  return load();
}

/** `source` as an async iterable of byte chunks: a string, bytes, a Blob, a ReadableStream or an async iterable of bytes. */
export async function* byteChunks(source, fail) {
  if (typeof source === 'string') yield new TextEncoder().encode(source);
  else if (source instanceof Uint8Array) yield source;
  else if (source instanceof ArrayBuffer) yield new Uint8Array(source);
  else if (typeof Blob !== 'undefined' && source instanceof Blob) yield* byteChunks(source.stream(), fail);
  else if (source && typeof source.getReader === 'function') {
    const reader = source.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value instanceof Uint8Array ? value : new Uint8Array(value);
      }
    } finally {
      reader.releaseLock();
    }
  } else if (source && typeof source[Symbol.asyncIterator] === 'function') {
    for await (const b of source) yield typeof b === 'string' ? new TextEncoder().encode(b) : b;
  } else throw fail('BAD_ARGUMENT', 'source: expected a string, bytes, a Blob, a ReadableStream or an async iterable of bytes');
}

/**
 * A batch of `{ row, value }` rows as items for `insert`, every row checked first: the mapped
 * columns present (`id` only when `needId`), a vector of `dimensions` finite numbers, a
 * string or null text, an object (or its JSON text) or null metadata. An error names the row and
 * the column, and nothing of the batch is written.
 */
export function itemsOf(batch, { columns, needId, dimensions, fail }) {
  const at = (row, col) => `row ${row}, column ${JSON.stringify(col)}`;
  return batch.map(({ row, value }) => {
    const item = {};
    const id = value[columns.id];
    if (id === undefined || id === null) {
      if (needId) throw fail('BAD_ARGUMENT', `${at(row, columns.id)}: no such column (ids are mapped to it, or the import upserts)`);
    } else if (typeof id === 'string' || typeof id === 'number' || typeof id === 'bigint') item.id = String(id);
    else throw fail('INVALID_ID', `${at(row, columns.id)}: an id is a string or a number`);
    const v = value[columns.vector];
    if (v === undefined || v === null) throw fail('BAD_ARGUMENT', `${at(row, columns.vector)}: no such column (every row needs its vector)`);
    const vector = v instanceof Float32Array ? v : ArrayBuffer.isView(v) || Array.isArray(v) ? Float32Array.from(/** @type {any} */ (v)) : null;
    if (!vector) throw fail('BAD_ARGUMENT', `${at(row, columns.vector)}: expected a list of numbers`);
    if (vector.length !== dimensions) throw fail('DIMENSION_MISMATCH', `${at(row, columns.vector)}: ${vector.length} values; the database has ${dimensions} dimensions`);
    // Checked on the values given: Float32Array.from would have made null a 0.
    const given = Array.isArray(v) ? v : vector;
    const bad = given.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x));
    if (bad >= 0) throw fail('NON_FINITE', `${at(row, columns.vector)}: value ${bad} is ${given[bad]}`);
    item.vector = vector;
    const t = value[columns.text];
    if (typeof t === 'string') item.text = t;
    else if (t !== undefined && t !== null) throw fail('BAD_ARGUMENT', `${at(row, columns.text)}: expected a string or null`);
    let m = value[columns.metadata];
    if (typeof m === 'string') {
      try {
        m = JSON.parse(m);
      } catch {
        throw fail('INVALID_METADATA', `${at(row, columns.metadata)}: not JSON`);
      }
    }
    if (m !== undefined && m !== null) {
      if (typeof m !== 'object' || Array.isArray(m)) throw fail('INVALID_METADATA', `${at(row, columns.metadata)}: expected an object`);
      item.metadata = m;
    }
    return item;
  });
}

/** `e` with the engine's item numbers ("item 3", "items 1 and 4") turned into the rows they came from. */
export function atRow(e, batch) {
  if (typeof e?.message !== 'string') return e;
  const row = (n) => batch[Number(n)]?.row ?? n;
  e.message = e.message
    .replace(/^item (\d+)/, (_, n) => `row ${row(n)}`)
    .replace(/^items (\d+) and (\d+) of the batch/, (_, a, b) => `rows ${row(a)} and ${row(b)}`);
  return e;
}
