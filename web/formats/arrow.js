// Arrow IPC streams (`format: 'arrow'`; docs/outgrowing.md): a record batch per page, read and
// written with the `apache-arrow` package, an optional peer dependency loaded only here.
// Columns: id (utf8), vector (fixed-size list of float32), text (utf8, nullable), metadata (its
// JSON text, nullable), then one column per top-level metadata key that holds one scalar type in
// every record (float64, utf8 or bool; nullable, for records written during the export).

/** The Arrow IPC stream's end-of-stream marker: continuation, then a zero length. */
const EOS = new Uint8Array([255, 255, 255, 255, 0, 0, 0, 0]);

/**
 * The apache-arrow module: the one given (`options.arrow`, how a bundled page passes it), else
 * imported by name at run time (Node, or a page with an import map). The name is not a literal,
 * so that bundling ruvector-web never needs apache-arrow installed.
 */
export async function arrow(fail, given, format = 'arrow') {
  if (given) return given;
  const name = 'apache-arrow';
  try {
    return await import(/* @vite-ignore */ /* webpackIgnore: true */ name);
  } catch {
    throw fail('UNSUPPORTED', `format '${format}' needs the apache-arrow package: npm install apache-arrow (in a bundled page, pass it: { arrow: await import('apache-arrow') })`);
  }
}

/** This format has columns of their own for scalar metadata keys: the export finds them first. */
export const scalarColumns = true;

/**
 * The Arrow schema of records of `dimensions` with `scalars` columns, and `batch(page)`, a page of
 * records (the `records` op's columns) as a record batch of it.
 */
export function recordBatches(A, { dimensions, scalars = [] }) {
  const kinds = { number: () => new A.Float64(), string: () => new A.Utf8(), boolean: () => new A.Bool() };
  const vectorType = new A.FixedSizeList(dimensions, new A.Field('item', new A.Float32(), false));
  const schema = new A.Schema([
    new A.Field('id', new A.Utf8(), false),
    new A.Field('vector', vectorType, false),
    new A.Field('text', new A.Utf8(), true),
    new A.Field('metadata', new A.Utf8(), true),
    // Nullable: a record written while the export runs may lack the key, or hold another type.
    ...scalars.map(({ key, type }) => new A.Field(key, kinds[type](), true)),
  ]);
  const batch = ({ ids, vectors, metadata, texts }) => {
    const n = ids.length;
    const column = (values, type) => A.vectorFromArray(values, type).data[0];
    const child = A.makeData({ type: new A.Float32(), length: n * dimensions, data: vectors });
    const children = [
      column(ids, new A.Utf8()),
      A.makeData({ type: vectorType, length: n, nullCount: 0, child }),
      column(texts, new A.Utf8()),
      column(metadata.map((m) => (m === null ? null : JSON.stringify(m))), new A.Utf8()),
      ...scalars.map(({ key, type }) => column(metadata.map((m) => (typeof m?.[key] === type ? m[key] : null)), kinds[type]())),
    ];
    const data = A.makeData({ type: new A.Struct(schema.fields), length: n, nullCount: 0, children });
    return new A.RecordBatch(schema, data);
  };
  return { schema, batch };
}

/**
 * Encodes pages of records as one Arrow IPC stream: the first page with the schema, each later
 * page as its record batch alone, then the end-of-stream marker.
 */
export async function* encode(pages, { dimensions, scalars = [], fail, libs = /** @type {{ arrow?: any, parquet?: any }} */ ({}) }) {
  const A = await arrow(fail, libs.arrow);
  const { schema, batch } = recordBatches(A, { dimensions, scalars });
  // The schema message: what a stream of this schema starts with.
  const empty = A.tableToIPC(new A.Table(schema), 'stream');
  const schemaBytes = empty.length - EOS.length;
  let first = true;
  for await (const page of pages) {
    const bytes = A.tableToIPC(new A.Table([batch(page)]), 'stream');
    yield bytes.subarray(first ? 0 : schemaBytes, bytes.length - EOS.length);
    first = false;
  }
  yield first ? empty : EOS;
}

/**
 * The rows of an Arrow IPC stream, `chunk` at a time: `{ row, value }` with every column's value
 * (a list as a typed array or an array). Bytes that are not an Arrow stream are `CORRUPT`.
 * @param {AsyncIterable<Uint8Array>} bytes
 */
export async function* rows(bytes, { chunk, fail, libs = /** @type {{ arrow?: any, parquet?: any }} */ ({}) }) {
  const A = await arrow(fail, libs.arrow);
  const corrupt = (e) => fail('CORRUPT', `not a whole Arrow IPC stream: ${e?.message ?? e}`);
  // An Arrow stream's messages start with the continuation marker (a file with ARROW1).
  let first = true;
  async function* checked() {
    for await (const b of bytes) {
      if (first && b.length) {
        first = false;
        const marker = b[0] === 255 && b[1] === 255 && b[2] === 255 && b[3] === 255;
        const file = String.fromCharCode(...b.subarray(0, 6)) === 'ARROW1';
        if (!marker && !file) throw corrupt('it starts with neither a message nor ARROW1');
      }
      yield b;
    }
  }
  let reader;
  try {
    reader = await A.RecordBatchReader.from(checked());
  } catch (e) {
    throw e?.code === 'CORRUPT' ? e : corrupt(e);
  }
  let row = 0;
  let out = [];
  const batches = reader[Symbol.asyncIterator]();
  for (;;) {
    let next;
    try {
      next = await batches.next();
    } catch (e) {
      throw e?.code === 'CORRUPT' ? e : corrupt(e);
    }
    if (next.done) break;
    const b = next.value;
    const names = b.schema.fields.map((f) => f.name);
    const columns = names.map((n) => b.getChild(n));
    for (let i = 0; i < b.numRows; i++) {
      row++;
      const value = {};
      names.forEach((n, j) => {
        const v = columns[j]?.get(i);
        value[n] = v !== null && typeof v === 'object' && typeof v.toArray === 'function' ? v.toArray() : v;
      });
      out.push({ row, value });
      if (out.length >= chunk) {
        yield out;
        out = [];
      }
    }
  }
  if (out.length) yield out;
}
