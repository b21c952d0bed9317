/**
 * A real SSH server on a loopback port (ssh2's Server, the library node-ssh is built on), for
 * SshRunner tests: no sshd can be assumed on CI. It accepts one public key, runs each exec request
 * with `sh -c <command>` on this machine (as sshd runs it with the login shell), pipes the channel
 * to stdin, streams stdout/stderr back, forwards signals and reports the exit code or signal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';

// ssh2 has no bundled types here; only these calls are used.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const ssh2 = require('ssh2');

export interface TestSshServer {
  port: number;
  /** The client's private key (OpenSSH format), encrypted with `passphrase` if one was given. */
  clientKey: string;
  /** Commands received, in order. */
  commands: string[];
  close(): Promise<void>;
}

export async function startSshServer(opts: { passphrase?: string; env?: NodeJS.ProcessEnv } = {}): Promise<TestSshServer> {
  const hostKey = ssh2.utils.generateKeyPairSync('ed25519');
  const client = ssh2.utils.generateKeyPairSync('ed25519', opts.passphrase ? { passphrase: opts.passphrase, cipher: 'aes256-cbc' } : {});
  const allowed = ssh2.utils.parseKey(client.public);
  const commands: string[] = [];
  const children = new Set<ChildProcess>();

  const server = new ssh2.Server({ hostKeys: [hostKey.private] }, (conn: any) => {
    conn.on('error', () => {});
    conn.on('authentication', (ctx: any) => {
      const pub = Buffer.from(allowed.getPublicSSH());
      const match = ctx.method === 'publickey' && ctx.key.algo === allowed.type && ctx.key.data.length === pub.length && timingSafeEqual(ctx.key.data, pub);
      if (!match) return ctx.reject(['publickey']);
      if (ctx.signature && !allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo)) return ctx.reject(['publickey']);
      ctx.accept();
    });
    conn.on('ready', () => {
      conn.on('session', (acceptSession: any) => {
        const session = acceptSession();
        let child: ChildProcess | undefined;
        session.on('signal', (accept: any, _reject: any, info: { name: string }) => {
          accept?.();
          child?.kill(`SIG${info.name}` as NodeJS.Signals);
        });
        session.on('exec', (accept: any, _reject: any, info: { command: string }) => {
          commands.push(info.command);
          const stream = accept();
          const c = spawn('sh', ['-c', info.command], { env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
          child = c;
          children.add(c);
          stream.pipe(c.stdin);
          c.stdin!.on('error', () => {});
          c.stdout!.on('data', (d) => stream.write(d));
          c.stderr!.on('data', (d) => stream.stderr.write(d));
          c.on('close', (code, signal) => {
            children.delete(c);
            if (signal) stream.exit(signal.replace(/^SIG/, ''), false, '');
            else stream.exit(code ?? 0);
            stream.end();
          });
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    clientKey: client.private,
    commands,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of children) c.kill('SIGKILL');
        server.close(() => resolve());
      }),
  };
}
