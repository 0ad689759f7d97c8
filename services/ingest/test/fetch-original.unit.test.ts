// Fetching one URL with retries, judged by its bytes: driven by a fake fetcher (our own interface), no network.
import { FetchError } from '@pixmill/safe-fetch';
import { backoff, fetchErrorCode, fetchOriginal } from '../src/fetch-original';
import { PNG } from '@pixmill/safe-fetch/testing';

type Answer = Buffer | FetchError;
const fetcher = (answers: Answer[]) => {
  const urls: string[] = [];
  return {
    urls,
    get: async (url: string) => {
      urls.push(url);
      const a = answers.shift();
      if (!a) throw new Error('no more answers');
      if (a instanceof FetchError) throw a;
      return { status: 200, finalUrl: url, body: a, contentType: 'text/plain' };
    },
  };
};
const retry = { attempts: 3, baseDelayMs: 100 };
const sleeps: number[] = [];
const sleep = async (ms: number) => void sleeps.push(ms);
beforeEach(() => (sleeps.length = 0));

describe('fetchOriginal', () => {
  it('retries transient failures with growing delays, then succeeds', async () => {
    const f = fetcher([
      new FetchError('timeout', 'slow'),
      new FetchError('http_error', 'busy', { status: 503, transient: true }),
      PNG,
    ]);
    const r = await fetchOriginal(f, ' http://a.test/x.png ', { retry, sleep });
    expect(r).toMatchObject({ ok: true, format: 'png', extension: 'png', contentType: 'image/png', tries: 3 });
    expect(f.urls).toEqual(['http://a.test/x.png', 'http://a.test/x.png', 'http://a.test/x.png']);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeGreaterThanOrEqual(100);
    expect(sleeps[1]).toBeGreaterThanOrEqual(400);
  });

  it('gives up after the last attempt with the code and the number of tries', async () => {
    const f = fetcher([0, 1, 2].map(() => new FetchError('network', 'reset')));
    expect(await fetchOriginal(f, 'http://a.test/x', { retry, sleep })).toEqual({
      ok: false,
      code: 'network_error',
      message: 'reset (after 3 tries)',
      tries: 3,
    });
  });

  it('does not retry what will answer the same', async () => {
    const f = fetcher([new FetchError('http_error', 'gone', { status: 404, transient: false }), PNG]);
    expect(await fetchOriginal(f, 'http://a.test/x', { retry, sleep })).toMatchObject({
      ok: false,
      code: 'http_404',
      tries: 1,
    });
    expect(sleeps).toEqual([]);
  });

  it('refuses empty and overlong URLs without a request', async () => {
    const f = fetcher([]);
    expect(await fetchOriginal(f, '   ', { retry, sleep })).toMatchObject({ ok: false, code: 'invalid_url', tries: 0 });
    expect(await fetchOriginal(f, `http://a.test/${'x'.repeat(5000)}`, { retry, sleep })).toMatchObject({
      ok: false,
      code: 'invalid_url',
    });
    expect(f.urls).toEqual([]);
  });

  it('judges content by its bytes, not the Content-Type', async () => {
    expect(
      await fetchOriginal(fetcher([Buffer.from('<html>')]), 'http://a.test/x.png', { retry, sleep }),
    ).toMatchObject({
      ok: false,
      code: 'not_an_image',
      message: expect.stringContaining('text/plain'),
    });
    expect(
      await fetchOriginal(fetcher([Buffer.from('%PDF-1.4 ...')]), 'http://a.test/x.png', { retry, sleep }),
    ).toMatchObject({
      ok: false,
      code: 'unsupported_format',
    });
  });

  it('starts no retry once the worker is stopping', async () => {
    const stopping = new AbortController();
    stopping.abort();
    const f = fetcher([new FetchError('timeout', 'slow'), PNG]);
    await expect(
      fetchOriginal(f, 'http://a.test/x', {
        retry,
        sleep,
        stopping: stopping.signal,
        stopped: () => new Error('stopping'),
      }),
    ).rejects.toThrow('stopping');
    expect(f.urls).toHaveLength(1);
  });

  it('maps fetch errors to image error codes', () => {
    expect(fetchErrorCode(new FetchError('http_error', 'x', { status: 429 }))).toBe('http_429');
    expect(fetchErrorCode(new FetchError('blocked_address', 'x'))).toBe('blocked_address');
    expect(fetchErrorCode(new FetchError('network', 'x'))).toBe('network_error');
  });

  it('backs off 1x, 4x, 16x with at most 25% jitter', () => {
    for (const [attempt, base] of [
      [1, 100],
      [2, 400],
      [3, 1600],
    ] as const) {
      const ms = backoff(100, attempt);
      expect(ms).toBeGreaterThanOrEqual(base);
      expect(ms).toBeLessThanOrEqual(base * 1.25);
    }
  });
});
