/**
 * The passphrase of the SSH key (host.transport = "ssh") lives in VS Code SecretStorage, never in
 * settings or a file. A run gets it in its environment (the CLI reads SSH_PASSPHRASE_ENV), so it
 * reaches no log, event file, report or settings file.
 */
import * as vscode from 'vscode';
import { SSH_PASSPHRASE_ENV } from '../core/remote/remoteRunner';

const KEY = 'whisperBatch.host.sshKeyPassphrase';

/** The environment a spawned CLI needs for the secret, or nothing when none is stored. */
export async function secretEnv(secrets: vscode.SecretStorage): Promise<NodeJS.ProcessEnv> {
  const passphrase = await secrets.get(KEY);
  return passphrase ? { [SSH_PASSPHRASE_ENV]: passphrase } : {};
}

export async function hasSshPassphrase(secrets: vscode.SecretStorage): Promise<boolean> {
  return !!(await secrets.get(KEY));
}

/** Asks for the passphrase (hidden input); an empty answer removes the stored one. Returns what was done. */
export async function promptSshPassphrase(secrets: vscode.SecretStorage): Promise<'stored' | 'removed' | 'cancelled'> {
  const value = await vscode.window.showInputBox({
    title: 'Whisper Batch: SSH Key Passphrase',
    prompt: 'Passphrase of the key in whisperBatch.host.sshKeyPath, kept in VS Code SecretStorage (empty: remove it)',
    password: true,
    ignoreFocusOut: true,
  });
  if (value === undefined) return 'cancelled';
  if (value === '') {
    await secrets.delete(KEY);
    return 'removed';
  }
  await secrets.store(KEY, value);
  return 'stored';
}
