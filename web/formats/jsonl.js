// JSON lines, one record per line: {"id", "vector", "text", "metadata"} (docs/outgrowing.md).
// Loaded by `exportRecords`/`importRecords` only when asked for, as every format is.

const utf8 = new TextEncoder();

/** A float32 as the shortest decimal that reads back as the same float32 (at most 9 digits). */
const f32 = (x) => Number(x.toPrecision(9));

/** Encodes pages of records (the `records` op's columns) as lines, a chunk of bytes per page. */
export async function* encode(pages, { dimensions }) {
  for await (const { ids, vectors, metadata, texts } of pages) {
    let out = '';
    for (let i = 0; i < ids.length; i++) {
      const vector = Array.from(vectors.subarray(i * dimensions, (i + 1) * dimensions), f32);
      out += `${JSON.stringify({ id: ids[i], vector, text: texts[i], metadata: metadata[i] })}\n`;
    }
    yield utf8.encode(out);
  }
}

/**
 * The rows of JSON-lines bytes, `chunk` at a time: arrays of `{ row, value }` (row numbers from
 * 1, blank lines skipped). A line that is not a JSON object is `CORRUPT`, naming its row.
 * @param {AsyncIterable<Uint8Array>} bytes
 */
export async function* rows(bytes, { chunk, fail }) {
  const decoder = new TextDecoder();
  let carry = '';
  let row = 0;
  let batch = [];
  const parse = (line) => {
    row++;
    if (!line.trim()) return;
    let value;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw fail('CORRUPT', `row ${row}: not a JSON line (${e.message}); a file cut short ends this way`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw fail('CORRUPT', `row ${row}: expected a JSON object`);
    batch.push({ row, value });
  };
  for await (const b of bytes) {
    carry += decoder.decode(b, { stream: true });
    let start = 0;
    let nl;
    while ((nl = carry.indexOf('\n', start)) >= 0) {
      parse(carry.slice(start, nl));
      start = nl + 1;
      if (batch.length >= chunk) {
        carry = carry.slice(start);
        start = 0;
        yield batch;
        batch = [];
      }
    }
    carry = carry.slice(start);
  }
  carry += decoder.decode();
  if (carry.trim()) parse(carry);
  if (batch.length) yield batch;
}
