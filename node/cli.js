#!/usr/bin/env node
// `npx ruvector-web <command>`: a Node database from the shell (docs/node.md, "The CLI").
//
//   list                          the databases in the directory
//   info <name>                   size, configuration and storage of a database
//   export <name> <file>          the database as an export file (docs/format.md)
//   import <file> <name>          an export file as a new database, or JSON lines of
//                                 { id?, vector, text?, metadata? } appended in chunks
//                                 (--dimensions, --metric, --text to create it)
//   search <name> <query>         a vector as JSON ([0.1, ...]) or a text; prints JSON lines
//
// Options: --path <dir> (default ./ruvector-data), --k <n>, --mode vector|text|hybrid,
// --filter <json>, --chunk <n>. Errors print their code and message; the exit code is 1.

import { parseArgs } from 'node:util';
import { createReadStream } from 'node:fs';
import { readFile, writeFile, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { open, importDatabase, databases, DEFAULT_PATH, RuvectorError } from './index.js';

const USAGE = `usage: ruvector-web <list | info <name> | export <name> <file> | import <file> <name> | search <name> <query>> [--path dir] [--k n] [--mode m] [--filter json] [--dimensions n] [--metric m] [--text] [--chunk n]`;
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

async function importLines(file, name, opts) {
  const path = opts.path;
  const size = (await stat(file)).size;
  const bar = progressBar(size, { label: `import ${name} ` });
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  const chunk = Number(opts.chunk ?? 1000);
  let db = null;
  let batch = [];
  let read = 0;
  let count = 0;
  let lineNo = 0;
  const flush = async () => {
    if (!batch.length) return;
    if (!db) {
      const dimensions = opts.dimensions ? Number(opts.dimensions) : batch[0].vector?.length;
      db = await open(name, { path, dimensions, metric: opts.metric, text: opts.text ? true : undefined });
    }
    await db.insertMany(batch, { chunk });
    count += batch.length;
    batch = [];
    bar(read);
  };
  try {
    for await (const line of lines) {
      lineNo++;
      read += Buffer.byteLength(line) + 1;
      if (!line.trim()) continue;
      let r;
      try {
        r = JSON.parse(line);
      } catch (e) {
        throw fail('BAD_ARGUMENT', `${file}:${lineNo}: not JSON (${e.message}); nothing from this line on was imported`);
      }
      batch.push(r);
      if (batch.length >= chunk) await flush();
    }
    await flush();
    bar(size);
    return { name, imported: count };
  } finally {
    await db?.close();
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
    const r = await importLines(file, name, opts);
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
