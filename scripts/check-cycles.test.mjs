// Tests of scripts/check-cycles.mjs: planted cycles are found, acyclic crates pass, and the
// project's own crates have none. Run by `make lint` (node --test scripts/).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { cycles, expandUseTree, graphOf, stripNoise } from './check-cycles.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const script = join(here, 'check-cycles.mjs');

/** A crate in a temporary directory with `files` ({ 'src/a.rs': text }); returns its path. */
function crate(files) {
  const dir = mkdtempSync(join(tmpdir(), 'cycles-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** The cycles found in a crate made of `files`, as sorted lists of file names. */
function found(files) {
  const dir = crate(files);
  try {
    return cycles(graphOf(dir));
  } finally {
    rmSync(dir, { recursive: true });
  }
}

test('use trees expand to every path they name', () => {
  assert.deepEqual(expandUseTree('crate::{a::{B, c::D as E}, f, g::{self}, h::Class}'), [
    'crate::a::B',
    'crate::a::c::D',
    'crate::f',
    'crate::g',
    'crate::h::Class',
  ]);
  assert.deepEqual(expandUseTree('super::x::*'), ['super::x']);
});

test('comments and strings are not code', () => {
  const s = stripNoise('let a = "crate::x"; // crate::y\n/* crate::z */ crate::w; let c = \'"\';');
  assert.ok(!s.includes('crate::x') && !s.includes('crate::y') && !s.includes('crate::z'));
  assert.ok(s.includes('crate::w'));
});

test('a planted cycle through `use` is found', () => {
  const c = found({
    'src/lib.rs': 'mod a;\nmod b;\n',
    'src/a.rs': 'use crate::b::B;\npub struct A;\n',
    'src/b.rs': 'use crate::a::A;\npub struct B;\n',
  });
  assert.deepEqual(c, [['a.rs', 'b.rs']]);
});

test('inline paths, braced trees and re-exports make edges too', () => {
  const c = found({
    'src/lib.rs': 'mod a;\nmod b;\nmod c;\npub use c::C;\n',
    'src/a.rs': 'pub trait T {}\nimpl crate::b::Marker for u8 {}\n',
    'src/b.rs': 'use crate::{C, x::Y};\npub trait Marker {}\n',
    'src/c.rs': 'pub struct C;\nimpl crate::a::T for C {}\n',
  });
  assert.deepEqual(c, [['a.rs', 'b.rs', 'c.rs']]);
});

test('a child using its ancestors is no cycle; a directory module reaches its children', () => {
  assert.deepEqual(
    found({
      'src/lib.rs': 'mod store;\npub const LIMIT: usize = 1;\n',
      'src/store/mod.rs': 'mod page;\npub use page::Page;\npub struct Store;\n',
      'src/store/page.rs': 'use super::Store;\nuse crate::LIMIT;\npub struct Page;\n',
    }),
    [],
  );
  // ...but a sibling that the parent module uses, using the parent's other child, is.
  const c = found({
    'src/lib.rs': 'mod x;\nmod y;\n',
    'src/x/mod.rs': 'mod inner;\n',
    'src/x/inner.rs': 'use crate::y::Y;\n',
    'src/y.rs': 'use crate::x::Z;\npub struct Y;\n',
  });
  assert.deepEqual(c, [['x/inner.rs', 'x/mod.rs', 'y.rs']]);
});

test('`super` inside an inline test module means the file itself', () => {
  assert.deepEqual(
    found({
      'src/lib.rs': 'mod a;\nmod b;\n',
      'src/a.rs': 'pub fn f() {}\n#[cfg(test)]\nmod tests {\n    use super::f;\n}\n',
      'src/b.rs': 'use crate::a::f;\n',
    }),
    [],
  );
});

test('the command exits 1 on a planted cycle and names its files', () => {
  const dir = crate({
    'src/lib.rs': 'mod a;\nmod b;\n',
    'src/a.rs': 'pub fn f() { crate::b::g() }\n',
    'src/b.rs': 'pub fn g() { crate::a::f() }\n',
  });
  try {
    assert.throws(
      () => execFileSync('node', [script, dir], { stdio: 'pipe' }),
      (e) => e.status === 1 && /import cycle through 2 files/.test(e.stderr.toString()),
    );
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test("the project's crates have no import cycle", () => {
  const root = join(here, '..');
  for (const c of ['crates/ruvector-core', 'crates/ruvector-wasm']) {
    assert.deepEqual(cycles(graphOf(join(root, c))), [], c);
  }
});
