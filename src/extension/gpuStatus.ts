/**
 * What the GPU status bar item says, as a pure function of the facts (host state, live run,
 * schedule), so every state is tested without a window. The item itself is in gpuStatusBar.ts.
 */
import type { HostStateName } from '../core/events';
import { uiText } from '../core/safeText';
import { plural } from '../core/plural';

export type GpuViewState = 'not-configured' | 'local' | 'stopped' | 'starting' | 'idle' | 'transcribing' | 'stopping' | 'error' | 'unknown';

export interface GpuFacts {
  configured: boolean;
  hostKind: 'local' | 'ec2';
  hostState?: HostStateName;
  /** When the host entered its current state (ms), e.g. the instance's launch time. */
  hostSince?: number;
  hostError?: string;
  /** A live run; `cancelling` once this window asked it to stop (it still ends with its report). */
  run?: { done: number; total: number; phase?: string; cancelling?: boolean };
  /** End of the last run seen, to tell "idle since". */
  lastRunEnd?: number;
  pendingChunks?: number;
  pendingSessions?: number;
  nextRunAt?: number;
  scheduleEnabled: boolean;
  idleWarningMinutes: number;
  /** Labels of the monitoring targets in alert (src/core/monitoring.ts). */
  alerts?: string[];
  /** A GPU our runs started that no live lease owns (src/core/host/orphans.ts); its reason names bucket text. */
  orphan?: { instanceId: string; reason: string };
  now: number;
}

export type GpuAction = 'stopOrphan' | 'runBatch' | 'cancelRun' | 'stopGpu' | 'scan' | 'showLog' | 'openReports' | 'toggleSchedule' | 'configureAws' | 'trySample' | 'openSettings' | 'refresh';

export interface GpuPresentation {
  state: GpuViewState;
  text: string;
  tooltip: string;
  /** Theme colour id for the text (charts.*), if any. */
  color?: string;
  /** statusBarItem.warningBackground / errorBackground: the only backgrounds VS Code allows. */
  background?: 'statusBarItem.warningBackground' | 'statusBarItem.errorBackground';
  idleWarning: boolean;
  actions: GpuAction[];
}

export function viewStateOf(f: GpuFacts): GpuViewState {
  if (!f.configured) return 'not-configured';
  if (f.hostError) return 'error';
  if (f.hostKind === 'local') return f.run ? 'transcribing' : 'local';
  switch (f.hostState) {
    case 'stopped':
      return f.run ? 'starting' : 'stopped';
    case 'pending':
      return 'starting';
    case 'running':
      return f.run && f.run.total > 0 ? 'transcribing' : f.run && f.run.phase !== 'host-ready' && f.run.phase !== 'transcribe' ? 'starting' : 'idle';
    case 'stopping':
    case 'shutting-down':
      return 'stopping';
    case 'terminated':
    case 'not-configured':
      return 'error';
    default:
      return 'unknown';
  }
}

