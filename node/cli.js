#!/usr/bin/env node
// `npx ruvector-web <command>`: a Node database from the shell (docs/node.md, "The CLI").
//
//   list                          the databases in the directory
//   info <name>                   size, configuration and storage of a database
//   export <name> <file>          the database as an export file (docs/format.md), or with
//                                 --format jsonl its records (docs/outgrowing.md)
//   import <file> <name>          an export file as a new database, or records in --format
//                                 (default jsonl) added in chunks: --columns '{"vector":
//                                 "embedding"}', --mode append|upsert; --dimensions, --metric,
//                                 --text to create the database
//   search <name> <query>         a vector as JSON ([0.1, ...]) or a text; prints JSON lines
//
// Options: --path <dir> (default ./ruvector-data), --k <n>, --mode vector|text|hybrid,
// --filter <json>, --chunk <n>. Errors print their code and message; the exit code is 1.

import { parseArgs } from 'node:util';
import { createReadStream, createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { readFile, writeFile, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { open, importDatabase, databases, DEFAULT_PATH, RuvectorError } from './index.js';

const USAGE = `usage: ruvector-web <list | info <name> | export <name> <file> | import <file> <name> | search <name> <query>> [--path dir] [--k n] [--mode m] [--filter json] [--format jsonl] [--columns json] [--dimensions n] [--metric m] [--text] [--chunk n]`;
const EXPORT_MAGIC = 'RUVECTOR-EXPORT\0';

/** A progress bar on stderr: redrawn in place on a terminal, a line per 10% elsewhere. */
function progressBar(total, { out = process.stderr, label = '' } = {}) {
  let shown = -1;
  return (done) => {
    const share = total > 0 ? Math.min(1, done / total) : 1;
    const pct = Math.floor(share * 100);
    if (out.isTTY) {
      const width = 30;
      const fill = Math.round(share * width);
      out.write(`\r${label}[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${String(pct).padStart(3)}%`);
      if (share === 1) out.write('\n');
    } else if (Math.floor(pct / 10) > shown) {
      shown = Math.floor(pct / 10);
      out.write(`${label}${pct}%\n`);
    }
  };
}

function fail(code, message) {
  return new RuvectorError(code, message);
}

/** The first row of a JSON-lines file, parsed (null when it has none). */
async function firstRow(file) {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  try {
    for await (const line of lines) if (line.trim()) return JSON.parse(line);
    return null;
  } catch (e) {
    throw fail('CORRUPT', `${file}:1: not a JSON line (${e.message})`);
  } finally {
    lines.close();
  }
}

/** Records of a file in `format` added to `name` (created from the first row's vector when new), with a progress bar. */
async function importRows(file, name, opts) {
  const columns = opts.columns ? parseJson(opts.columns, '--columns') : {};
  const format = opts.format ?? 'jsonl';
  const size = (await stat(file)).size;
  let db;
  if ((await databases({ path: opts.path })).includes(name)) db = await open(name, { path: opts.path });
  else {
    const first = format === 'jsonl' ? await firstRow(file) : null;
    const v = first?.[columns.vector ?? 'vector'];
    const dimensions = opts.dimensions ? Number(opts.dimensions) : Array.isArray(v) ? v.length : undefined;
    db = await open(name, { path: opts.path, dimensions, metric: opts.metric, text: opts.text ? true : undefined });
  }
  const bar = progressBar(size, { label: `import ${name} ` });
  let read = 0;
  async function* counted() {
    for await (const b of createReadStream(file)) {
      read += b.length;
      yield b;
    }
  }
  try {
    const r = await db.importRecords(counted(), { format, columns, mode: opts.mode, chunk: Number(opts.chunk ?? 1000), onProgress: () => bar(read) });
    bar(size);
    return r;
  } finally {
    await db.close();
  }
}

function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw fail('BAD_ARGUMENT', `${what}: not JSON (${e.message})`);
  }
}

