import diagnostics from 'node:diagnostics_channel';
import { assertFetchableUrl, createSafeFetcher, FetchError, type Lookup } from '../src';
import { startServer, type LocalServer } from '../src/testing';

const base = { connectTimeoutMs: 2_000, timeoutMs: 5_000, maxBytes: 10_000, maxRedirects: 3 };

async function failure(p: Promise<unknown>): Promise<FetchError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FetchError);
  return err as FetchError;
}

const fixed =
  (address: string): Lookup =>
  async () => [{ address, family: address.includes(':') ? 6 : 4 }];

/**
 * The trap is a loopback server that is not in allowHosts: any connection it accepts is an SSRF hole.
 * It listens on 127.0.0.1 and, when the machine has IPv6 loopback, on the same port of ::1.
 */
describe('SSRF guard: a loopback server outside allowHosts receives nothing', () => {
  let trap: LocalServer;
  let allowed: LocalServer;
  let fetcher: ReturnType<typeof createSafeFetcher>;

  beforeAll(async () => {
    trap = await startServer((_req, res) => res.end('you should not see this'));
    allowed = await startServer((req, res) => {
      const to = new URL(req.url ?? '/', 'http://x').searchParams.get('to');
      res.writeHead(302, { location: to ?? '/' }).end();
    });
    fetcher = createSafeFetcher({ ...base, allowHosts: [`127.0.0.1:${allowed.port}`] });
  });
  afterAll(async () => {
    await fetcher.close();
    await trap.close();
    await allowed.close();
  });
  afterEach(() => expect(trap.connections()).toBe(0));

  it.each([
    ['127.0.0.1', (p: number) => `http://127.0.0.1:${p}/`],
    ['localhost (real DNS)', (p: number) => `http://localhost:${p}/`],
    ['hex 0x7f000001', (p: number) => `http://0x7f000001:${p}/`],
    ['decimal 2130706433', (p: number) => `http://2130706433:${p}/`],
    ['short 127.1', (p: number) => `http://127.1:${p}/`],
    ['octal 0177.0.0.1', (p: number) => `http://0177.0.0.1:${p}/`],
    ['v4-mapped [::ffff:127.0.0.1]', (p: number) => `http://[::ffff:127.0.0.1]:${p}/`],
    ['[::1]', (p: number) => `http://[::1]:${p}/`],
    ['https to 127.0.0.1', (p: number) => `https://127.0.0.1:${p}/`],
  ])('refuses %s with get() and request()', async (_name, url) => {
    expect((await failure(fetcher.get(url(trap.port)))).code).toBe('blocked_address');
    expect((await failure(fetcher.request(url(trap.port), { method: 'POST', body: '{}' }))).code).toBe(
      'blocked_address',
    );
  });

  it('refuses [::1] with the trap listening there too (when the machine has IPv6 loopback)', async () => {
    // Without ::1 the refusal above still holds; this states whether the trap could have seen it.
    if (!trap.ipv6) console.warn('no IPv6 loopback on this machine: [::1] refusal checked without a listener there');
    expect((await failure(fetcher.get(`http://[::1]:${trap.port}/`))).code).toBe('blocked_address');
  });

  it('refuses a redirect from an allowed server to the trap', async () => {
    const to = encodeURIComponent(`http://127.0.0.1:${trap.port}/secret`);
    const err = await failure(fetcher.get(`${allowed.origin}/?to=${to}`));
    expect(err.code).toBe('blocked_address');
    expect(allowed.requests()).toBeGreaterThan(0);
  });

  it('refuses a redirect from an allowed server to localhost on the trap port', async () => {
    const to = encodeURIComponent(`http://localhost:${trap.port}/`);
    expect((await failure(fetcher.get(`${allowed.origin}/?to=${to}`))).code).toBe('blocked_address');
  });

  it('refuses a redirect from an allowed server to a non-http scheme', async () => {
    const to = encodeURIComponent('file:///etc/passwd');
    expect((await failure(fetcher.get(`${allowed.origin}/?to=${to}`))).code).toBe('blocked_scheme');
  });

  it('refuses a name that a stubbed DNS answers with 127.0.0.1, at connect time', async () => {
    const calls: string[] = [];
    const lookup: Lookup = async (h) => {
      calls.push(h);
      return [{ address: '127.0.0.1', family: 4 }];
    };
    const f = createSafeFetcher({ ...base, allowHosts: [], lookup });
    try {
      const err = await failure(f.get(`http://images.example:${trap.port}/a.png`));
      expect(err.code).toBe('blocked_address');
      expect(err.message).toContain('images.example');
      expect(err.message).not.toContain('127.0.0.1');
      expect(calls).toEqual(['images.example']);
    } finally {
      await f.close();
    }
  });

  it('re-resolves at connect time, so a name that passed validation and then rebinds to loopback is refused', async () => {
    let answers = 0;
    // First answer (validation) is public and never contacted; every later answer is the trap's address.
    const rebinding: Lookup = async () => [{ address: answers++ === 0 ? '93.184.216.34' : '127.0.0.1', family: 4 }];
    const url = `http://rebind.example:${trap.port}/`;
    await expect(assertFetchableUrl(url, { allowHosts: [], lookup: rebinding })).resolves.toBeInstanceOf(URL);
    const f = createSafeFetcher({ ...base, allowHosts: [], lookup: rebinding });
    try {
      expect((await failure(f.request(url, { method: 'POST', body: '{}' }))).code).toBe('blocked_address');
      expect(answers).toBe(2);
    } finally {
      await f.close();
    }
  });

  it('refuses a name mixing a public and a loopback answer', async () => {
    const lookup: Lookup = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ];
    const f = createSafeFetcher({ ...base, allowHosts: [], lookup });
    try {
      expect((await failure(f.get(`http://mixed.example:${trap.port}/`))).code).toBe('blocked_address');
    } finally {
      await f.close();
    }
  });

  it('does not let an allowed name:port vouch for another port of the same address', async () => {
    const f = createSafeFetcher({
      ...base,
      allowHosts: [`assets.internal:${allowed.port}`],
      lookup: fixed('127.0.0.1'),
    });
    try {
      expect((await failure(f.get(`http://assets.internal:${trap.port}/`))).code).toBe('blocked_address');
    } finally {
      await f.close();
    }
  });
});

