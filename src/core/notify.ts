/**
 * Notifications of a failed run and of each new monitoring alert: a Slack-compatible webhook
 * (`{"text": ...}`) and, optionally, an SNS topic (email/SMS subscribers). The webhook URL is a
 * secret (it is the credential of the channel): it comes from the environment or VS Code
 * SecretStorage, and no message, log line or report ever holds it. Senders are injected.
 */
import type { BatchReport, Metric } from './report/model';
import { plainText } from './safeText';
import type { Settings } from './settings';
import { describeOrigin, type RunOrigin } from './runOrigin';

/** Where the CLI (and a run the extension starts) finds the webhook URL. */
export const WEBHOOK_URL_ENV = 'WHISPER_BATCH_WEBHOOK_URL';

export interface Notice {
  kind: 'run-failed' | 'alert';
  /** One line (the SNS subject, at most 100 printable ASCII characters). */
  subject: string;
  /** Each line already plain (plainText): a newline in bucket text cannot start a line of its own. */
  lines: string[];
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

/** One line of a notice: plain, and short (an error text quoting a long key stays readable). */
const line = (s: unknown) => {
  const p = plainText(s);
  return p.length > 500 ? `${p.slice(0, 500)}...` : p;
};

const ZWSP = '\u200b';

/**
 * Text for a Slack message. Slack decodes only `&amp;`, `&lt;`, `&gt;` (so only those are escaped),
 * and `<...>` is its syntax for links and mentions (`<!channel>`, `<url|text>`). It also links bare
 * URLs, domains and e-mail addresses on its own (an incoming webhook ignores `parse: none`), so a
 * zero-width space is put where such text would form: after `:` in `scheme://`, after a dot that
 * a letter follows (`evil.example`, `www.x`), after `@` and `#` (`@here`, `mail@x`, `#channel`). The
 * text still reads the same; no session id, key or error text becomes a link or a mention.
 */
export function slackEscape(s: unknown): string {
  return plainText(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/:\/\//g, `:${ZWSP}//`)
    .replace(/\.(?=[\p{L}])/gu, `.${ZWSP}`)
    .replace(/([@#])/g, `$1${ZWSP}`);
}

type RunOfNotice = Pick<BatchReport, 'reportId' | 'status' | 'store' | 'errors' | 'transcription'>;

/** A run that failed, or transcribed only part of what it found; undefined for any other run. */
export function failedRunNotice(r: RunOfNotice, reportKey?: string): Notice | undefined {
  if (r.status !== 'failed' && r.status !== 'partial') return undefined;
  const what = r.status === 'failed' ? 'FAILED' : 'partly failed';
  const first = r.errors[0];
  return {
    kind: 'run-failed',
    subject: asciiSubject(`Whisper Batch: run ${r.reportId} ${what}`),
    lines: [
      line(`Whisper Batch: run ${r.reportId} ${what} on ${r.store}`),
      line(`${r.transcription.chunksTranscribed} transcribed, ${r.transcription.chunksFailed} failed of ${r.transcription.chunksFound}`),
      ...(first ? [line(`first error (${first.phase}): ${first.message}`)] : []),
      ...(reportKey ? [line(`report: ${reportKey}`)] : []),
    ],
  };
}

/**
 * A run that ended without its report: it threw before writing one (the bucket unreachable at the
 * scan, the engine not set up...), or the report itself could not be written. Nothing in the store
 * says so, so this notice is the only trace a timer's run leaves: it names what failed.
 */
export function unreportedRunNotice(o: { stage: string; error: string; store: string; origin?: RunOrigin; reportId?: string; firstError?: string }): Notice {
  const run = o.reportId ? `run ${o.reportId}` : 'a run';
  return {
    kind: 'run-failed',
    subject: asciiSubject(`Whisper Batch: ${run} FAILED, no report written (${o.stage})`),
    lines: [
      line(`Whisper Batch: ${run} on ${o.store} FAILED and wrote no report: ${o.stage} failed`),
      line(`what failed: ${o.error}`),
      ...(o.firstError ? [line(`first error of the run: ${o.firstError}`)] : []),
      ...(o.origin ? [line(`started by: ${describeOrigin(o.origin)}`)] : []),
    ],
  };
}

export function alertNotice(m: Metric, store: string): Notice {
  return { kind: 'alert', subject: asciiSubject(`Whisper Batch alert: ${m.label}`), lines: [line(`Whisper Batch ALERT on ${store}: ${m.label}: ${m.detail} (target ${m.target}, alert ${m.alert})`)] };
}

/** What to send after a run, by the notify.* settings: the run if it failed, and each alert new since the last check. */
export function noticesAfterRun(o: { run?: RunOfNotice; reportKey?: string; fresh: Metric[]; store: string; settings: Pick<Settings['notify'], 'onFailedRun' | 'onAlert'> }): Notice[] {
  const out: Notice[] = [];
  const failed = o.run && o.settings.onFailedRun ? failedRunNotice(o.run, o.reportKey) : undefined;
  if (failed) out.push(failed);
  if (o.settings.onAlert) for (const m of o.fresh) out.push(alertNotice(m, o.store));
  return out;
}

/** SNS subjects: ASCII, no line breaks, at most 100 characters. */
function asciiSubject(s: string): string {
  return plainText(s)
    .replace(/[^\x20-\x7e]/g, '?')
    .slice(0, 100);
}

/** The webhook's JSON body: Slack's incoming-webhook format (also read by Mattermost, Rocket.Chat). mrkdwn off: `*`, `_`, `~` in bucket text stay characters. */
export function webhookBody(n: Notice): string {
  return JSON.stringify({ text: n.lines.map(slackEscape).join('\n'), mrkdwn: false });
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
        (d.fetch ?? fetch)(d.webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: webhookBody(n),
          signal: AbortSignal.timeout(d.timeoutMs ?? 10_000),
          redirect: 'error',
        })
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
      d
        .publish(d.snsTopicArn, n.subject, n.lines.join('\n'))
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

/** Sends each notice; returns every problem (for a warning line: no URL in it). */
export async function sendNotices(ns: Notice[], d: NotifyDeps): Promise<string[]> {
  const problems: string[] = [];
  for (const n of ns) problems.push(...(await sendNotice(n, d)).problems);
  return [...new Set(problems)];
}
