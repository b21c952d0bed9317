/**
 * Starts a real moto server (python3 -m moto.server) on a free loopback port for S3/EC2 tests,
 * and stops it afterwards. moto is faithful for S3 and EC2 API calls; it runs no SSM commands and
 * shows no EC2 transitions, which is why those go through in-repo fakes (see test/support/fakes*).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import { testPython } from './python';

export interface MotoServer {
  endpoint: string;
  port: number;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export const motoCredentials = { accessKeyId: 'test', secretAccessKey: 'test' };

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

let shared: Promise<MotoServer> | undefined;
let refs = 0;

/** One moto per test process, shared by suites (start ~0.5 s). Each suite should use its own bucket or reset(). */
export function startMoto(): Promise<MotoServer> {
  refs++;
  shared ??= launch();
  return shared;
}

export async function releaseMoto(): Promise<void> {
  if (--refs > 0 || !shared) return;
  const s = await shared;
  shared = undefined;
  await s.stop();
}

async function launch(): Promise<MotoServer> {
  if (process.env.MOTO_ENDPOINT) {
    // An already running server (e.g. started by .ci/run); we reset but never stop it.
    const endpoint = process.env.MOTO_ENDPOINT.replace(/\/$/, '');
    return { endpoint, port: Number(new URL(endpoint).port), reset: () => reset(endpoint), stop: async () => {} };
  }
  const port = await freePort();
  const python = process.env.MOTO_PYTHON ?? testPython();
  const child: ChildProcess = spawn(python, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: false,
  });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto server exited (${child.exitCode}): ${stderr}\nMake the test venv with: bash scripts/setup-test-env.sh`);
    try {
      const r = await fetch(`${endpoint}/moto-api/`);
      if (r.status < 500) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto server did not answer on ${endpoint} within 30 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const cleanup = () => child.kill('SIGKILL');
  process.once('exit', cleanup);
  return {
    endpoint,
    port,
    reset: () => reset(endpoint),
    stop: async () => {
      process.removeListener('exit', cleanup);
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise<void>((r) => {
        const t = setTimeout(() => (child.kill('SIGKILL'), r()), 5000);
        child.once('exit', () => (clearTimeout(t), r()));
      });
    },
  };
}

async function reset(endpoint: string): Promise<void> {
  await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
}
