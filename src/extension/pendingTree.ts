/** The Pending view: maps PendingModel to TreeItems; menus pick actions by contextValue. */
import * as vscode from 'vscode';
import type { Clock } from '../core/clock';
import { Disposable, toDisposable } from './lifecycle';
import { contextValueOf, describeNode, type PendingModel, type PendingNode } from './pendingModel';

/**
 * Users start expanded while the tree is small. With thousands of sessions the workbench would take
 * in every row at once (5,000 sessions: ~290 ms against ~100 ms collapsed, bench/editorBench.ts).
 */
export const EXPAND_USERS_UP_TO = 200;
export class PendingTree extends Disposable implements vscode.TreeDataProvider<PendingNode> {
  private readonly changed = this._register(new vscode.EventEmitter<PendingNode | undefined>());
  readonly onDidChangeTreeData = this.changed.event;

  constructor(
    private readonly model: PendingModel,
    private readonly clock: Clock,
  ) {
    super();
    this._register(toDisposable(() => undefined));
    this._register(model.onDidChange(() => this.refresh()));
  }

  refresh(node?: PendingNode): void {
    this.changed.fire(node);
  }

  getChildren(node?: PendingNode): PendingNode[] {
    if (!node) return [...this.model.roots];
    if (node.kind === 'user') return node.sessions;
    if (node.kind === 'session') return node.chunks;
    return [];
  }

  getParent(node: PendingNode): PendingNode | undefined {
    if (node.kind === 'chunk') return node.session;
    if (node.kind === 'session') return this.model.roots.find((u) => u.userId === node.userId);
    return undefined;
  }

  /** Sessions under all users (counted once per scan). */
  private sessionsShown(): number {
    const roots = this.model.roots;
    if (this.counted?.roots !== roots) this.counted = { roots, sessions: roots.reduce((n, u) => n + u.sessions.length, 0) };
    return this.counted.sessions;
  }
  private counted?: { roots: readonly PendingNode[]; sessions: number };

  getTreeItem(node: PendingNode): vscode.TreeItem {
    const d = describeNode(node, this.clock.now());
    const userState = this.sessionsShown() <= EXPAND_USERS_UP_TO ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed;
    const collapsible = node.kind === 'chunk' ? vscode.TreeItemCollapsibleState.None : node.kind === 'user' ? userState : vscode.TreeItemCollapsibleState.Collapsed;
    const item = new vscode.TreeItem(d.label, collapsible);
    item.id = node.id;
    item.description = d.description;
    item.tooltip = d.tooltip;
    item.contextValue = contextValueOf(node);
    if (node.kind === 'user') item.iconPath = new vscode.ThemeIcon('account');
    else if (node.kind === 'chunk') item.iconPath = node.quarantined ? new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('list.warningForeground')) : new vscode.ThemeIcon('file-media');
    else
      item.iconPath =
        node.state === 'pending'
          ? new vscode.ThemeIcon('mic', new vscode.ThemeColor('charts.blue'))
          : node.state === 'recording'
            ? new vscode.ThemeIcon('record', new vscode.ThemeColor('charts.red'))
            : node.state === 'quarantined'
              ? new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('list.warningForeground'))
              : new vscode.ThemeIcon('lock', new vscode.ThemeColor('charts.yellow'));
    return item;
  }
}
