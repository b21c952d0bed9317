import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { escapeHtml, renderReportHtml } from '../../../../src/core/report/html';
import { hostileReport, makeReport, XSS } from '../../../support/reportBuilders';

/** Tags the page itself writes; any other tag name in the output came from data. */
const OWN_TAGS = new Set('html head meta title style body main h1 h2 p dl div dt dd span small table thead tbody tr th td ul li footer'.split(' '));

function tagNames(page: string): string[] {
  return [...page.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9-]*)/g)].map((m) => m[1].toLowerCase());
}

describe('report/html', function () {
  it('escapes the five HTML specials and backticks', function () {
    assert.equal(escapeHtml(`<a href="x" title='y'>&\`</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&#96;&lt;/a&gt;');
    assert.equal(escapeHtml(undefined), '');
    assert.equal(escapeHtml(12.5), '12.5');
  });

  it('renders a successful report with summary, timeline, sessions and cost', function () {
    const r = makeReport({}, 3);
    const page = renderReportHtml(r);
    assert.match(page, /^<!DOCTYPE html>/);
    assert.ok(page.includes('batch-2026-11-25-1030'));
    assert.ok(page.includes('i-0abc123def4567890'));
    assert.ok(page.includes('started by this run'));
    assert.ok(page.includes('$0.159'), 'cost');
    assert.ok(page.includes('Cost per audio hour'));
    for (const label of ['Start requested', 'Ready', 'First chunk', 'Last chunk', 'Stop requested', 'Stopped']) assert.ok(page.includes(`<td>${label}</td>`), label);
    assert.ok(page.includes('2026-11-25 10:33:40 UTC'), 'ready time formatted');
    assert.ok(page.includes('+3m 38s'), 'ready offset from start');
    for (const s of r.sessions) assert.ok(page.includes(s.sessionId), s.sessionId);
    assert.ok(page.includes('prefers-color-scheme: dark'));
  });

  it('allows its only style by hash and no script at all', function () {
    const page = renderReportHtml(makeReport());
    const css = /<style>([\s\S]*?)<\/style>/.exec(page)![1];
    const hash = createHash('sha256').update(css).digest('base64');
    assert.ok(page.includes(`default-src 'none'; style-src 'sha256-${hash}'`));
    assert.ok(!/<script/i.test(page));
  });

  it('escapes every field of a hostile report: no tag from data reaches the page', function () {
    const page = renderReportHtml(hostileReport());
    assert.ok(!page.includes('<img'), 'no raw <img');
    assert.ok(!page.includes('<svg'), 'no raw <svg');
    assert.ok(!page.includes('<script'), 'no raw <script');
    assert.ok(!page.includes('<b>7</b>') && !page.includes('<i>x</i>') && !page.includes('<u>'));
    const foreign = tagNames(page).filter((t) => !OWN_TAGS.has(t));
    assert.deepEqual(foreign, []);
    // The text survives, escaped, once per place it appears.
    assert.ok(page.includes(escapeHtml(XSS)));
    assert.ok(page.includes('&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;'), 'user id');
    assert.ok(page.includes('&lt;img src=x onerror=alert(6)&gt; &amp; more'), 'error message');
    assert.ok(page.includes('&lt;/style&gt;&lt;img src=x&gt;'), 'model name cannot close the style element');
    assert.ok(page.includes('&lt;img src=x onerror=alert(9)&gt;'), 'unparsable time shown as escaped text');
    // Exactly one <style> element and its closing tag: data did not add any.
    assert.equal(page.split('</style>').length, 2);
  });

  it('renders a skipped report without touching host fields', function () {
    const r = makeReport({ status: 'skipped' }, 0);
    r.gpu = {
      ...r.gpu,
      host: 'local',
      instanceId: 'localhost',
      started: false,
      startTime: null,
      readyTime: null,
      firstChunkTime: null,
      lastChunkTime: null,
      stopRequestedTime: null,
      stopTime: null,
      runtimeSeconds: 0,
      runtimeHuman: '0s',
      costUSD: 0,
    };
    r.transcription = { ...r.transcription, chunksFound: 0, chunksTranscribed: 0, costPerAudioHourUSD: null, audioSeconds: 0 };
    const page = renderReportHtml(r);
    assert.ok(page.includes('s-skipped'));
    assert.ok(page.includes('Nothing was pending'));
    assert.ok(page.includes('The host was not used in this run.'));
    assert.ok(page.includes('No session was processed.'));
    assert.ok(page.includes('No errors.'));
    assert.ok(page.includes('not started'));
  });

  it('renders a failed report with its errors and a left-running host', function () {
    const r = makeReport({ status: 'failed' }, 1);
    r.gpu = { ...r.gpu, started: false, alreadyRunning: true, stopRequestedTime: null, stopTime: null };
    r.errors = [
      { phase: 'host-ready', message: 'whisperlive is not active after 600 s' },
      { phase: 'transcribe', message: 'engine error', sessionId: 's1', chunk: '004' },
    ];
    const page = renderReportHtml(r);
    assert.ok(page.includes('s-failed'));
    assert.ok(page.includes('already running, left running'));
    assert.ok(page.includes('Errors (2)'));
    assert.ok(page.includes('<span class="phase">host-ready</span>: whisperlive is not active after 600 s'));
    assert.ok(page.includes('(session &quot;s1&quot;, chunk 004)'));
  });

  it('gives an unknown status no class of its own', function () {
    const r = makeReport();
    (r as { status: string }).status = 'x" onmouseover="alert(1)';
    const page = renderReportHtml(r);
    assert.ok(page.includes('class="status s-unknown"'));
    assert.ok(!page.includes('onmouseover="'));
  });
});
