/** Reports in the store: write (create-only, never replacing an earlier run's), list, read. */
import { WbError } from '../errors';
import type { BucketLayout } from '../layout';
import type { ObjectStore } from '../store/objectStore';
import type { BatchReport, ReportSummary } from './model';
import { renderReportHtml } from './html';

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
  keys.sort().reverse();
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

export async function readReport(store: ObjectStore, key: string): Promise<BatchReport> {
  const raw = await store.get(key);
  try {
    return JSON.parse(raw.toString('utf8')) as BatchReport;
  } catch (e) {
    throw new WbError('Store', `Report is not valid JSON: ${JSON.stringify(key)}`, undefined, { cause: e });
  }
}
