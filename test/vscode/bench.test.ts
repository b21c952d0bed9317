/**
 * Not a test of behaviour: the editor figures of the benchmark suite (bench/extensionBench.ts runs
 * this suite in code-server with WB_VSCODE_SUITE=bench and reads the JSON it writes to
 * WB_BENCH_OUT). Benchmarks are not timed tests: nothing here asserts a time, only that what was
 * timed did the work (the tree served every session).
 *
 * - activation: the first `activate()` of the extension as a caller in the extension host sees it
 *   (loading dist/extension.js plus the extension's activate()), and activate()'s own share
 *   (WhisperBatchApi.activationMs, performance.now() around its body);
 * - Pending tree, provider: the real PendingModel.setScan (building user > session nodes) and the
 *   real PendingTree getChildren/getTreeItem over every user and every session (all VS Code asks for
 *   when users are expanded; sessions are collapsed, so no chunk);
 * - Pending tree, in the workbench, as shipped: users start collapsed above EXPAND_USERS_UP_TO (200)
 *   sessions, expanded up to it (read from the real getTreeItem, not assumed). The view shown, from
 *   setScan until VS Code has fetched the first render (the user items when they start collapsed,
 *   every session's item when expanded), until `reveal()` of the first session has been done by the
 *   workbench (it has taken the tree in; with users collapsed this opens the first user), and until
 *   `reveal()` of the last one has (it opens the last user, or scrolls every row down);
 *   then the same with every user item forced expanded (a variant that does not ship above 200
 *   sessions: what the tree cost before users started collapsed).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WhisperBatchApi } from '../../src/extension/activate';
import type { PendingNode, SessionNode, UserNode } from '../../src/extension/pendingModel';
import { EXPAND_USERS_UP_TO } from '../../src/extension/pendingTree';
import { EXT_ID, until } from './helpers';

const USERS = Number(process.env.WB_BENCH_TREE_USERS) || 50;
const SESSIONS_PER_USER = Number(process.env.WB_BENCH_TREE_SESSIONS_PER_USER) || 100;
const REPS = Number(process.env.WB_BENCH_REPS) || 5;

export interface EditorBenchFigures {
  vscodeVersion: string;
  node: string;
  activation: {
    wasActiveBefore: boolean;
    /** ext.activate() as a caller sees it: VS Code's activation work, loading the bundle, activate(). */
    activateCallMs: number;
    /** From the call until the bundle's module code had run (VS Code's share + read, compile, evaluate). */
    untilModuleEvaluatedMs: number;
    /** From the bundle evaluated until activate() was entered (VS Code's share). */
    untilActivateMs: number;
    /** activate() itself. */
    activateBodyMs: number;
    /** A second, fresh require() of a copy of the bundle: read, compile, evaluate (no VS Code share). */
    requireCopyMs?: number;
    bundleBytes: number;
  };
  tree: {
    users: number;
    sessions: number;
    /** The shipped threshold: users start expanded up to this many sessions, collapsed above. */
    expandUsersUpTo: number;
    /** What the shipped getTreeItem gave the user items at this size. */
    usersStartCollapsed: boolean;
    /** setScan + getChildren/getTreeItem of every user and session, per round (the first is cold). */
    providerMs: number[];
    /** Of which PendingModel.setScan (building the nodes). */
    setScanMs: number[];
    /**
     * As shipped, view shown: setScan until VS Code has fetched the first render: every user's item
     * when users start collapsed, every session's item when they start expanded.
     */
    workbenchServedMs: number[];
    /** As shipped: setScan until reveal() of the first session has resolved (opening the first user if collapsed). */
    workbenchRevealFirstMs: number[];
    /** As shipped: then reveal() of the last session (opening the last user, or scrolling every row down): setScan until it resolved. */
    workbenchRevealLastMs: number[];
    /**
     * Not what ships above EXPAND_USERS_UP_TO sessions: the same with every user item forced expanded
     * (VS Code then fetches every session's item at once), what the tree cost before users started
     * collapsed. Served = every session's item fetched.
     */
    variantUsersExpanded: { servedMs: number[]; revealFirstMs: number[]; revealLastMs: number[] };
  };
}

