/**
 * The SNS side of notifications on a real moto server: the topic gets the notice through our
 * publisher (the SDK client of the factory), and moto delivers it to an HTTP subscriber, a real
 * local server standing in for email/SMS (moto sends no mail). @integration
 */
import * as assert from 'node:assert/strict';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { LazyAwsClientFactory } from '../../src/core/aws/clients';
import { notifyDepsOf } from '../../src/core/aws/sns';
import { failedRunNotice, sendNotice } from '../../src/core/notify';
import { defaultSettings } from '../../src/core/settings';
import { motoCredentials, releaseMoto, startMoto, type MotoServer } from '../support/moto';
import { makeReport } from '../support/reportBuilders';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhookReceiver';

describe('notifications on moto SNS @integration', function () {
  this.timeout(60_000);
  let moto: MotoServer;
  let factory: LazyAwsClientFactory;
  let rx: WebhookReceiver;

  before(async function () {
    moto = await startMoto();
    factory = new LazyAwsClientFactory();
    rx = await startWebhookReceiver('sns-subscriber');
  });
  after(async function () {
    await rx?.close();
    await factory?.dispose();
    await releaseMoto();
  });

  function settingsFor(topicArn: string) {
    const s = defaultSettings();
    s.aws.endpoint = moto.endpoint;
    s.notify.snsTopicArn = topicArn;
    return s;
  }

  it('a failed run is published to the topic (subject and lines) and reaches its subscriber', async function () {
    const sns = await factory.sns({ region: 'us-east-1', endpoint: moto.endpoint, credentials: motoCredentials });
    const topic = (await sns.send(new CreateTopicCommand({ Name: 'whisper-batch-test' }))).TopicArn!;
    await sns.send(new SubscribeCommand({ TopicArn: topic, Protocol: 'http', Endpoint: rx.url }));
    rx.received.length = 0; // a subscription confirmation, if moto sends one
    const report = makeReport({ status: 'failed', store: 's3://bucket' });
    report.errors = [{ phase: 'transcribe', message: 'chunk u1/s\nerror: forged <!channel>' } as (typeof report.errors)[number]];
    const res = await sendNotice(failedRunNotice(report)!, notifyDepsOf(settingsFor(topic), undefined, factory, motoCredentials));
    assert.deepEqual(res, { webhook: 'off', sns: 'sent', problems: [] });
    const deadline = Date.now() + 10_000;
    while (!rx.received.some((r) => r.body.includes('Notification')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const msg = JSON.parse(rx.received.find((r) => r.body.includes('Notification'))!.body);
    assert.equal(msg.TopicArn, topic);
    assert.equal(msg.Subject, 'Whisper Batch: run batch-2026-11-25-1030 FAILED');
    const lines = String(msg.Message).split('\n');
    assert.equal(lines[0], 'Whisper Batch: run batch-2026-11-25-1030 FAILED on s3://bucket');
    assert.ok(lines.includes('first error (transcribe): chunk u1/s\\nerror: forged <!channel>'), lines.join(' | '));
    assert.ok(!lines.some((l) => l.startsWith('error:')));
  });

  it('a topic that does not exist is a problem, not a throw; the webhook still goes', async function () {
    const web = await startWebhookReceiver();
    try {
      const res = await sendNotice(
        failedRunNotice(makeReport({ status: 'failed' }))!,
        notifyDepsOf(settingsFor('arn:aws:sns:us-east-1:123456789012:no-such-topic'), web.url, factory, motoCredentials),
      );
      assert.equal(res.webhook, 'sent');
      assert.equal(res.sns, 'failed');
      assert.match(res.problems.join(), /SNS arn:aws:sns:us-east-1:123456789012:no-such-topic/);
      assert.equal(web.received.length, 1);
    } finally {
      await web.close();
    }
  });
});
