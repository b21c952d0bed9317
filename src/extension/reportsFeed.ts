/** The Reports view's feed: the newest reports of the current store, listed into the ReportsTree. */
import * as vscode from 'vscode';
import { describeError } from '../core/errors';
import { listReports } from '../core/report/reportStore';
import type { ReportSummary } from '../core/report/model';
import { Disposable } from './lifecycle';
import { ReportsTree } from './reportsTree';
import type { SettingsState } from './settingsState';

export class ReportsFeed extends Disposable {
  readonly tree = this._register(new ReportsTree());

  constructor(
    private readonly settings: SettingsState,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
  }

  get items(): readonly ReportSummary[] {
    return this.tree.items;
  }

  async refresh(): Promise<void> {
    if (!this.settings.configured) return this.tree.set([]);
    try {
      this.tree.set(await listReports(this.settings.store(), this.settings.layout, 100));
      // The Reports view's empty state ("No reports yet") only once a listing said so, not while loading.
      void vscode.commands.executeCommand('setContext', 'whisperBatch.reportsListed', true);
    } catch (e) {
      this.log.error(`reports: ${describeError(e)}`);
    }
  }
}
