import * as assert from 'node:assert/strict';
import { plainText, terminalLines, terminalText, uiText } from '../../../src/core/safeText';

/** Every character that can change how a terminal, a log or a page shows the rest of a line. */
const UNSAFE = [
  '\x1b',
  '\x9b',
  '\x9d',
  '\x07',
  '\x08',
  '\r',
  '\n',
  '\t',
  '\x00',
  '\x7f',
  '\u202e',
  '\u202d',
  '\u2066',
  '\u2067',
  '\u2068',
  '\u2069',
  '\u200e',
  '\u200f',
  '\u061c',
  '\u2028',
  '\u2029',
  '\u200b',
  '\ufeff',
];

describe('core/safeText', function () {
  it('terminal: ESC/CSI/OSC, C1, bidi and line breaks become visible escapes, nothing unsafe is left', function () {
    const id = 'a\x1b]0;pwned\x07b\x1b[2J\x9b31mc\u202eevil\u2066d\r\nerror: forged';
    const out = terminalText(id);
    for (const c of UNSAFE) assert.ok(!out.includes(c), `U+${c.charCodeAt(0).toString(16)} left in ${JSON.stringify(out)}`);
    assert.equal(out, 'a\\x1b]0;pwned\\x07b\\x1b[2J\\x9b31mc\\u202eevil\\u2066d\\r\\nerror: forged');
    for (const c of UNSAFE) assert.ok(!terminalText(`x${c}y`).includes(c));
  });

  it('keeps ordinary text, quotes, unicode and emoji as they are', function () {
    for (const s of ['session_2025-11-09T14_32_10_123Z', `it's "quoted" <img> & 100%`, 'ünïcødé 会话 🎙', 'عربي', 'C:\\path\\x']) assert.equal(plainText(s), s);
  });

  it('ui: no markdown link and no codicon can form, the text reads the same', function () {
    const id = '[details](command:workbench.action.openSettings?%5B%22x%22%5D) $(zap) $(loading~spin)';
    const out = uiText(id);
    assert.doesNotMatch(out, /\]\(/);
    assert.doesNotMatch(out, /\$\(/);
    assert.equal(out.replace(/\u200b/g, ''), id);
    assert.equal(uiText('a\nb'), 'a\\nb');
  });

  it('a multi-line message of our own keeps its lines, but no line of it can start like a log line', function () {
    assert.equal(terminalLines('Invalid settings:\n  - a\n  - b'), 'Invalid settings:\n  - a\n  - b');
    const out = terminalLines('No such object: users/u/a\nerror: forged\x1b[2J');
    assert.ok(out.split('\n').every((l, i) => i === 0 || /^\s/.test(l)));
    assert.ok(!out.includes('\x1b'));
  });
});
