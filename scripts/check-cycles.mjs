#!/usr/bin/env node
// Fails when the files of a Rust crate import each other in a cycle.
//
//   node scripts/check-cycles.mjs crates/ruvector-core crates/ruvector-wasm
//
// Every `crate::`, `super::` and `self::` path counts: in `use` and `pub use` (braced trees
// expanded) and inline in code; comments and string literals do not. A path resolves to the
// file of the deepest module it names; a name that file re-exports (`pub use x::Name`) resolves
// on to the file that defines it. A directory module reaches its children (`mod x;`), and a
// child's use of its own ancestors does not count (that is the edge the other way round).
// Exit 1 and the files of each cycle when there is one; exit 0 and a one-line summary when not.

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Source text without comments, string and char literals (their bytes become spaces). */
export function stripNoise(src) {
  let out = '';
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i];
    const d = src[i + 1];
    if (c === '/' && d === '/') {
      while (i < n && src[i] !== '\n') i++;
    } else if (c === '/' && d === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (src[i] === '/' && src[i + 1] === '*') (depth++, (i += 2));
        else if (src[i] === '*' && src[i + 1] === '/') (depth--, (i += 2));
        else i++;
      }
      out += ' ';
    } else if (c === 'r' && /^r#*"/.test(src.slice(i, i + 8)) && !/\w/.test(src[i - 1] ?? '')) {
      const hashes = /^r(#*)"/.exec(src.slice(i))[1];
      const end = src.indexOf('"' + hashes, i + 2 + hashes.length);
      i = end < 0 ? n : end + 1 + hashes.length;
      out += '""';
    } else if (c === '"') {
      i++;
      while (i < n && src[i] !== '"') i += src[i] === '\\' ? 2 : 1;
      i++;
      out += '""';
    } else if (c === "'" && /^'(\\.[^']*|[^\\'])'/.test(src.slice(i, i + 12))) {
      i = src.indexOf("'", i + 2) + 1; // a char literal; a lifetime ('a) has no closing quote
      out += "' '";
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** The paths a `use` tree names: `a::{b, c::{d, e as f}, self}` -> a::b, a::c::d, a::c::e, a. */
export function expandUseTree(tree) {
  tree = tree.replace(/\s+as\s+\w+/g, '').replace(/\s+/g, '');
  const out = [];
  const walk = (prefix, t) => {
    const brace = t.indexOf('{');
    if (brace < 0) {
      const path = t.replace(/::\*$/, '');
      if (path === 'self') out.push(prefix.replace(/::$/, ''));
      else if (path) out.push(prefix + path);
      return;
    }
    const head = t.slice(0, brace);
    const body = t.slice(brace + 1, t.lastIndexOf('}'));
    let depth = 0;
    let start = 0;
    for (let i = 0; i <= body.length; i++) {
      const ch = body[i];
      if (ch === '{') depth++;
      else if (ch === '}') depth--;
      else if ((ch === ',' || i === body.length) && depth === 0) {
        const part = body.slice(start, i);
        if (part) walk(prefix + head, part);
        start = i + 1;
      }
    }
  };
  walk('', tree);
  return out;
}

/** Module path (array of names, [] for the crate root) of a source file, from `src/`. */
function modulePathOf(rel) {
  const parts = rel.replace(/\.rs$/, '').split('/');
  if (parts.length === 1 && (parts[0] === 'lib' || parts[0] === 'main')) return [];
  if (parts.at(-1) === 'mod') parts.pop();
  return parts;
}

/** Every `.rs` file below `dir`. */
function rustFiles(dir) {
  const out = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...rustFiles(p));
    else if (e.endsWith('.rs')) out.push(p);
  }
  return out;
}

/**
 * The module files of the crate whose `src/` is `srcDir`, with what each one uses: a Map
 * from module path (`a::b`) to { rel, path, uses: [absolute path], reexports, children }.
 */
