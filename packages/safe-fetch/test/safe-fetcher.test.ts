import http from 'node:http';
import { createSafeFetcher, FetchError, type Lookup } from '../src';
import { startServer, type LocalServer } from '../src/testing';

async function failure(p: Promise<unknown>): Promise<FetchError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FetchError);
  return err as FetchError;
}

type Seen = { method: string; url: string; headers: http.IncomingHttpHeaders; body: string };

/** One loopback server whose routes play the parts of well- and badly-behaved image hosts and webhook receivers. */
function routes(seen: Seen[], stream: { written: number; closed: Promise<void> }): http.RequestListener {
  let markClosed: () => void = () => undefined;
  stream.closed = new Promise((r) => (markClosed = r));
  return (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      switch (path) {
        case '/image':
          res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
          return;
        case '/hop1':
          res.writeHead(301, { location: '/hop2' }).end();
          return;
        case '/hop2':
          res.writeHead(307, { location: '/image' }).end();
          return;
        case '/loop':
          res.writeHead(302, { location: '/loop' }).end();
          return;
        case '/no-location':
          res.writeHead(302).end();
          return;
        case '/silent':
          return; // never answers: headers never come
        case '/endless': {
          // Would send 2 GB; written lazily (on drain) so the test never builds it. Stops when the client hangs up.
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          const chunk = Buffer.alloc(64 * 1024, 7);
          res.on('close', markClosed);
          const pump = () => {
            while (!res.destroyed && stream.written < 2 * 1024 ** 3) {
              stream.written += chunk.length;
              if (!res.write(chunk)) return void res.once('drain', pump);
            }
            res.end();
          };
          pump();
          return;
        }
        case '/declared-huge':
          res.on('close', markClosed);
          res.writeHead(200, { 'content-length': String(2 * 1024 ** 3) });
          res.write(Buffer.alloc(1024));
          return;
        case '/big-text':
          res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(5_000));
          return;
        case '/status/503':
        case '/status/404':
        case '/status/429':
          res.writeHead(Number(path.slice(8)), { 'retry-after': '30' }).end('nope');
          return;
        case '/hook-redirect':
          res.writeHead(302, { location: '/image', 'x-receiver': 'moved' }).end('see /image');
          return;
        default:
          res.writeHead(500).end();
      }
    });
  };
}

describe('safe fetcher against an allowed loopback server', () => {
  const seen: Seen[] = [];
  const stream = { written: 0, closed: Promise.resolve() };
  let server: LocalServer;
  let fetcher: ReturnType<typeof createSafeFetcher>;
  const maxBytes = 1_000;

  beforeAll(async () => {
    server = await startServer(routes(seen, stream));
    fetcher = createSafeFetcher({
      allowHosts: [`127.0.0.1:${server.port}`],
      connectTimeoutMs: 2_000,
      timeoutMs: 1_000,
      maxBytes,
      maxRedirects: 3,
      userAgent: 'pixmill-test',
    });
  });
  afterAll(async () => {
    await fetcher.close();
    await server.close();
  });
  beforeEach(() => {
    seen.length = 0;
  });

  it('returns the bytes, status and content type of a 200', async () => {
    const res = await fetcher.get(`${server.origin}/image`, { accept: 'image/*' });
    expect(res).toEqual({
      status: 200,
      finalUrl: `${server.origin}/image`,
      contentType: 'image/png',
      body: Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]),
    });
    expect(seen[0]?.headers).toMatchObject({
      accept: 'image/*',
      'user-agent': 'pixmill-test',
      'accept-encoding': 'identity',
    });
  });

  it('follows redirects within the limit and reports the final URL', async () => {
    const res = await fetcher.get(`${server.origin}/hop1`);
    expect(res.finalUrl).toBe(`${server.origin}/image`);
    expect(res.body.length).toBe(7);
    expect(seen.map((s) => s.url)).toEqual(['/hop1', '/hop2', '/image']);
  });

  it('stops a redirect loop with too_many_redirects after maxRedirects hops', async () => {
    const err = await failure(fetcher.get(`${server.origin}/loop`));
    expect(err.code).toBe('too_many_redirects');
    expect(err.transient).toBe(false);
    expect(seen).toHaveLength(4); // the first request and 3 followed hops
  });

  it('treats a redirect without Location as an http_error', async () => {
    const err = await failure(fetcher.get(`${server.origin}/no-location`));
    expect([err.code, err.status]).toEqual(['http_error', 302]);
  });

  it('times out a server that never sends headers', async () => {
    const err = await failure(fetcher.get(`${server.origin}/silent`));
    expect(err.code).toBe('timeout');
    expect(err.transient).toBe(true);
    expect(err.message).toContain(`127.0.0.1:${server.port}`);
  });

  it('aborts an endless body with too_large soon after maxBytes, and the server sees the hang-up', async () => {
    stream.written = 0;
    const err = await failure(fetcher.get(`${server.origin}/endless`));
    expect(err.code).toBe('too_large');
    expect(err.transient).toBe(false);
    await stream.closed;
    // Kernel socket buffers hold a few MB at most; without the abort this would be 2 GB (or the test would hang).
    expect(stream.written).toBeLessThan(64 * 1024 ** 2);
  });

  it('refuses a declared Content-Length above maxBytes without reading the body', async () => {
    const err = await failure(fetcher.get(`${server.origin}/declared-huge`));
    expect(err.code).toBe('too_large');
    await stream.closed;
  });

  it.each([
    [503, true],
    [429, true],
    [404, false],
  ])('maps HTTP %i to http_error (transient: %s)', async (status, transient) => {
    const err = await failure(fetcher.get(`${server.origin}/status/${status}`));
    expect(err).toMatchObject({ code: 'http_error', status, transient });
  });

  it('stops on the caller’s signal', async () => {
    const ctl = new AbortController();
    const pending = fetcher.get(`${server.origin}/silent`, { signal: ctl.signal });
    // Abort once the server holds the request, so it cannot arrive later and muddle the next test.
    while (!seen.some((s) => s.url === '/silent')) await new Promise((r) => setTimeout(r, 5));
    ctl.abort();
    const err = await failure(pending);
    expect(err.code).toBe('network');
    expect(err.message).toContain('cancelled');
  });

  describe('request() for webhooks', () => {
    it('sends the method, headers and body, and returns status, headers and text', async () => {
      const res = await fetcher.request(`${server.origin}/status/503`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'webhook-id': 'msg_1' },
        body: '{"type":"batch.completed"}',
      });
      expect(res.status).toBe(503);
      expect(res.body).toBe('nope');
      expect(res.headers['retry-after']).toBe('30');
      expect(seen[0]).toMatchObject({
        method: 'POST',
        body: '{"type":"batch.completed"}',
        headers: { 'content-type': 'application/json', 'webhook-id': 'msg_1', 'user-agent': 'pixmill-test' },
      });
    });

    it('returns a 302 as-is and does not follow it', async () => {
      const res = await fetcher.request(`${server.origin}/hook-redirect`, { method: 'POST', body: Buffer.from('{}') });
      expect(res.status).toBe(302);
      expect(res.headers).toMatchObject({ location: '/image', 'x-receiver': 'moved' });
      expect(seen.map((s) => s.url)).toEqual(['/hook-redirect']);
    });

    it('keeps only the first maxBytes of a long answer', async () => {
      const res = await fetcher.request(`${server.origin}/big-text`, { method: 'POST' });
      expect(res.body).toBe('x'.repeat(maxBytes));
    });

    it('applies its own timeout', async () => {
      const err = await failure(fetcher.request(`${server.origin}/silent`, { method: 'POST', timeoutMs: 200 }));
      expect(err.code).toBe('timeout');
    });

    it('keeps a caller-given User-Agent', async () => {
      await fetcher.request(`${server.origin}/image`, { method: 'GET', headers: { 'User-Agent': 'receiver-probe' } });
      expect(seen[0]?.headers['user-agent']).toBe('receiver-probe');
    });
  });
});

