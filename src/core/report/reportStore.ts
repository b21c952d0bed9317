/** Reports in the store: write (create-only, never replacing an earlier run's), list, read. */
import { WbError } from '../errors';
import type { BucketLayout } from '../layout';
import { readCapped } from '../store/cappedRead';
import type { ObjectStore } from '../store/objectStore';
import type { BatchReport, ReportSummary } from './model';
import { renderReportHtml } from './html';
import { parseOrigin } from '../runOrigin';

export async function writeReport(store: ObjectStore, layout: BucketLayout, report: BatchReport, startMs: number): Promise<{ json: string; html: string }> {
  // Two runs in one minute get -2, -3...: a report is never overwritten.
  for (let n = 1; n < 100; n++) {
    const suffix = n === 1 ? '' : `-${n}`;
    const json = layout.reportKey(startMs, 'json', suffix);
    const r = { ...report, reportId: report.reportId + suffix };
    const put = await store.put(json, JSON.stringify(r, null, 2), { ifAbsent: true, contentType: 'application/json' });
    if (!put.written) continue;
    const html = layout.reportKey(startMs, 'html', suffix);
    await store.put(html, renderReportHtml(r), { ifAbsent: true, contentType: 'text/html; charset=utf-8' });
    report.reportId = r.reportId;
    return { json, html };
  }
  throw new WbError('Store', 'Could not find a free report name', 'Too many runs in one minute.');
}

/** Newest first. Reads each report (small JSON) for the summary; use `limit` for big histories. */
export async function listReports(store: ObjectStore, layout: BucketLayout, limit = 200): Promise<ReportSummary[]> {
  const keys: string[] = [];
  for await (const o of store.list(layout.reportsPrefix)) if (layout.isReportKey(o.key)) keys.push(o.key);
  keys.sort(byRunTime).reverse();
  const pick = keys.slice(0, limit);
  const out: ReportSummary[] = [];
  // Bounded parallel reads.
  let i = 0;
  const results: Array<ReportSummary | undefined> = new Array(pick.length);
  await Promise.all(
    Array.from({ length: Math.min(8, pick.length) }, async () => {
      while (i < pick.length) {
        const idx = i++;
        try {
          const r = await readReport(store, pick[idx]);
          results[idx] = {
            reportId: r.reportId,
            key: pick[idx],
            timestamp: r.timestamp,
            status: r.status,
            chunksTranscribed: r.transcription.chunksTranscribed,
            chunksFailed: r.transcription.chunksFailed,
            costUSD: r.gpu.costUSD,
            runtimeSeconds: r.gpu.runtimeSeconds,
            host: r.gpu.host === 'ec2' ? 'ec2' : 'local',
            origin: parseOrigin((r as { origin?: unknown }).origin) ?? null,
            ...summaryAnalytics(r),
          };
        } catch {
          // an unreadable report is left out of the list, not fatal
        }
      }
    }),
  );
  for (const r of results) if (r) out.push(r);
  return out;
}

/** The analytics a listing carries for the trends, each a finite number or null: the report is bucket text. */
function summaryAnalytics(r: BatchReport): Pick<ReportSummary, 'audioSeconds' | 'meanChunkSeconds' | 'p95ChunkSeconds' | 'realtimeFactor' | 'costPerAudioHourUSD'> {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null);
  const a = (r as { analytics?: unknown }).analytics;
  const an = a && typeof a === 'object' ? (a as Record<string, unknown>) : {};
  const cs = an.chunkSeconds && typeof an.chunkSeconds === 'object' ? (an.chunkSeconds as Record<string, unknown>) : {};
  const host = r.gpu.host === 'ec2' ? 'ec2' : 'local';
  return {
    audioSeconds: num(r.transcription.audioSeconds) ?? 0,
    meanChunkSeconds: num(cs.mean),
    p95ChunkSeconds: num(cs.p95),
    realtimeFactor: num(an.realtimeFactor),
    // No $ figures for this machine.
    costPerAudioHourUSD: host === 'ec2' ? num(r.transcription.costPerAudioHourUSD) : null,
  };
}

/**
 * Oldest first by the run's minute, then by the -2, -3 suffix of later runs in the same minute:
 * by name, "batch-...-1030-2.json" sorts before "batch-...-1030.json" and "-10" before "-2".
 */
export function byRunTime(a: string, b: string): number {
  const at = runOrder(a);
  const bt = runOrder(b);
  return at.stamp < bt.stamp ? -1 : at.stamp > bt.stamp ? 1 : at.n !== bt.n ? at.n - bt.n : a < b ? -1 : a > b ? 1 : 0;
}

function runOrder(key: string): { stamp: string; n: number } {
  const m = /batch-(\d{4}-\d{2}-\d{2}-\d{4})(?:-(\d+))?\.json$/.exec(key);
  return m ? { stamp: m[1], n: m[2] ? parseInt(m[2], 10) : 1 } : { stamp: key, n: 1 };
}

/** Reads and validates a report: anyone with write access to the bucket can put any JSON there. */
export async function readReport(store: ObjectStore, key: string): Promise<BatchReport> {
  const raw = await readCapped(store, key, 'report');
  let doc: unknown;
  try {
    doc = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw new WbError('Store', `Report is not valid JSON: ${JSON.stringify(key)}`, undefined, { cause: e });
  }
  const problem = reportProblem(doc);
  if (problem) throw new WbError('Store', `Not a batch report: ${JSON.stringify(key)} (${problem})`, 'It was not written by whisper-batch, or was changed since; it is left out.');
  return doc as BatchReport;
}

