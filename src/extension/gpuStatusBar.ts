/** The GPU status bar item: renders presentGpu(facts) and re-renders on every fact change. */
import * as vscode from 'vscode';
import { Disposable } from './lifecycle';
import { presentGpu, type GpuFacts, type GpuPresentation } from './gpuStatus';

export class GpuStatusBar extends Disposable {
  private readonly item = this._register(vscode.window.createStatusBarItem('whisperBatch.gpu', vscode.StatusBarAlignment.Left, 50));
  private facts: GpuFacts;
  private shown: GpuPresentation | undefined;

  constructor(initial: GpuFacts) {
    super();
    this.facts = initial;
    this.item.name = 'Whisper Batch';
    this.item.command = 'whisperBatch.gpuActions';
    this.render();
    this.item.show();
  }

  get presentation(): GpuPresentation {
    return this.shown ?? presentGpu(this.facts);
  }

  get currentFacts(): GpuFacts {
    return this.facts;
  }

  update(change: Partial<GpuFacts>): void {
    this.facts = { ...this.facts, ...change };
    this.render();
  }

  private render(): void {
    const p = presentGpu(this.facts);
    this.shown = p;
    this.item.text = p.text;
    this.item.tooltip = p.tooltip;
    this.item.color = p.color ? new vscode.ThemeColor(p.color) : undefined;
    this.item.backgroundColor = p.background ? new vscode.ThemeColor(p.background) : undefined;
    this.item.accessibilityInformation = { label: `Whisper Batch: ${p.tooltip.split('\n')[0]}` };
    void vscode.commands.executeCommand('setContext', 'whisperBatch.gpuState', p.state);
  }
}
