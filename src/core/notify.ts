/**
 * Notifications of a failed run and of each new monitoring alert: a Slack-compatible webhook
 * (`{"text": ...}`) and, optionally, an SNS topic (email/SMS subscribers). The webhook URL is a
 * secret (it is the credential of the channel): it comes from the environment or VS Code
 * SecretStorage, and no message, log line or report ever holds it. Senders are injected.
 */
import type { BatchReport, Metric } from './report/model';
import { plainText } from './safeText';

/** Where the CLI (and a run the extension starts) finds the webhook URL. */
export const WEBHOOK_URL_ENV = 'WHISPER_BATCH_WEBHOOK_URL';

export interface Notice {
  kind: 'run-failed' | 'alert';
  /** One line (the SNS subject, at most 100 characters). */
  subject: string;
  text: string;
}

export type Publish = (topicArn: string, subject: string, message: string) => Promise<void>;

export interface NotifyDeps {
  webhookUrl?: string;
  snsTopicArn?: string;
  publish?: Publish;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export interface NotifyResult {
  webhook: 'sent' | 'failed' | 'off';
  sns: 'sent' | 'failed' | 'off';
  /** What went wrong, without the URL. */
  problems: string[];
}

/** Slack mrkdwn control characters: bucket text can form no link, mention or formatting of its own. */
export function slackEscape(s: unknown): string {
  return plainText(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function failedRunNotice(r: Pick<BatchReport, 'reportId' | 'store' | 'errors' | 'transcription'>, reportKey?: string): Notice {
  const first = r.errors[0];
  return {
    kind: 'run-failed',
    subject: `Whisper Batch: run ${r.reportId} failed`.slice(0, 100),
    text: [
      `Whisper Batch: run ${r.reportId} FAILED on ${r.store}`,
      `${r.transcription.chunksTranscribed} transcribed, ${r.transcription.chunksFailed} failed of ${r.transcription.chunksFound}`,
      first ? `first error (${first.phase}): ${first.message}` : '',
      reportKey ? `report: ${reportKey}` : '',
    ]
      .filter(Boolean)
      .join('\n'),
  };
}

export function alertNotice(m: Metric, store: string): Notice {
  return { kind: 'alert', subject: `Whisper Batch alert: ${m.label}`.slice(0, 100), text: `Whisper Batch ALERT on ${store}: ${m.label}: ${m.detail} (target ${m.target}, alert ${m.alert})` };
}

/** The webhook's JSON body: Slack's incoming-webhook format (also read by Mattermost, Rocket.Chat, Teams' Slack connector). */
export function webhookBody(n: Notice): string {
  return JSON.stringify({ text: n.text.split('\n').map(slackEscape).join('\n') });
}

/** Only http(s) URLs; the message never names the URL. */
export function checkWebhookUrl(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? undefined : 'the webhook URL must be http(s)';
  } catch {
    return 'the webhook URL is not a URL';
  }
}

export async function sendNotice(n: Notice, d: NotifyDeps): Promise<NotifyResult> {
  const res: NotifyResult = { webhook: 'off', sns: 'off', problems: [] };
  const jobs: Promise<void>[] = [];
  if (d.webhookUrl) {
    const bad = checkWebhookUrl(d.webhookUrl);
    if (bad) {
      res.webhook = 'failed';
      res.problems.push(bad);
    } else
      jobs.push(
        (d.fetch ?? fetch)(d.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: webhookBody(n), signal: AbortSignal.timeout(d.timeoutMs ?? 10_000), redirect: 'error' })
          .then(async (r) => {
            await r.arrayBuffer().catch(() => undefined);
            if (r.ok) res.webhook = 'sent';
            else {
              res.webhook = 'failed';
              res.problems.push(`webhook: HTTP ${r.status}`);
            }
          })
          .catch((e: unknown) => {
            res.webhook = 'failed';
            // The error text of a failed fetch can carry the URL: only its code is said.
            const code = (e as { cause?: { code?: unknown }; name?: unknown })?.cause?.code ?? (e as { name?: unknown })?.name;
            res.problems.push(`webhook: not delivered (${typeof code === 'string' ? code : 'network error'})`);
          }),
      );
  }
  if (d.snsTopicArn && d.publish) {
    jobs.push(
      d.publish(d.snsTopicArn, plainText(n.subject).replace(/[^\x20-\x7e]/g, '?'), plainText(n.text.replace(/\n/g, ' | ')))
        .then(() => void (res.sns = 'sent'))
        .catch((e: unknown) => {
          res.sns = 'failed';
          res.problems.push(`SNS ${d.snsTopicArn}: ${e instanceof Error ? e.message : String(e)}`);
        }),
    );
  }
  await Promise.all(jobs);
  return res;
}
