/**
 * The extension shows text only through src/extension/safeUi.ts (notifications, dialogs, progress,
 * the log channel), which passes it through core/safeText. This reads the sources: a direct call of
 * vscode.window.show*Message / withProgress / createOutputChannel elsewhere would bypass it.
 */
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const SRC = path.resolve(__dirname, '../../../../src/extension');

describe('extension/safeUi', function () {
  it('no file of src/extension but safeUi.ts calls vscode.window.show*Message, withProgress or an unwrapped output channel', function () {
    const offenders: string[] = [];
    for (const f of readdirSync(SRC).filter((n) => n.endsWith('.ts') && n !== 'safeUi.ts')) {
      const text = readFileSync(path.join(SRC, f), 'utf8').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '');
      const bad = /\.\s*show(Information|Warning|Error)Message\s*\(|window\s*\.\s*withProgress\s*\(|\bshow(Information|Warning|Error)Message\b(?!\s*:)/g;
      for (const m of text.matchAll(bad)) offenders.push(`${f}: ${m[0]}`);
      for (const m of text.matchAll(/createOutputChannel\s*\(/g)) if (!/safeLog\s*\([^;]*createOutputChannel/.test(text)) offenders.push(`${f}: ${m[0]}`);
    }
    assert.deepEqual(offenders, []);
  });
});
