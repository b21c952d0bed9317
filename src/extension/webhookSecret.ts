/**
 * The notification webhook URL is the channel's credential (anyone with it can post): it lives in
 * VS Code SecretStorage, never in settings. Runs the extension starts get it in their environment
 * (the CLI reads WEBHOOK_URL_ENV), and this window reads it for the alerts it sends itself.
 */
import * as vscode from 'vscode';
import { checkWebhookUrl, WEBHOOK_URL_ENV } from '../core/notify';

const KEY = 'whisperBatch.notify.webhookUrl';

export const webhookUrlOf = async (secrets: vscode.SecretStorage): Promise<string | undefined> => (await secrets.get(KEY)) || undefined;

export async function webhookEnv(secrets: vscode.SecretStorage): Promise<NodeJS.ProcessEnv> {
  const url = await webhookUrlOf(secrets);
  return url ? { [WEBHOOK_URL_ENV]: url } : {};
}

/**
 * Asks for the URL (hidden input), or takes it as the command's argument (scripts, tests); an
 * empty answer removes it. Returns what was done.
 */
export async function setWebhookUrl(secrets: vscode.SecretStorage, given?: unknown): Promise<'stored' | 'removed' | 'cancelled'> {
  const value =
    typeof given === 'string'
      ? given
      : await vscode.window.showInputBox({
          title: 'Whisper Batch: Notification Webhook URL',
          prompt: 'Slack-compatible incoming webhook for failed runs and new alerts, kept in VS Code SecretStorage (empty: remove it)',
          password: true,
          ignoreFocusOut: true,
          validateInput: (v) => (v === '' ? undefined : checkWebhookUrl(v)),
        });
  if (value === undefined) return 'cancelled';
  if (value === '') {
    await secrets.delete(KEY);
    return 'removed';
  }
  if (checkWebhookUrl(value)) return 'cancelled';
  await secrets.store(KEY, value);
  return 'stored';
}
