/**
 * `whisper-batch demo`: the whole flow on one machine with no AWS account. Makes a sample bucket
 * folder with real speech (flite -> WebM/Opus cut like Chromium's MediaRecorder), sets up the local
 * faster-whisper engine (or says why it could not and falls back to pocketsphinx), then scan and
 * run with the local host, and prints the summary and the report's path.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { systemClock } from '../core/clock';
import { describeError } from '../core/errors';
import { scan } from '../core/scan';
import { chunkRanges, plural, sortedErrors } from './text';
import { terminalText } from '../core/safeText';
import { runBatch } from '../core/batch';
import { openRuntime } from '../core/runtime';
import { setupEngine } from '../core/engine/engineSetup';
import { createSampleBucket, SAMPLE_MARKER } from '../core/sample/sampleBucket';
import { WbError } from '../core/errors';
import { loadSettings, embeddedStorePath, type GlobalFlags } from './config';
import type { Output } from './output';

export async function runDemo(o: { dir?: string; keep?: boolean; json?: boolean; out: Output; flags: GlobalFlags }): Promise<number> {
  const dir = path.resolve(o.dir ?? embeddedStorePath());
  const out = o.out;
  const first = loadSettings({ ...o.flags, store: dir, host: 'local' }).settings;
  const chosen = first.engine.kind;
  if (!o.keep) {
    // The demo makes its folder afresh, but never deletes a folder it did not make.
    if (existsSync(dir) && readdirSync(dir).length > 0 && !existsSync(path.join(dir, SAMPLE_MARKER))) {
      throw new WbError(
        'Usage',
        `demo: ${dir} is not empty and is not a sample bucket made by the demo; it was left untouched`,
        'Pass --dir with a new or empty folder (or one the demo made before).',
      );
    }
    rmSync(dir, { recursive: true, force: true });
  }
  out.info(`1/4 making a sample bucket with real speech in ${dir}`);
  const t0 = systemClock.now();
  await createSampleBucket(dir, { clock: systemClock, log: (m: string) => out.info(`    ${m}`), layout: first.layout, reuse: o.keep, installMissing: true });
  out.info(`    done in ${((systemClock.now() - t0) / 1000).toFixed(1)} s`);

  let engine = chosen;
  if (chosen === 'auto' || chosen === 'faster-whisper') {
    out.info('2/4 setting up faster-whisper on this machine');
    try {
      await setupEngine({ log: (m) => out.info(`    ${m}`) });
      engine = 'faster-whisper';
    } catch (e) {
      if (chosen === 'faster-whisper') throw e;
      out.warn(`    faster-whisper could not be set up, so the demo uses pocketsphinx: ${describeError(e)}`);
      engine = 'pocketsphinx';
    }
  } else out.info(`2/4 engine ${chosen} (engine.kind), no setup`);
  const { settings } = loadSettings({ ...o.flags, store: dir, host: 'local', engine });

  const rt = await openRuntime(settings, { clock: systemClock, emit: out.sink, engine: true, installMissing: true });
  try {
    out.info('3/4 scanning for chunks without a transcript');
    const doc = await scan({ store: rt.store, settings, clock: systemClock });
    for (const s of doc.sessions) out.info(`    ${terminalText(s.userId)} / "${terminalText(s.sessionId)}": missing ${chunkRanges(s.missingChunks)} of ${s.audioChunks.length}`);
    for (const s of doc.deferredSessions) out.info(`    deferred ${terminalText(s.userId)} / "${terminalText(s.sessionId)}": ${s.detail}`);
    out.info(`    ${plural(doc.totalSessions, 'session')} scanned, ${doc.sessionsWithMissingChunks} with ${plural(doc.totalMissingChunks, 'chunk')} to transcribe`);
    out.info(`4/4 transcribing on this machine with ${rt.engine.name}${rt.engine.model ? ` (${rt.engine.model})` : ''}`);
    const result = await runBatch({ store: rt.store, settings, clock: systemClock, host: rt.host, engine: rt.engine, emit: out.sink, scan: doc });
    const r = result.report;
    if (o.json) process.stdout.write(JSON.stringify({ ...r, reportKeys: result.reportKeys, store: dir }, null, 2) + '\n');
    out.info('');
    out.info(`demo run: ${r.status.toUpperCase()}: ${plural(r.transcription.chunksTranscribed, 'chunk')} transcribed, ${r.transcription.chunksFailed} failed, in ${r.execution.durationHuman}`);
    const errors = sortedErrors(r.errors);
    for (const e of errors) out.warn(`${e.sessionId !== undefined ? `"${terminalText(e.sessionId)}" chunk ${e.chunk}: ` : ''}${terminalText(e.message)}`);
    if (result.reportKeys) {
      out.info(`report: ${path.join(dir, result.reportKeys.json)}`);
      out.info(`        ${path.join(dir, result.reportKeys.html)}`);
    }
    out.info(
      `next: \`node dist/cli.js run --store ${JSON.stringify(dir)} --yes\` again transcribes nothing (everything is done); \`node dist/cli.js reports --store ${JSON.stringify(dir)}\` lists the reports.`,
    );
    return r.status === 'failed' ? 1 : 0;
  } catch (e) {
    out.error(describeError(e));
    return 1;
  } finally {
    await rt.dispose();
  }
}
