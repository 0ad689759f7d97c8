import { assertFetchableUrl, createSafeFetcher, FetchError, type Lookup } from '../src';

const base = { connectTimeoutMs: 1_000, timeoutMs: 2_000, maxBytes: 1_000, maxRedirects: 2 };

/** A DNS stub that records what it was asked; nothing it answers is ever contacted in this file. */
function stubLookup(answers: Record<string, string[]>): Lookup & { calls: string[] } {
  const calls: string[] = [];
  const fn = async (hostname: string) => {
    calls.push(hostname);
    const list = answers[hostname];
    if (!list) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return list.map((address) => ({ address, family: (address.includes(':') ? 6 : 4) as 4 | 6 }));
  };
  return Object.assign(fn, { calls });
}

async function codeOf(p: Promise<unknown>): Promise<FetchError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FetchError);
  return err as FetchError;
}

describe('URL checks before any connection', () => {
  const lookup = stubLookup({});
  const fetcher = createSafeFetcher({ ...base, allowHosts: [], lookup });
  afterAll(() => fetcher.close());

  it.each(['file:///etc/passwd', 'gopher://example.com/', 'ftp://example.com/x.png', 'data:image/png;base64,AAAA'])(
    'refuses %s as blocked_scheme',
    async (url) => {
      const err = await codeOf(fetcher.get(url));
      expect(err.code).toBe('blocked_scheme');
      expect(err.transient).toBe(false);
    },
  );

  it('refuses text that is not a URL as invalid_url', async () => {
    expect((await codeOf(fetcher.get('not a url'))).code).toBe('invalid_url');
    expect((await codeOf(fetcher.request('not a url', { method: 'POST' }))).code).toBe('invalid_url');
  });

  it.each(['http://user:pass@example.com/', 'http://user@example.com/', 'https://:secret@example.com/'])(
    'refuses credentials in %s as invalid_url',
    async (url) => {
      const err = await codeOf(fetcher.get(url));
      expect(err.code).toBe('invalid_url');
      expect(err.message).not.toContain('pass');
      expect(err.message).not.toContain('secret');
    },
  );

  it('never asks DNS about a URL it refused', () => {
    expect(lookup.calls).toEqual([]);
  });
});

describe('assertFetchableUrl', () => {
  it('returns the parsed URL of a host resolving to public addresses', async () => {
    const lookup = stubLookup({ 'images.example': ['93.184.216.34', '2606:2800:220:1::1'] });
    const url = await assertFetchableUrl('https://images.example/a.png?x=1', { allowHosts: [], lookup });
    expect(url.href).toBe('https://images.example/a.png?x=1');
    expect(lookup.calls).toEqual(['images.example']);
  });

  it.each(['10.0.0.1', '192.168.1.1', '169.254.169.254', 'fd00::1', '127.0.0.1', '::1'])(
    'refuses a name resolving to %s without naming the address',
    async (address) => {
      const lookup = stubLookup({ 'hooks.example': [address] });
      const err = await codeOf(assertFetchableUrl('https://hooks.example/in', { allowHosts: [], lookup }));
      expect(err.code).toBe('blocked_address');
      expect(err.transient).toBe(false);
      expect(err.message).toContain('hooks.example');
      expect(err.message).not.toContain(address);
    },
  );

  it('refuses a name when any one of its addresses is private', async () => {
    const lookup = stubLookup({ 'mixed.example': ['93.184.216.34', '10.0.0.1'] });
    expect((await codeOf(assertFetchableUrl('http://mixed.example/', { allowHosts: [], lookup }))).code).toBe(
      'blocked_address',
    );
  });

  it.each([
    'http://0x7f000001/',
    'http://2130706433/',
    'http://127.1/',
    'http://0177.0.0.1/',
    'http://[::ffff:127.0.0.1]/',
  ])('sees %s as the loopback literal it is', async (url) => {
    const lookup = stubLookup({});
    expect((await codeOf(assertFetchableUrl(url, { allowHosts: [], lookup }))).code).toBe('blocked_address');
    expect(lookup.calls).toEqual([]);
  });

  it('lets an allowed host through without asking DNS', async () => {
    const lookup = stubLookup({});
    const url = await assertFetchableUrl('http://LOCALHOST:8080/hook', { allowHosts: ['localhost:8080'], lookup });
    expect(url.host).toBe('localhost:8080');
    expect(lookup.calls).toEqual([]);
  });

  it('matches an allowHosts port exactly, with the scheme default filled in', async () => {
    const lookup = stubLookup({ 'hooks.internal': ['10.1.2.3'] });
    const allowHosts = ['hooks.internal:80', '[::1]:9000'];
    await expect(assertFetchableUrl('http://hooks.internal/x', { allowHosts, lookup })).resolves.toBeInstanceOf(URL);
    await expect(assertFetchableUrl('http://[::1]:9000/x', { allowHosts, lookup })).resolves.toBeInstanceOf(URL);
    expect((await codeOf(assertFetchableUrl('https://hooks.internal/x', { allowHosts, lookup }))).code).toBe(
      'blocked_address',
    );
    expect((await codeOf(assertFetchableUrl('http://[::1]:9001/x', { allowHosts, lookup }))).code).toBe(
      'blocked_address',
    );
  });

  it('reports a name that does not exist as a permanent dns_failure', async () => {
    const err = await codeOf(assertFetchableUrl('http://nowhere.example/', { allowHosts: [], lookup: stubLookup({}) }));
    expect(err.code).toBe('dns_failure');
    expect(err.transient).toBe(false);
  });

  it('reports a temporary DNS failure as transient', async () => {
    const lookup: Lookup = async () => {
      throw Object.assign(new Error('getaddrinfo EAI_AGAIN'), { code: 'EAI_AGAIN' });
    };
    const err = await codeOf(assertFetchableUrl('http://flaky.example/', { allowHosts: [], lookup }));
    expect(err.code).toBe('dns_failure');
    expect(err.transient).toBe(true);
  });

  it('refuses bad schemes and credentials like the fetcher does', async () => {
    const lookup = stubLookup({});
    expect((await codeOf(assertFetchableUrl('ftp://example.com/', { allowHosts: [], lookup }))).code).toBe(
      'blocked_scheme',
    );
    expect((await codeOf(assertFetchableUrl('http://a:b@example.com/', { allowHosts: [], lookup }))).code).toBe(
      'invalid_url',
    );
  });
});

describe('allowHosts configuration', () => {
  it.each(['http://x/', 'host:0', 'host:99999', 'a b'])('refuses the entry %s at creation', (entry) => {
    expect(() => createSafeFetcher({ ...base, allowHosts: [entry] })).toThrow(TypeError);
  });
});
