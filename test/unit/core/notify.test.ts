/**
 * Notifications against a real local HTTP receiver (the webhook side; Slack itself cannot run here).
 * SNS is tested on moto in test/integration/notifySns.test.ts.
 */
import * as assert from 'node:assert/strict';
import { alertNotice, failedRunNotice, noticesAfterRun, sendNotice, sendNotices, webhookBody } from '../../../src/core/notify';
import type { Metric } from '../../../src/core/report/model';
import { makeReport } from '../../support/reportBuilders';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhookReceiver';
import { freePort } from '../../support/moto';

const HOSTILE = 'u1/s <!channel> <https://evil.example|click me> & *bold* \x1b[31m\nerror: forged line';

function failedRun() {
  const r = makeReport({ status: 'failed', store: 's3://bucket/prefix' });
  r.errors = [{ phase: 'transcribe', message: `chunk ${HOSTILE} could not be decoded` } as (typeof r.errors)[number]];
  return r;
}

const alert: Metric = { id: 'costPerDay', label: 'Cost per day', value: 1.5, unit: 'USD', target: '< $0.50', alert: '> $1.00', state: 'alert', detail: '$1.50 over the last 24 h' };

describe('notifications (webhook)', function () {
  let rx: WebhookReceiver;
  beforeEach(async function () {
    rx = await startWebhookReceiver();
  });
  afterEach(async function () {
    await rx.close();
  });

  it('a failed run posts Slack JSON to the webhook; bucket text forms no mention, link, formatting or line of its own', async function () {
    const n = failedRunNotice(failedRun(), 'batch-reports/batch-1.json')!;
    const res = await sendNotice(n, { webhookUrl: rx.url });
    assert.deepEqual(res, { webhook: 'sent', sns: 'off', problems: [] });
    assert.equal(rx.received.length, 1);
    const got = rx.received[0];
    assert.equal(got.method, 'POST');
    assert.equal(got.contentType, 'application/json');
    const body = JSON.parse(got.body);
    assert.equal(body.mrkdwn, false);
    const text: string = body.text;
    assert.match(text, /run batch-2026-11-25-1030 FAILED on s3:\u200b\/\/bucket\/prefix/);
    assert.ok(!/[<>]/.test(text), `no < or > reaches Slack: ${text}`);
    assert.ok(text.includes('&lt;!channel&gt;') && text.includes('&lt;https:\u200b//evil.\u200bexample|click me&gt;') && text.includes('&amp;'));
    assert.ok(!text.includes('\x1b'), 'no escape character');
    assert.ok(!text.split('\n').some((l) => l.startsWith('error:')), 'a newline in bucket text starts no line');
    assert.match(text, /\\nerror: forged line/);
    assert.match(text, /report: batch-reports\/batch-1\.\u200bjson/);
  });

  it('hostile session ids and keys form no link, mention or Slack markup: URLs, domains, e-mail, @here, #channel, <...> are broken', async function () {
    const ids = [
      '<!here> <!channel> <@U024BE7LH> <#C024BE7LH|general>',
      'https://evil.example/login?next=1 http://169.254.169.254/latest',
      'www.evil.example evil.example/path mailto:x@evil.example ftp://evil.example',
      '@here @channel @everyone #general a&b <b>x</b> &lt;not-an-entity&gt;',
    ];
    const r = makeReport({ status: 'partial', store: 's3://recordings' });
    // A notice quotes the first error (its message quotes the key) and the report's key.
    r.errors = [{ phase: 'transcribe', sessionId: ids[0], chunk: '001', message: ids.map((id) => `users/u/audio/sessions/${id}/chunk-001.webm`).join(' | ') + ': could not be decoded' }];
    const body = JSON.parse(webhookBody(failedRunNotice(r, `batch-reports/${ids[1]}.json`)!)) as { text: string };
    const text = body.text;
    assert.ok(!/[<>]/.test(text), 'no < or >: Slack markup needs them');
    // Decoding what Slack decodes gives the bucket text back, with only zero-width spaces added.
    const shown = text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    assert.ok(shown.replace(/\u200b/g, '').includes('https://evil.example/login?next=1'), 'the text still reads the same');
    assert.ok(shown.includes('&lt;not-an-entity&gt;'), 'an entity in bucket text stays text (its & is escaped)');
    assert.ok(!/[a-z][a-z0-9+.-]*:\/\//i.test(shown), `no scheme:// can form: ${text}`);
    assert.ok(!/\.[a-z]/i.test(shown), `no domain (a dot before a letter): ${text}`);
    assert.ok(!/[@#][\w!]/.test(shown), `no @mention, #channel or e-mail address: ${text}`);
  });

  it('only failed and partial runs make a notice; the settings switch each kind off', function () {
    assert.equal(failedRunNotice(makeReport({ status: 'success' })), undefined);
    assert.equal(failedRunNotice(makeReport({ status: 'skipped' })), undefined);
    assert.match(failedRunNotice(makeReport({ status: 'partial' }))!.subject, /partly failed/);
    const on = { onFailedRun: true, onAlert: true };
    assert.deepEqual(
      noticesAfterRun({ run: failedRun(), fresh: [alert], store: 'x', settings: on }).map((n) => n.kind),
      ['run-failed', 'alert'],
    );
    assert.deepEqual(
      noticesAfterRun({ run: failedRun(), fresh: [alert], store: 'x', settings: { ...on, onFailedRun: false } }).map((n) => n.kind),
      ['alert'],
    );
    assert.deepEqual(
      noticesAfterRun({ run: failedRun(), fresh: [alert], store: 'x', settings: { ...on, onAlert: false } }).map((n) => n.kind),
      ['run-failed'],
    );
    assert.deepEqual(noticesAfterRun({ run: makeReport({ status: 'success' }), fresh: [], store: 'x', settings: on }), []);
  });

  it('an alert notice names the metric, its value and its thresholds', async function () {
    await sendNotices([alertNotice(alert, 's3://b')], { webhookUrl: rx.url });
    assert.equal(
      JSON.parse(rx.received[0].body).text,
      'Whisper Batch ALERT on s3:\u200b//b: Cost per day: $1.50 over the last 24 h (target < $0.50, alert > $1.00)'.replace(/</g, '&lt;').replace(/>/g, '&gt;'),
    );
  });

  it('a refusing or absent receiver is a problem that never names the URL (it is the secret)', async function () {
    rx.status = 500;
    const n = failedRunNotice(failedRun())!;
    const a = await sendNotice(n, { webhookUrl: rx.url });
    assert.equal(a.webhook, 'failed');
    assert.deepEqual(a.problems, ['webhook: HTTP 500']);
    const dead = `http://127.0.0.1:${await freePort()}/services/T0SECRET`;
    const b = await sendNotice(n, { webhookUrl: dead });
    assert.equal(b.webhook, 'failed');
    assert.equal(b.problems.length, 1);
    assert.ok(!b.problems[0].includes('SECRET') && !b.problems[0].includes('127.0.0.1'), b.problems[0]);
    const c = await sendNotice(n, { webhookUrl: 'file:///etc/passwd#SECRET' });
    assert.deepEqual(c.problems, ['the webhook URL must be http(s)']);
    const d = await sendNotice(n, { webhookUrl: 'not a url SECRET' });
    assert.deepEqual(d.problems, ['the webhook URL is not a URL']);
  });

  it('a redirect is not followed (the URL could be sent on to another host)', async function () {
    const target = await startWebhookReceiver('other');
    const http = await import('node:http');
    const srv = http.createServer((_q, s) => s.writeHead(302, { location: target.url }).end());
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const res = await sendNotice(failedRunNotice(failedRun())!, { webhookUrl: `http://127.0.0.1:${(srv.address() as import('node:net').AddressInfo).port}/x` });
      assert.equal(res.webhook, 'failed');
      assert.equal(target.received.length, 0);
    } finally {
      srv.close();
      await target.close();
    }
  });

  it('the body is Slack incoming-webhook JSON: {text, mrkdwn}', function () {
    assert.deepEqual(Object.keys(JSON.parse(webhookBody(alertNotice(alert, 's'))) as object), ['text', 'mrkdwn']);
  });
});