const COMMANDS = {
  async list(_args, opts) {
    for (const n of await databases({ path: opts.path })) console.log(n);
  },
  async info([name], opts) {
    if (!name) throw fail('BAD_ARGUMENT', 'info <name>');
    const db = await open(name, { path: opts.path });
    try {
      const s = await db.stats();
      console.log(JSON.stringify({ name, count: s.len, dimensions: db.dimensions, metric: db.metric, config: s.config, memory: s.memory, storage: s.storage, embedder: s.embedder }, null, 2));
    } finally {
      await db.close();
    }
  },
  async export([name, file], opts) {
    if (!name || !file) throw fail('BAD_ARGUMENT', 'export <name> <file>');
    const db = await open(name, { path: opts.path });
    try {
      if (opts.format) {
        // Records in another engine's format, a page at a time.
        const out = createWriteStream(file);
        const bar = progressBar(1, { label: `export ${name} ` });
        const stream = db.exportRecords({ format: opts.format, chunk: Number(opts.chunk ?? 1000), onProgress: ({ exported, total }) => bar(total ? exported / total : 1) });
        await pipeline(Readable.fromWeb(/** @type {any} */ (stream)), out);
        console.error(`exported ${name} to ${file} as ${opts.format}`);
        return;
      }
      const blob = await db.export();
      await writeFile(file, new Uint8Array(await blob.arrayBuffer()));
      console.error(`exported ${name} to ${file} (${blob.size} bytes)`);
    } finally {
      await db.close();
    }
  },
  async import([file, name], opts) {
    if (!file || !name) throw fail('BAD_ARGUMENT', 'import <file> <name>');
    const head = Buffer.alloc(EXPORT_MAGIC.length);
    const fh = await import('node:fs/promises').then((fs) => fs.open(file, 'r'));
    await fh.read(head, 0, head.length, 0);
    await fh.close();
    if (head.toString('latin1') === EXPORT_MAGIC) {
      const db = await importDatabase(name, await readFile(file), { path: opts.path });
      console.error(`imported ${await db.count()} records into ${name}`);
      await db.close();
      return;
    }
    const r = await importRows(file, name, opts);
    console.error(`imported ${r.imported} records into ${name}`);
  },
  async search([name, query], opts) {
    if (!name || query === undefined) throw fail('BAD_ARGUMENT', 'search <name> <query>');
    let q = query;
    if (query.trim().startsWith('[')) {
      try {
        q = JSON.parse(query);
      } catch (e) {
        throw fail('BAD_ARGUMENT', `query: not a JSON vector (${e.message})`);
      }
    }
    let filter;
    if (opts.filter) {
      try {
        filter = JSON.parse(opts.filter);
      } catch (e) {
        throw fail('BAD_ARGUMENT', `--filter: not JSON (${e.message})`);
      }
    }
    const db = await open(name, { path: opts.path });
    try {
      const hits = await db.search(q, { k: Number(opts.k ?? 10), mode: opts.mode, filter, includeMetadata: true, includeText: true });
      for (const h of hits) console.log(JSON.stringify({ id: h.id, score: h.score, distance: h.distance, text: h.text, metadata: h.metadata }));
    } finally {
      await db.close();
    }
  },
};

async function main(argv) {
  const { values: opts, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      path: { type: 'string', default: DEFAULT_PATH },
      k: { type: 'string' },
      mode: { type: 'string' },
      filter: { type: 'string' },
      dimensions: { type: 'string' },
      metric: { type: 'string' },
      text: { type: 'boolean' },
      chunk: { type: 'string' },
      format: { type: 'string' },
      columns: { type: 'string' },
      mode: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...args] = positionals;
  if (opts.help || !command) return console.log(USAGE);
  const run = COMMANDS[command];
  if (!run) throw fail('BAD_ARGUMENT', `unknown command ${JSON.stringify(command)}\n${USAGE}`);
  await run(args, opts);
}

main(process.argv.slice(2)).catch((e) => {
  console.error(`ruvector-web: ${e.code ?? 'ERROR'}: ${e.message}`);
  process.exitCode = 1;
});