describe('safe fetcher: allowHosts and failures below HTTP', () => {
  let server: LocalServer;
  beforeAll(async () => {
    server = await startServer((_req, res) => res.end('hi'));
  });
  afterAll(() => server.close());

  const opts = { connectTimeoutMs: 2_000, timeoutMs: 5_000, maxBytes: 100, maxRedirects: 0 };

  it('reaches an allowed name that resolves to loopback (private deployment)', async () => {
    const lookup: Lookup = async () => [{ address: '127.0.0.1', family: 4 }];
    const f = createSafeFetcher({ ...opts, allowHosts: [`images.internal:${server.port}`], lookup });
    try {
      const res = await f.get(`http://images.internal:${server.port}/x`);
      expect(res.body.toString()).toBe('hi');
    } finally {
      await f.close();
    }
  });

  it('reaches any port of an entry given without a port', async () => {
    const f = createSafeFetcher({ ...opts, allowHosts: ['127.0.0.1'] });
    try {
      expect((await f.get(`${server.origin}/`)).status).toBe(200);
    } finally {
      await f.close();
    }
  });

  it('reports a refused connection as a transient network error', async () => {
    const closed = await startServer();
    const port = closed.port;
    await closed.close();
    const f = createSafeFetcher({ ...opts, allowHosts: [`127.0.0.1:${port}`] });
    try {
      const err = await failure(f.get(`http://127.0.0.1:${port}/`));
      expect([err.code, err.transient]).toEqual(['network', true]);
    } finally {
      await f.close();
    }
  });

  it('times out a DNS answer that never comes, using the connect timeout', async () => {
    const never: Lookup = () => new Promise(() => undefined);
    const f = createSafeFetcher({ ...opts, connectTimeoutMs: 100, timeoutMs: 30_000, allowHosts: [], lookup: never });
    try {
      const err = await failure(f.get('http://slow-dns.example/'));
      expect([err.code, err.transient]).toEqual(['timeout', true]);
    } finally {
      await f.close();
    }
  });

  it.each([
    ['ENOTFOUND', false],
    ['EAI_AGAIN', true],
  ])('maps DNS %s to dns_failure (transient: %s)', async (code, transient) => {
    const lookup: Lookup = async () => {
      throw Object.assign(new Error(`getaddrinfo ${code} internal-resolver-10.0.0.53`), { code });
    };
    const f = createSafeFetcher({ ...opts, allowHosts: [], lookup });
    try {
      const err = await failure(f.get('http://gone.example/'));
      expect(err).toMatchObject({ code: 'dns_failure', transient });
      expect(err.message).toContain('gone.example');
      expect(err.message).not.toContain('10.0.0.53');
    } finally {
      await f.close();
    }
  });

  it('refuses nonsense limits at creation', () => {
    expect(() => createSafeFetcher({ ...opts, allowHosts: [], maxBytes: 0 })).toThrow(TypeError);
    expect(() => createSafeFetcher({ ...opts, allowHosts: [], maxRedirects: -1 })).toThrow(TypeError);
  });
});