describe('bench (editor figures)', function () {
  this.timeout(300_000);

  it('activation, and the Pending tree with many sessions', async function () {
    const ext = vscode.extensions.getExtension<WhisperBatchApi>(EXT_ID);
    assert.ok(ext, `${EXT_ID} is installed`);
    const wasActiveBefore = ext.isActive;
    const t0 = performance.now();
    const api = await ext.activate();
    const activateCallMs = performance.now() - t0;
    const bundle = path.join(ext.extensionPath, 'dist', 'extension.js');
    let requireCopyMs: number | undefined;
    try {
      const copy = path.join(os.tmpdir(), `wb-bench-extension-${process.pid}.js`);
      fs.copyFileSync(bundle, copy);
      const c0 = performance.now();
      require(copy);
      requireCopyMs = performance.now() - c0;
      fs.rmSync(copy, { force: true });
    } catch (e) {
      console.log(`      require of a copy of the bundle failed: ${String(e)}`);
    }

    const { pendingScan } = await import('../../bench/pendingFixture');
    const doc = await pendingScan(USERS, SESSIONS_PER_USER);
    const sessions = USERS * SESSIONS_PER_USER;
    const { model } = api.pending;
    const tree = api.pending.tree;
    assert.equal(api.configured(), false, 'no store configured: nothing but the bench sets the model');

    // Provider alone, the view not shown (so VS Code does not fetch at the same time).
    const providerMs: number[] = [];
    const setScanMs: number[] = [];
    let usersStartCollapsed = false;
    for (let i = 0; i < REPS; i++) {
      model.clear();
      const a = performance.now();
      model.setScan(doc, Date.now());
      const b = performance.now();
      let items = 0;
      for (const u of tree.getChildren()) {
        usersStartCollapsed = tree.getTreeItem(u).collapsibleState === vscode.TreeItemCollapsibleState.Collapsed;
        for (const s of tree.getChildren(u)) {
          tree.getTreeItem(s);
          items++;
        }
      }
      providerMs.push(performance.now() - a);
      setScanMs.push(b - a);
      assert.equal(items, sessions);
    }
    assert.equal(usersStartCollapsed, sessions > EXPAND_USERS_UP_TO, `users start ${usersStartCollapsed ? 'collapsed' : 'expanded'} with ${sessions} sessions`);

    // In the workbench: count the items VS Code fetches.
    let served = 0;
    let target = Infinity;
    let counted: PendingNode['kind'] = 'session';
    let expandUsers = false;
    let allServed: (() => void) | undefined;
    const getTreeItem = tree.getTreeItem.bind(tree);
    tree.getTreeItem = (n: PendingNode) => {
      const item = getTreeItem(n);
      if (expandUsers && n.kind === 'user') item.collapsibleState = vscode.TreeItemCollapsibleState.Expanded;
      if (n.kind === counted && ++served >= target) allServed?.();
      return item;
    };
    await vscode.commands.executeCommand('whisperBatch.pending.focus');
    await until(() => api.pending.view.visible, 'the Pending view to be visible');
    const rounds = async (variant: 'shipped' | 'users expanded') => {
      const r = { servedMs: [] as number[], revealFirstMs: [] as number[], revealLastMs: [] as number[] };
      expandUsers = variant === 'users expanded';
      // Users collapsed (shipped above EXPAND_USERS_UP_TO sessions): VS Code fetches the users only.
      // Users expanded (the variant, or shipped at a small size): it fetches every session.
      const collapseUsers = !expandUsers && usersStartCollapsed;
      counted = collapseUsers ? 'user' : 'session';
      for (let i = 0; i < REPS; i++) {
        model.clear();
        // Past the tree view's 200 ms change debounce, so the next change is sent at once.
        await new Promise((res) => setTimeout(res, 700));
        served = 0;
        target = collapseUsers ? USERS : sessions;
        const done = new Promise<void>((resolve, reject) => {
          allServed = resolve;
          setTimeout(() => reject(new Error(`VS Code fetched ${served} of ${target} ${counted} items in 120 s`)), 120_000);
        });
        const a = performance.now();
        model.setScan(doc, Date.now());
        await done;
        const b = performance.now();
        const users = tree.getChildren() as UserNode[];
        await api.pending.view.reveal(users[0].sessions[0], { select: false, focus: false, expand: false });
        const c = performance.now();
        const last = users[users.length - 1].sessions.at(-1) as SessionNode;
        await api.pending.view.reveal(last, { select: false, focus: false, expand: false });
        const d = performance.now();
        r.servedMs.push(b - a);
        r.revealFirstMs.push(c - a);
        r.revealLastMs.push(d - a);
        target = Infinity;
      }
      return r;
    };
    const shipped = await rounds('shipped');
    const expanded = await rounds('users expanded');
    tree.getTreeItem = getTreeItem;
    model.clear();

    const figures: EditorBenchFigures = {
      vscodeVersion: vscode.version,
      node: process.version,
      activation: {
        // Activation on start-up may already be under way (module evaluated, activate() not yet
        // returned) when the bench asks: that too is not a load the bench saw from outside.
        wasActiveBefore: wasActiveBefore || api.timing.moduleEvaluatedAt < t0,
        activateCallMs,
        untilModuleEvaluatedMs: api.timing.moduleEvaluatedAt - t0,
        untilActivateMs: api.timing.activateStartedAt - api.timing.moduleEvaluatedAt,
        activateBodyMs: api.activationMs,
        requireCopyMs,
        bundleBytes: fs.statSync(bundle).size,
      },
      tree: {
        users: USERS,
        sessions,
        expandUsersUpTo: EXPAND_USERS_UP_TO,
        usersStartCollapsed,
        providerMs,
        setScanMs,
        workbenchServedMs: shipped.servedMs,
        workbenchRevealFirstMs: shipped.revealFirstMs,
        workbenchRevealLastMs: shipped.revealLastMs,
        variantUsersExpanded: expanded,
      },
    };
    const out = process.env.WB_BENCH_OUT;
    if (out) fs.writeFileSync(out, JSON.stringify(figures, null, 2) + '\n');
    console.log(`      ${JSON.stringify(figures)}`);
  });
});