export function presentGpu(f: GpuFacts): GpuPresentation {
  const state = viewStateOf(f);
  const idleMs = state === 'idle' ? f.now - Math.max(f.hostSince ?? f.now, f.lastRunEnd ?? 0) : 0;
  const idleWarning = state === 'idle' && idleMs > f.idleWarningMinutes * 60_000;
  const progress = f.run && f.run.total > 0 ? `${f.run.done}/${f.run.total}` : '';
  const where = f.hostKind === 'local' ? 'Local' : 'GPU';
  let text: string;
  let color: string | undefined;
  let background: GpuPresentation['background'];
  let headline: string;
  switch (state) {
    case 'not-configured':
      text = '$(gear) Whisper Batch: set up';
      headline = 'Whisper Batch is not configured: choose a bucket or try the local sample.';
      break;
    case 'local':
      text = '$(device-desktop) Local idle';
      headline = 'Transcribing on this machine; no GPU to start or stop.';
      break;
    case 'stopped':
      text = '$(circle-outline) GPU stopped';
      headline = 'The GPU is stopped (not billed).';
      break;
    case 'starting':
      text = '$(loading~spin) GPU starting';
      color = 'charts.yellow';
      headline = 'The GPU is starting (billed from now on).';
      break;
    case 'idle':
      text = `$(vm-running) GPU idle${idleMs >= 60_000 ? ` ${Math.floor(idleMs / 60_000)} min` : ''}`;
      color = idleWarning ? undefined : 'charts.green';
      if (idleWarning) background = 'statusBarItem.warningBackground';
      headline = idleWarning
        ? `The GPU has run for ${Math.floor(idleMs / 60_000)} min with no batch (over ${f.idleWarningMinutes} min): it costs money. Stop it?`
        : 'The GPU is running with no batch.';
      break;
    case 'transcribing':
      text = `$(sync~spin) ${where} ${progress || 'working'}`;
      color = 'charts.blue';
      headline = progress ? `Transcribing chunk ${f.run!.done} of ${f.run!.total}.` : `A run is in progress (${f.run?.phase ?? 'starting'}).`;
      break;
    case 'stopping':
      text = '$(loading~spin) GPU stopping';
      color = 'charts.yellow';
      headline = 'The GPU is stopping.';
      break;
    case 'error':
      text = '$(error) GPU error';
      background = 'statusBarItem.errorBackground';
      headline = `GPU problem: ${f.hostError ?? f.hostState ?? 'unknown'}`;
      break;
    default:
      text = '$(question) GPU ?';
      headline = 'GPU state unknown (refresh to check).';
  }
  // An orphan costs money until someone stops it: it outranks idle/starting (a live run of ours is never one).
  if (f.orphan && !f.run && (state === 'idle' || state === 'starting')) {
    text = '$(warning) GPU orphaned';
    color = undefined;
    background = 'statusBarItem.warningBackground';
    headline = `The GPU ${uiText(f.orphan.instanceId)} is running and no run owns it (${uiText(f.orphan.reason)}): it costs money. Stop it?`;
  }
  // Cancel is said at once; the run's end (with its counts) follows when its report is written.
  if (f.run?.cancelling) {
    text = `$(loading~spin) Cancelling${progress ? ` ${progress}` : '...'}`;
    color = 'charts.yellow';
    headline = 'Cancelling the run: finished transcripts stay, the GPU is stopped, the report is written.';
  }
  // A monitoring alert is a warning on the item unless something worse already colours it.
  if (f.alerts?.length && state !== 'not-configured') {
    text += ` $(warning) ${f.alerts.length}`;
    background ??= 'statusBarItem.warningBackground';
  }
  // The work waiting is part of the one look (chunks; sessions in the tooltip).
  if (state !== 'not-configured' && state !== 'transcribing' && f.pendingChunks) text += ` · ${f.pendingChunks} pending`;
  // Scheduled runs on: a clock on the item, so the state shows without opening the tooltip.
  if (state !== 'not-configured' && f.scheduleEnabled) text += ' $(watch)';
  const lines = [headline];
  if (f.pendingChunks !== undefined) lines.push(`Pending: ${plural(f.pendingChunks, 'chunk')} in ${plural(f.pendingSessions ?? 0, 'session')}`);
  lines.push(f.scheduleEnabled && f.nextRunAt ? `Next scheduled run: ${new Date(f.nextRunAt).toLocaleString()}` : 'Scheduled runs: off');
  if (f.alerts?.length) lines.push(`Monitoring alerts: ${f.alerts.join('; ')} (see Reports > Trends)`);
  lines.push('Click for actions');
  return { state, text, tooltip: lines.join('\n'), color, background, idleWarning, actions: actionsFor(state, f) };
}

export function actionsFor(state: GpuViewState, f: Pick<GpuFacts, 'run' | 'orphan'>): GpuAction[] {
  if (state === 'not-configured') return ['trySample', 'configureAws', 'openSettings'];
  const a: GpuAction[] = [];
  if (f.orphan && !f.run && (state === 'idle' || state === 'starting')) a.push('stopOrphan');
  if (f.run) a.push(...(f.run.cancelling ? [] : (['cancelRun'] as const)), 'showLog');
  else a.push('runBatch', 'scan');
  if (!a.includes('stopOrphan') && (state === 'idle' || state === 'starting' || (state === 'error' && !f.run))) a.push('stopGpu');
  a.push('toggleSchedule', 'openReports', 'refresh');
  if (!f.run) a.push('showLog');
  return a;
}
