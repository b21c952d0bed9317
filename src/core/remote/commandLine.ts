/**
 * Turns a RemoteCommand into the one shell line a transport runs. Data only ever enters the line
 * through shellQuote() (arguments, the interpreter path) or as base64 inside single quotes (a
 * script body), so a session id like `$(rm -rf /)` stays an inert string.
 */
import { deflateSync } from 'node:zlib';
import { WbError } from '../errors';
import { shellQuote, type RemoteCommand } from './remoteRunner';

/** How a script body reaches the interpreter: inline in the line (SSM) or on stdin (SSH). */
export type ScriptDelivery = 'inline' | 'stdin';

const ABSOLUTE_PATH = /^\/[A-Za-z0-9._/-]+$/;
/** Runs a zlib-compressed Python program from stdin as __main__. */
const INFLATE = 'import sys,zlib;exec(compile(zlib.decompress(sys.stdin.buffer.read()),"<inline>","exec"))';

export function commandLine(cmd: RemoteCommand, delivery: ScriptDelivery): string {
  const args = cmd.args.map((a) => ' ' + shellQuote(a)).join('');
  if (!cmd.interpreter) {
    if (/[\r\n]/.test(cmd.program)) throw new WbError('Internal', 'A remote program must be one line; use `interpreter` for scripts');
    return `${cmd.program}${args}`;
  }
  if (cmd.interpreterPath !== undefined && !ABSOLUTE_PATH.test(cmd.interpreterPath)) {
    throw new WbError('Config', `Interpreter path ${JSON.stringify(cmd.interpreterPath)} is not an absolute path of letters, digits, ".", "_", "-", "/"`, 'Check host.venvPath.');
  }
  const interpreter = shellQuote(cmd.interpreterPath ?? cmd.interpreter);
  // `python3 -` and `bash -s` read the program from stdin; the arguments follow as $1.. / argv[1..].
  const run = `${interpreter} ${cmd.interpreter === 'python3' ? '-' : '-s'}${args}`;
  if (delivery === 'stdin') return run;
  if (cmd.interpreter === 'python3') {
    // Inline, the script is most of an SSM command (its size limits the chunks per call): zlib
    // makes it a third, and Python itself inflates it (argv stays [prog, args...] as with `-`).
    const packed = deflateSync(Buffer.from(cmd.program, 'utf8'), { level: 9 }).toString('base64');
    return `printf '%s' ${shellQuote(packed)} | base64 -d | ${interpreter} -c ${shellQuote(INFLATE)}${args}`;
  }
  const body = Buffer.from(cmd.program, 'utf8').toString('base64');
  return `printf '%s' ${shellQuote(body)} | base64 -d | ${run}`;
}
