import * as assert from 'node:assert/strict';
import { makeNonce, renderReportPage, reportCsp } from '../../../src/extension/reportHtml';

describe('extension/reportHtml', function () {
  const cspSource = 'https://*.vscode-cdn.net';
  const parts = {
    cspSource,
    scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webviews/report.js',
    styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webviews/report.css',
    nonce: 'abcDEF0123456789xyz',
  };

  it('builds the strict CSP: nothing by default, scripts by nonce only, local styles, images and fonts', function () {
    assert.equal(
      reportCsp(cspSource, 'N0nce0000000000000'),
      `default-src 'none'; script-src 'nonce-N0nce0000000000000'; style-src ${cspSource} 'nonce-N0nce0000000000000'; img-src ${cspSource} data:; font-src ${cspSource}`,
    );
  });

  it('puts the CSP in a meta tag and the nonce on its one script and stylesheet', function () {
    const page = renderReportPage(parts);
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(page);
    assert.ok(meta, 'CSP meta present');
    assert.equal(meta[1], reportCsp(cspSource, parts.nonce));
    const scripts = [...page.matchAll(/<script([^>]*)>/g)].map((m) => m[1]);
    assert.deepEqual(scripts, [` nonce="${parts.nonce}" src="${parts.scriptUri}"`]);
    assert.ok(page.includes(`<link rel="stylesheet" href="${parts.styleUri}" nonce="${parts.nonce}">`));
    assert.ok(!/ on[a-z]+=/i.test(page), 'no inline handler');
    assert.ok(!page.includes('style="'), 'no inline style attribute');
  });

  it('holds no report data: the page gets it by message', function () {
    const page = renderReportPage(parts);
    assert.ok(!page.includes('{'), 'no JSON in the page');
    assert.ok(!/batch-\d{4}/.test(page));
  });

  it('escapes the URIs it is given and refuses a nonce that is not plain', function () {
    const page = renderReportPage({ ...parts, scriptUri: 'x"><img src=x onerror=alert(1)>' });
    assert.ok(!page.includes('<img'));
    assert.ok(page.includes('x&quot;&gt;&lt;img'));
    assert.throws(() => renderReportPage({ ...parts, nonce: `abc'; script-src *` }), /nonce/);
    assert.throws(() => renderReportPage({ ...parts, nonce: 'short' }), /nonce/);
  });

  it('makes a fresh alphanumeric nonce each time', function () {
    const a = makeNonce();
    const b = makeNonce();
    assert.match(a, /^[A-Za-z0-9]{16,}$/);
    assert.notEqual(a, b);
  });
});
