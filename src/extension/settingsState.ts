/**
 * The window's settings: read and validated from whisperBatch.* (settingsBridge.ts), re-read on a
 * change or when the workspace becomes trusted, with the store they name (opened once per change).
 * Problems are shown once per new set of problems. Everything else reads settings from here.
 */
import * as vscode from 'vscode';
import { WbError } from '../core/errors';
import { Emitter } from '../core/events';
import { BucketLayout } from '../core/layout';
import type { Settings } from '../core/settings';
import type { ObjectStore } from '../core/store/objectStore';
import { CONFIG_SECTION } from './configContribution';
import { Disposable, toDisposable } from './lifecycle';
import { readSettings, settingOfProblem, type SettingsRead } from './settingsBridge';
import { notify } from './safeUi';
import { openStoreFor } from './storeAccess';

export class SettingsState extends Disposable {
  private read: SettingsRead;
  private storeCache: { key: string; store: ObjectStore } | undefined;
  private shownProblems = '';
  private readonly changed = new Emitter<void>();
  /** After every re-read (a whisperBatch.* change, workspace trust granted). */
  readonly onDidChange = (l: () => void) => this.changed.on(l);

  constructor(private readonly log: vscode.LogOutputChannel) {
    super();
    this.read = readSettings();
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(CONFIG_SECTION)) this.reload();
      }),
    );
    this._register(vscode.workspace.onDidGrantWorkspaceTrust(() => this.reload()));
  }

  get current(): Settings {
    return this.read.settings;
  }

  get problems(): readonly string[] {
    return this.read.problems;
  }

  /** Configured = a store chosen by the user (an empty store means: show the welcome view). */
  get configured(): boolean {
    return this.current.store.trim() !== '';
  }

  get trusted(): boolean {
    return vscode.workspace.isTrusted;
  }

  get isLocalHost(): boolean {
    return this.current.host.kind === 'local';
  }

  get layout(): BucketLayout {
    return new BucketLayout(this.current.layout);
  }

  /** The store of the current settings (cached while they do not change). */
  store(): ObjectStore {
    if (!this.configured) throw new WbError('Config', 'No store configured', 'Try the local sample bucket or set whisperBatch.store.');
    const s = this.current;
    const key = JSON.stringify([s.store, s.aws]);
    if (this.storeCache?.key !== key) this.storeCache = { key, store: openStoreFor(s) };
    return this.storeCache.store;
  }

  reload(): void {
    this.read = readSettings();
    this.storeCache = undefined;
    this.showProblems();
    this.changed.emit();
  }

  /** One error message per new set of problems, naming the first setting; all of them in the log. */
  showProblems(): void {
    const problems = this.read.problems.join('\n');
    if (problems && problems !== this.shownProblems) {
      const first = this.read.problems[0];
      const setting = settingOfProblem(first);
      const more = this.read.problems.length - 1;
      void notify
        .error(`Whisper Batch settings: ${first}${more ? ` (and ${more} more, see the log)` : ''}`, 'Open Settings')
        .then((pick) => pick && vscode.commands.executeCommand('workbench.action.openSettings', setting ?? CONFIG_SECTION));
      for (const p of this.read.problems) this.log.error(`setting: ${p}`);
    }
    this.shownProblems = problems;
  }
}