type Shape = 'string' | 'number' | 'boolean' | 'string?' | 'string|null' | 'number|null' | { [k: string]: Shape } | [Shape];

const ERROR_SHAPE: Shape = { phase: 'string', message: 'string', userId: 'string?', sessionId: 'string?', chunk: 'string?', key: 'string?' };
const SESSION_SHAPE: Shape = {
  sessionId: 'string',
  userId: 'string',
  chunksProcessed: 'number',
  chunksFailed: 'number',
  chunkNumbers: ['string'],
  failedChunks: ['string'],
  status: 'string',
  duration: 'string',
  durationSeconds: 'number',
  audioSeconds: 'number',
};
/** Every field a reader (CLI summary, listing, viewer, HTML) uses, with its type. */
const REPORT_SHAPE: Shape = {
  reportId: 'string',
  runId: 'string',
  timestamp: 'string',
  status: 'string',
  cancelled: 'boolean',
  store: 'string',
  execution: { startTime: 'string', endTime: 'string', durationSeconds: 'number', durationHuman: 'string' },
  gpu: {
    host: 'string',
    instanceId: 'string',
    started: 'boolean',
    alreadyRunning: 'boolean',
    startTime: 'string|null',
    readyTime: 'string|null',
    firstChunkTime: 'string|null',
    lastChunkTime: 'string|null',
    stopRequestedTime: 'string|null',
    stopTime: 'string|null',
    runtimeSeconds: 'number',
    runtimeHuman: 'string',
    hourlyUsd: 'number',
    costUSD: 'number',
  },
  scanning: {
    totalSessions: 'number',
    sessionsScanned: 'number',
    sessionsWithMissingChunks: 'number',
    deferredSessions: 'number',
    totalMissingChunks: 'number',
    keysListed: 'number',
    durationMs: 'number',
  },
  transcription: {
    engine: 'string',
    model: 'string|null',
    chunksFound: 'number',
    chunksTranscribed: 'number',
    chunksFailed: 'number',
    chunksSkipped: 'number',
    successRate: 'number',
    audioSeconds: 'number',
    costPerAudioHourUSD: 'number|null',
  },
  sessions: [SESSION_SHAPE],
  errors: [ERROR_SHAPE],
  nextScheduledRun: 'string|null',
};
const OPTIONAL_LISTS: Record<string, Shape> = {
  quarantine: [{ userId: 'string', sessionId: 'string', chunk: 'string', key: 'string', failures: 'number', lastError: 'string|null', lastFailedAt: 'string|null', newInThisRun: 'boolean' }],
  invalidTranscripts: [{ userId: 'string', sessionId: 'string', chunk: 'string', key: 'string', problem: 'string', hint: 'string?' }],
};
const STATUSES = new Set(['success', 'partial', 'failed', 'skipped']);

/** The first field of `doc` that is not what a report holds ("gpu.costUSD must be number"), or undefined. */
export function reportProblem(doc: unknown): string | undefined {
  const check = (v: unknown, shape: Shape, at: string): string | undefined => {
    if (typeof shape === 'string') {
      const ok =
        shape === 'string'
          ? typeof v === 'string'
          : shape === 'number'
            ? typeof v === 'number' && Number.isFinite(v)
            : shape === 'boolean'
              ? typeof v === 'boolean'
              : shape === 'string?'
                ? v === undefined || typeof v === 'string'
                : shape === 'string|null'
                  ? v === null || typeof v === 'string'
                  : v === null || (typeof v === 'number' && Number.isFinite(v));
      return ok ? undefined : `${at || 'the document'} must be ${shape.replace('?', ' or absent').replace('|', ' or ')}`;
    }
    if (Array.isArray(shape)) {
      if (!Array.isArray(v)) return `${at} must be a list`;
      for (let i = 0; i < v.length; i++) {
        const p = check(v[i], shape[0], `${at}[${i}]`);
        if (p) return p;
      }
      return undefined;
    }
    if (!v || typeof v !== 'object' || Array.isArray(v)) return `${at || 'the document'} must be an object`;
    for (const [k, sub] of Object.entries(shape)) {
      const p = check((v as Record<string, unknown>)[k], sub, at ? `${at}.${k}` : k);
      if (p) return p;
    }
    return undefined;
  };
  const p = check(doc, REPORT_SHAPE, '');
  if (p) return p;
  // Fields newer reports add: absent in older ones, checked when present.
  const d = doc as Record<string, any>;
  for (const k of ['quarantinedChunks', 'invalidTranscripts']) {
    const v = d.scanning[k];
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v))) return `scanning.${k} must be number or absent`;
  }
  for (const [k, shape] of Object.entries(OPTIONAL_LISTS)) {
    if (d[k] === undefined) continue;
    const q = check(d[k], shape, k);
    if (q) return q;
  }
  const status = (doc as BatchReport).status;
  return STATUSES.has(status) ? undefined : `status must be one of ${[...STATUSES].join(', ')}`;
}
