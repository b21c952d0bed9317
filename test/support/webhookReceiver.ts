/** A real local HTTP server that records what is POSTed to it (the webhook side of notifications). */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  contentType: string;
  body: string;
}

export interface WebhookReceiver {
  /** The URL to post to; its path is a secret token, as Slack's are. */
  url: string;
  received: Received[];
  /** The status the next requests get (default 200). */
  status: number;
  close(): Promise<void>;
}

export async function startWebhookReceiver(token = 'T0SECRET/B0SECRET/xoxSECRETtoken'): Promise<WebhookReceiver> {
  const rec: WebhookReceiver = { url: '', received: [], status: 200, close: async () => {} };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      rec.received.push({ method: req.method ?? '', path: req.url ?? '', contentType: String(req.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(rec.status, { 'content-type': 'text/plain' }).end(rec.status === 200 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  rec.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/${token}`;
  rec.close = () => new Promise((r) => (server.closeAllConnections(), server.close(() => r())));
  return rec;
}
