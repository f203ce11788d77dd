// Parquet files (`format: 'parquet'`; docs/outgrowing.md): the Arrow columns of
// web/formats/arrow.js, a row group per page, written and read by `parquet-wasm` (with
// `apache-arrow`; both optional peer dependencies, loaded only here). Writing streams: each page
// becomes a row group as the file is read. Reading needs the file's footer, so an import holds the
// whole file (not the database) in memory.

import { arrow, recordBatches, rows as arrowRows } from './arrow.js';

/** Scalar metadata keys get columns of their own, as in Arrow. */
export const scalarColumns = true;

/** The parquet-wasm module: the one given (initialised, in a bundled page), else imported by name. */
async function parquetWasm(fail, given) {
  if (given) return given;
  const name = 'parquet-wasm';
  try {
    return await import(/* @vite-ignore */ /* webpackIgnore: true */ name);
  } catch {
    throw fail('UNSUPPORTED', "format 'parquet' needs the parquet-wasm package: npm install parquet-wasm (in a bundled page, pass it initialised: { parquet })");
  }
}

/** Encodes pages of records as one Parquet file, a row group per page. */
export async function* encode(pages, { dimensions, chunk, scalars = [], fail, libs = /** @type {{ arrow?: any, parquet?: any }} */ ({}) }) {
  const A = await arrow(fail, libs.arrow, 'parquet');
  const P = await parquetWasm(fail, libs.parquet);
  const { schema, batch } = recordBatches(A, { dimensions, scalars });
  const source = pages[Symbol.asyncIterator]();
  let any = false;
  // parquet-wasm pulls record batches (its own, made from each page's Arrow IPC bytes) as it
  // writes; an empty database is written as one empty batch, so that the file has its schema.
  const input = new ReadableStream({
    async pull(controller) {
      const { done, value } = await source.next();
      if (done && any) return controller.close();
      any = true;
      const table = done ? new A.Table(schema) : new A.Table([batch(value)]);
      for (const b of P.Table.fromIPCStream(A.tableToIPC(table, 'stream')).recordBatches()) controller.enqueue(b);
      if (done) controller.close();
    },
  });
  // Row groups of a page each: the writer holds one page's rows, not the database's.
  const props = new P.WriterPropertiesBuilder().setMaxRowGroupSize(chunk).build();
  const out = await P.transformParquetStream(input, props);
  const reader = out.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}

/**
 * The rows of a Parquet file, `chunk` at a time, as `rows` of web/formats/arrow.js gives them. A
 * file that is not Parquet, or is cut short, is `CORRUPT`.
 * @param {AsyncIterable<Uint8Array>} bytes
 */
export async function* rows(bytes, { chunk, fail, libs = /** @type {{ arrow?: any, parquet?: any }} */ ({}) }) {
  const P = await parquetWasm(fail, libs.parquet);
  const parts = [];
  let size = 0;
  for await (const b of bytes) {
    parts.push(b);
    size += b.length;
  }
  const file = new Uint8Array(size);
  let at = 0;
  for (const b of parts) {
    file.set(b, at);
    at += b.length;
  }
  let ipc;
  try {
    ipc = P.readParquet(file).intoIPCStream();
  } catch (e) {
    throw fail('CORRUPT', `not a whole Parquet file: ${e?.message ?? e}`);
  }
  yield* arrowRows(
    (async function* () {
      yield ipc;
    })(),
    { chunk, fail, libs },
  );
}
