/**
 * Counted words are real words in what users read: "1 session", "2 chunks", never "session(s)".
 * Scans the string literals of src/ and webviews/ (comments and code like `(s) =>` are not text).
 */
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { plural } from '../../src/core/plural';

const ROOT = path.resolve(__dirname, '..', '..', '..');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** The text of the string and template literals of a TypeScript file (a small lexer: quotes, templates, comments). */
function literals(src: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '/' && src[i + 1] === '/') i = src.indexOf('\n', i) < 0 ? src.length : src.indexOf('\n', i);
    else if (c === '/' && src[i + 1] === '*') i = src.indexOf('*/', i + 2) < 0 ? src.length : src.indexOf('*/', i + 2) + 2;
    else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      out.push(src.slice(i + 1, j));
      i = j + 1;
    } else i++;
  }
  return out;
}

describe('plurals', function () {
  it('plural() says 1 session, 2 sessions, 0 chunks', function () {
    assert.equal(plural(1, 'session'), '1 session');
    assert.equal(plural(2, 'session'), '2 sessions');
    assert.equal(plural(0, 'chunk'), '0 chunks');
    assert.equal(plural(1, 'missing chunk'), '1 missing chunk');
  });

  it('no "word(s)" in the user-facing strings of src/ and webviews/', function () {
    const found: string[] = [];
    for (const f of [...files(path.join(ROOT, 'src')), ...files(path.join(ROOT, 'webviews'))]) {
      for (const lit of literals(readFileSync(f, 'utf8'))) {
        for (const m of lit.matchAll(/\b([A-Za-z]+)\((s|es)\)/g)) if (m[1] !== 'http') found.push(`${path.relative(ROOT, f)}: ${m[0]}`);
      }
    }
    assert.deepEqual(found, []);
  });
});
