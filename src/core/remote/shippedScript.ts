/**
 * Finds the scripts shipped with the product (src/core/remote/scripts, copied to dist/scripts by
 * esbuild.mjs). They are read from disk at run time, not built into the bundle as strings, so the
 * file that runs on the instance is the file in the repository.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { WbError } from '../errors';

export const TRANSCRIBE_SCRIPT = 'transcribe_batch.py';

/** Where a script may be: beside the bundle (dist/scripts), beside this module (src), or from tsc's out/ back to src. */
export function scriptCandidates(name: string, baseDir = __dirname): string[] {
  return [
    path.join(baseDir, 'scripts', name),
    path.join(baseDir, '..', 'remote', 'scripts', name),
    path.join(baseDir, '..', '..', '..', '..', 'src', 'core', 'remote', 'scripts', name),
    path.join(baseDir, '..', '..', '..', 'src', 'core', 'remote', 'scripts', name),
  ];
}

export function readShippedScript(name: string, baseDir = __dirname): string {
  for (const p of scriptCandidates(name, baseDir)) {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      // try the next place
    }
  }
  throw new WbError(
    'EngineMissing',
    `The shipped script ${name} was not found next to the program`,
    'Rebuild with `npm run build` (it copies src/core/remote/scripts to dist/scripts) or reinstall the extension.',
  );
}