function readCrate(srcDir) {
  const files = new Map();
  for (const abs of rustFiles(srcDir)) {
    const rel = relative(srcDir, abs).split('\\').join('/');
    if (rel.startsWith('bin/')) continue;
    const path = modulePathOf(rel);
    files.set(path.join('::'), { rel, path, uses: [], reexports: new Map(), children: [] });
  }
  for (const f of files.values()) {
    const src = stripNoise(readFileSync(join(srcDir, f.rel), 'utf8'));
    // Inline modules (`mod tests { ... }`) shift what `self` and `super` mean inside them.
    const inline = [];
    const re = /\bmod\s+(\w+)\s*\{/g;
    for (let m; (m = re.exec(src)); ) {
      let depth = 0;
      let j = m.index + m[0].length - 1;
      for (; j < src.length; j++) {
        if (src[j] === '{') depth++;
        else if (src[j] === '}' && --depth === 0) break;
      }
      inline.push({ name: m[1], start: m.index, end: j });
    }
    const scopeAt = (pos) => [
      ...f.path,
      ...inline.filter((s) => s.start < pos && pos < s.end).map((s) => s.name),
    ];
    const absolute = (p, pos) => {
      const segs = p.split('::');
      let base;
      if (segs[0] === 'crate') base = [];
      else if (segs[0] === 'self') base = scopeAt(pos);
      else if (segs[0] === 'super') {
        base = scopeAt(pos);
        while (segs[0] === 'super') (base = base.slice(0, -1), segs.shift());
        segs.unshift('x');
      } else return null;
      return [...base, ...segs.slice(1)];
    };
    // `use` trees, including `pub use` and `pub(crate) use`. A path that starts with none of
    // `crate`, `self`, `super` names a child module (or another crate: no file of ours).
    const useRe = /\b(pub(\([^)]*\))?\s+)?use\s+([^;]+);/g;
    const inUse = [];
    for (let m; (m = useRe.exec(src)); ) {
      inUse.push([m.index, m.index + m[0].length]);
      const glob = /::\*\s*$/.test(m[3]);
      for (const p of expandUseTree(m[3])) {
        const a = absolute(p, m.index) ?? [...scopeAt(m.index), ...p.split('::')];
        f.uses.push(a);
        // What a `pub use` re-exports: one name, or every name of a module (`*…` keys).
        if (m[1]) f.reexports.set(glob ? '*' + a.join('::') : a.at(-1), a);
      }
    }
    // Paths in code, outside `use`.
    const pathRe = /\b(crate|super|self)((?:::(?:super|\w+))+)/g;
    for (let m; (m = pathRe.exec(src)); ) {
      if (inUse.some(([s, e]) => s <= m.index && m.index < e)) continue;
      if (src.slice(Math.max(0, m.index - 2), m.index) === '::') continue; // `x::self::y`
      const a = absolute(m[1] + m[2], m.index);
      if (a) f.uses.push(a);
    }
    // `mod child;` declarations: the directory module reaches its children.
    for (const m of src.matchAll(/\bmod\s+(\w+)\s*;/g)) f.children.push([...f.path, m[1]]);
  }
  return files;
}

/** The file key that an absolute path resolves to, following re-exports. */
function resolve(files, path, seen = new Set()) {
  for (let len = path.length; len >= 0; len--) {
    const key = path.slice(0, len).join('::');
    const f = files.get(key);
    if (!f) continue;
    const rest = path.slice(len);
    if (rest.length > 0 && !seen.has(key + '|' + rest[0])) {
      seen.add(key + '|' + rest[0]);
      const target = f.reexports.get(rest[0]);
      if (target) return resolve(files, [...target, ...rest.slice(1)], seen);
      for (const [k, glob] of f.reexports) {
        if (!k.startsWith('*')) continue;
        const r = resolve(files, [...glob, ...rest], seen);
        if (r !== key && r !== glob.join('::') && files.get(r)) return r;
      }
    }
    return key;
  }
  return '';
}

const isAncestor = (a, b) => a.length < b.length && a.every((s, i) => s === b[i]);

/** The dependency graph of the crate at `crateDir`: Map(file rel -> Set(file rel)). */
export function graphOf(crateDir) {
  const src = join(crateDir, 'src');
  const files = readCrate(src);
  const graph = new Map();
  for (const [key, f] of files) {
    const to = new Set();
    for (const u of f.uses) {
      const k = resolve(files, u);
      const g = files.get(k);
      if (!g || k === key || isAncestor(g.path, f.path)) continue;
      to.add(g.rel);
    }
    for (const c of f.children) {
      const g = files.get(c.join('::'));
      if (g) to.add(g.rel);
    }
    graph.set(f.rel, to);
  }
  return graph;
}

/** Strongly connected components with more than one file (Tarjan). */
export function cycles(graph) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const out = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) (visit(w), low.set(v, Math.min(low.get(v), low.get(w))));
      else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do (w = stack.pop()), on.delete(w), comp.push(w);
      while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) visit(v);
  return out;
}

/** One edge of a cycle for each file in it, to show where to cut. */
function explain(graph, comp) {
  const inComp = new Set(comp);
  return comp.map((f) => `    ${f} -> ${[...graph.get(f)].filter((t) => inComp.has(t)).sort().join(', ')}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dirs = process.argv.slice(2);
  if (dirs.length === 0) {
    console.error('usage: check-cycles.mjs CRATE_DIR...');
    process.exit(2);
  }
  let bad = 0;
  for (const dir of dirs) {
    if (!existsSync(join(dir, 'src'))) {
      console.error(`check-cycles: ${dir} has no src/`);
      process.exit(2);
    }
    const graph = graphOf(dir);
    const found = cycles(graph);
    for (const comp of found) {
      bad++;
      console.error(`check-cycles: ${dir}: import cycle through ${comp.length} files:`);
      console.error(explain(graph, comp).join('\n'));
    }
    if (found.length === 0) console.log(`check-cycles: ${dir}: ${graph.size} files, no import cycle`);
  }
  process.exit(bad ? 1 : 0);
}
