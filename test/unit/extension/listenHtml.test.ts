import * as assert from 'node:assert/strict';
import { isFromListenView } from '../../../src/core/listenProtocol';
import { listenCsp, renderListenPage } from '../../../src/extension/listenHtml';

describe('extension/listenHtml', function () {
  it('CSP: nonce scripts only, media only from blob: (no network), nothing else', function () {
    assert.equal(
      listenCsp('https://x.vscode-cdn.net', 'N0nceN0nceN0nce1'),
      "default-src 'none'; script-src 'nonce-N0nceN0nceN0nce1'; style-src https://x.vscode-cdn.net 'nonce-N0nceN0nceN0nce1'; media-src blob:; font-src https://x.vscode-cdn.net",
    );
    const html = renderListenPage({ cspSource: 'https://c', scriptUri: 'https://c/listen.js"><x>', styleUri: 'https://c/listen.css', nonce: 'N0nceN0nceN0nce1' });
    assert.ok(!html.includes('"><x>') && html.includes('&quot;&gt;&lt;x&gt;'));
    assert.throws(() => renderListenPage({ cspSource: 'c', scriptUri: 's', styleUri: 's', nonce: "a' 'unsafe-inline" }));
  });

  it('accepts only the messages the page sends', function () {
    assert.ok(isFromListenView({ type: 'ready' }));
    assert.ok(isFromListenView({ type: 'played', word: 3 }));
    for (const bad of [null, 'ready', { type: 'played', word: 1.5 }, { type: 'played', word: '1' }, { type: 'open', key: 'x' }]) assert.equal(isFromListenView(bad), false);
  });
});