describe('SSRF guard: private and metadata addresses from DNS are refused before any connection', () => {
  // Subscribed for the whole block: undici publishes here only once a socket is really connected.
  const connected: unknown[] = [];
  const onConnected = (m: unknown) => connected.push(m);
  beforeAll(() => diagnostics.subscribe('undici:client:connected', onConnected));
  afterAll(() => diagnostics.unsubscribe('undici:client:connected', onConnected));

  it.each([
    '10.0.0.1',
    '192.168.1.1',
    '169.254.169.254',
    'fd00::1',
    '100.64.0.1',
    '::ffff:10.0.0.1',
    '64:ff9b::a9fe:a9fe',
  ])('refuses a name resolving to %s', async (address) => {
    const asked: string[] = [];
    const lookup: Lookup = async (h) => {
      asked.push(h);
      return [{ address, family: address.includes(':') ? 6 : 4 }];
    };
    // A long connect timeout: had a connection been attempted to an unroutable address, this would be a timeout, not a refusal.
    const f = createSafeFetcher({ ...base, connectTimeoutMs: 60_000, timeoutMs: 60_000, allowHosts: [], lookup });
    try {
      const get = await failure(f.get('http://metadata.example/latest/meta-data/'));
      const post = await failure(f.request('https://hooks.example/in', { method: 'POST', body: '{}' }));
      expect([get.code, post.code]).toEqual(['blocked_address', 'blocked_address']);
      expect(get.transient).toBe(false);
      expect(asked).toEqual(['metadata.example', 'hooks.example']);
      expect(connected).toEqual([]);
    } finally {
      await f.close();
    }
  });

  it.each(['http://10.0.0.1/', 'http://169.254.169.254/latest/', 'http://[fd00::1]/', 'http://[::ffff:a9fe:a9fe]/'])(
    'refuses the literal %s without asking DNS',
    async (url) => {
      let asked = 0;
      const f = createSafeFetcher({
        ...base,
        allowHosts: [],
        lookup: async () => {
          asked++;
          return [];
        },
      });
      try {
        expect((await failure(f.get(url))).code).toBe('blocked_address');
        expect(asked).toBe(0);
        expect(connected).toEqual([]);
      } finally {
        await f.close();
      }
    },
  );
});
