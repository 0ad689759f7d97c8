// A webhook receiver for tests, on loopback: records every request and answers from a script; `verifyStandard` and
// `verifyHmac` check a request the way a subscriber would (the `standardwebhooks` package; a plain HMAC of the body).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export type Received = {
  path: string;
  headers: Record<string, string>;
  body: string;
  /** Receive time (ms since epoch). */
  at: number;
};

/** What to answer: a status (and optional headers/body), or 'hang' (never answer), or 'reset' (drop the socket). */
export type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'hang' | 'reset';

export type Receiver = {
  port: number;
  /** `http://<address>:<port><path>` */
  url(path?: string): string;
  /** `<address>:<port>`, for FETCH_ALLOW_HOSTS. */
  host: string;
  /** Requests to that path (all paths when omitted), in arrival order. */
  received(path?: string): Received[];
  /** Answers for the next requests to `path`, in order; the last one repeats. Default: 200. */
  script(path: string, answers: Answer[]): void;
  /** Resolves when `path` has had `n` requests. */
  waitFor(path: string, n: number, timeoutMs?: number): Promise<Received[]>;
  /** Stops listening (connections refused) until start() again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
};

/** `new Webhook(secret).verify(body, headers)`, as the Standard Webhooks docs tell receivers to do. */
export function verifyStandard(secret: string, body: string, headers: Record<string, string>): boolean {
  try {
    new Webhook(secret).verify(body, headers);
    return true;
  } catch {
    return false;
  }
}

/** hex HMAC-SHA256 of the raw body with the secret string, compared in constant time with X-Webhook-Signature. */
export function verifyHmac(secret: string, body: string, signature: string | undefined): boolean {
  if (!signature) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(body).digest('hex'));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** `address`: where it listens (the scale suite's test-host address; loopback by default). */
export async function startReceiver(port = 0, address = '127.0.0.1'): Promise<Receiver> {
  const log: Received[] = [];
  const scripts = new Map<string, { answers: Answer[]; served: number }>();
  const waiters = new Set<() => void>();
  const hanging = new Set<ServerResponse>();
  let server: Server | undefined;
  let boundPort = port;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const body = Buffer.concat(chunks).toString('utf8');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const s = scripts.get(path);
      log.push({ path, headers, body, at: Date.now() });
      const answers = s?.answers ?? [];
      const answer = answers[Math.min(s ? s.served++ : 0, answers.length - 1)] ?? { status: 200 };
      for (const w of [...waiters]) w();
      if (answer === 'hang') return void hanging.add(res);
      if (answer === 'reset') return void req.socket.destroy();
      res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers }).end(answer.body ?? '');
    });
  };

  const start = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer(handle);
      s.once('error', reject);
      s.listen(boundPort, address, () => {
        boundPort = (s.address() as AddressInfo).port;
        server = s;
        resolve();
      });
    });
  const stop = async () => {
    const s = server;
    server = undefined;
    if (!s) return;
    for (const res of hanging) res.destroy();
    hanging.clear();
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await start();

  const received = (path?: string) => (path === undefined ? [...log] : log.filter((r) => r.path === path));
  return {
    get port() {
      return boundPort;
    },
    get host() {
      return `${address}:${boundPort}`;
    },
    url: (path = '/') => `http://${address}:${boundPort}${path}`,
    received,
    script(path, answers) {
      scripts.set(path, { answers, served: 0 });
    },
    waitFor(path, n, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const got = received(path);
          if (got.length < n) return false;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(got);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`receiver: ${path} got ${received(path).length} of ${n} requests in ${timeoutMs} ms`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
    stop,
    start,
    close: stop,
  };
}
