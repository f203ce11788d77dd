// Folds wasm-bindgen's inline_js snippet modules into the glue module of one build
// (web/pkg/<build>/ruvector.js) and deletes them: loading the glue then fetches nothing
// else, so an unbundled page waits one round trip for it (the worker fetches the .wasm
// meanwhile) instead of two. Run by scripts/build-web.sh after wasm-bindgen.
//
// Each snippet may only `export function name(...)` (or `export async function`); anything
// else exported or imported fails the build, as does an import of a snippet this script does
// not recognise or a name the glue already uses.
import { readFile, writeFile, rm } from 'node:fs/promises';
import { join, dirname } from 'node:path';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node scripts/inline-snippets.mjs web/pkg/<build>');
const gluePath = join(dir, 'ruvector.js');
let glue = await readFile(gluePath, 'utf8');

const NAMED = /^import \{ ([\w, ]+) \} from ['"](\.\/snippets\/[^'"]+)['"];?$/;
const NAMESPACE = /^import \* as (\w+) from ['"](\.\/snippets\/[^'"]+)['"];?$/;

/** The snippet at `path` as a function body that returns its exports, and their names. */
async function body(path) {
  const text = await readFile(join(dir, path), 'utf8');
  const names = [...text.matchAll(/^export (?:async )?function (\w+)\(/gm)].map((m) => m[1]);
  const rest = text.replace(/^export (async )?function /gm, '$1function ');
  if (/^\s*(export|import)\b/m.test(rest)) throw new Error(`${path}: only \`export function\` is supported`);
  for (const n of names) {
    if (new RegExp(`\\b(function|const|let|var) ${n}\\b`).test(glue)) throw new Error(`${path}: the glue already defines ${n}`);
  }
  return { code: `(() => {${rest}\nreturn { ${names.join(', ')} };\n})()`, names };
}

const snippetDirs = new Set();
const lines = glue.split('\n');
for (let i = 0; i < lines.length; i++) {
  const named = lines[i].match(NAMED);
  const space = lines[i].match(NAMESPACE);
  if (!named && !space) {
    if (lines[i].includes('./snippets/') && /^import\b/.test(lines[i])) throw new Error(`unrecognised snippet import: ${lines[i]}`);
    continue;
  }
  const path = (named ?? space)[2];
  const { code, names } = await body(path);
  if (named) {
    const wanted = named[1].split(',').map((s) => s.trim());
    const missing = wanted.filter((n) => !names.includes(n));
    if (missing.length) throw new Error(`${path} does not export ${missing.join(', ')}`);
    lines[i] = `const { ${wanted.join(', ')} } = ${code};`;
  } else {
    lines[i] = `const ${space[1]} = ${code};`;
  }
  snippetDirs.add(dirname(join(dir, path)));
}
glue = lines.join('\n');
if (/from ['"]\.\/snippets\//.test(glue)) throw new Error('a snippet import is left in the glue');
await writeFile(gluePath, glue);
await rm(join(dir, 'snippets'), { recursive: true, force: true });
console.log(`inline-snippets: ${snippetDirs.size} snippet folder(s) folded into ${gluePath}`);
