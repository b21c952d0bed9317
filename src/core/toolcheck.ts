/**
 * Local programs the product needs (ffmpeg, pocketsphinx, flite...) come from Debian packages.
 * `ensureDebianPackages` checks them and, when allowed and possible (root + apt-get), installs the
 * missing ones; otherwise it fails with the exact apt-get command to run.
 */
import { execFile } from 'node:child_process';
import { constants as fsc, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { WbError } from './errors';

/** What to look for -> the Debian package that provides it. Keys are program names (searched on PATH) or absolute paths. */
export type PackageMap = Record<string, string>;

export interface ToolcheckOptions {
  /** Install missing packages with apt-get when running as root. */
  install: boolean;
  log?: (message: string) => void;
  signal?: AbortSignal;
  /** Seams for tests: where a program is, whether we are root, how a command runs. */
  deps?: Partial<ToolcheckDeps>;
}

export interface ToolcheckDeps {
  /** Resolves a program name on PATH, or checks an absolute path; undefined when missing. */
  locate(what: string): Promise<string | undefined>;
  isRoot(): boolean;
  run(program: string, args: string[], signal?: AbortSignal): Promise<void>;
}

const APT_INSTALL = ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '--no-install-recommends'];

/** `apt-get update` is slow and needed once per process. */
let aptUpdated: Promise<void> | undefined;

/** Returns the resolved location of every item; throws WbError('EngineMissing') naming what to install. */
export async function ensureDebianPackages(pkgs: PackageMap, opts: ToolcheckOptions): Promise<Record<string, string>> {
  const d: ToolcheckDeps = { ...defaultDeps, ...opts.deps };
  let found = await locateAll(pkgs, d);
  let missing = Object.keys(pkgs).filter((k) => !found[k]);
  if (missing.length === 0) return found as Record<string, string>;

  const packages = [...new Set(missing.map((k) => pkgs[k]))];
  const command = `apt-get install -y ${packages.join(' ')}`;
  const canInstall = opts.install && d.isRoot() && (await d.locate('apt-get')) !== undefined;
  if (canInstall) {
    opts.log?.(`installing missing Debian packages: ${packages.join(' ')}`);
    try {
      // Only the first caller runs the update; a failed update is retried by the next caller.
      aptUpdated ??= d.run('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'update'], opts.signal).catch((e) => {
        aptUpdated = undefined;
        throw e;
      });
      await aptUpdated;
      await d.run('apt-get', [...APT_INSTALL, ...packages], opts.signal);
    } catch (e) {
      throw new WbError('EngineMissing', `Could not install ${packages.join(', ')}: ${e instanceof Error ? e.message : String(e)}`, `Install them by hand: ${command}`, { cause: e });
    }
    found = await locateAll(pkgs, d);
    missing = Object.keys(pkgs).filter((k) => !found[k]);
    if (missing.length === 0) return found as Record<string, string>;
  }
  const what = missing.map((k) => `${k} (package ${pkgs[k]})`).join(', ');
  throw new WbError('EngineMissing', `Missing ${what}`, `Install with: ${d.isRoot() ? '' : 'sudo '}${command}`);
}

async function locateAll(pkgs: PackageMap, d: ToolcheckDeps): Promise<Record<string, string | undefined>> {
  const keys = Object.keys(pkgs);
  const where = await Promise.all(keys.map((k) => d.locate(k)));
  return Object.fromEntries(keys.map((k, i) => [k, where[i]]));
}

const defaultDeps: ToolcheckDeps = {
  async locate(what) {
    if (path.isAbsolute(what)) {
      try {
        await fs.access(what, fsc.R_OK);
        return what;
      } catch {
        return undefined;
      }
    }
    for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
      const p = path.join(dir, what);
      try {
        const st = await fs.stat(p);
        if (st.isFile()) {
          await fs.access(p, fsc.X_OK);
          return p;
        }
      } catch {
        // not in this directory
      }
    }
    return undefined;
  },
  isRoot: () => typeof process.getuid === 'function' && process.getuid() === 0,
  run(program, args, signal) {
    return new Promise((resolve, reject) => {
      execFile(program, args, { signal, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, maxBuffer: 32 << 20 }, (err, _out, stderr) => {
        if (!err) return resolve();
        const last = String(stderr).trim().split('\n').pop();
        reject(new Error(`${program} ${args.join(' ')} failed${last ? `: ${last}` : ''}`));
      });
    });
  },
};

/** Where a program is on PATH (or whether an absolute path exists); undefined when missing. */
export function locateProgram(what: string): Promise<string | undefined> {
  return defaultDeps.locate(what);
}

/** For tests: forget that apt-get update ran. */
export function _resetAptUpdate(): void {
  aptUpdated = undefined;
}
