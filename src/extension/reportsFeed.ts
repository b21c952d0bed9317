/** The Reports view's feed: the newest reports of the current store, listed into the ReportsTree. */
import type * as vscode from 'vscode';
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
    } catch (e) {
      this.log.error(`reports: ${describeError(e)}`);
    }
  }
}
