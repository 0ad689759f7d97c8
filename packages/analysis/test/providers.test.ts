// The vision provider adapters against loopback servers answering in each provider's documented wire format.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  googleVisionAdapter,
  KeyPool,
  memoryProviderCache,
  openAiVisionAdapter,
  parseAnnotateResponse,
  parseChatCompletion,
  providerClient,
  type ProviderClientOptions,
  type VisionAdapter,
} from '../src';

/** An AnnotateImageResponse as Vision's REST v1 documents it (trimmed to the features pixmill asks for). */
const VISION_ANSWER = {
  responses: [
    {
      labelAnnotations: [
        { mid: '/m/01n32', description: 'Storefront', score: 0.93, topicality: 0.93 },
        { mid: '/m/0d4v4', description: 'Window', score: 0.88, topicality: 0.88 },
        { mid: '/m/07j7r', description: 'Facade', score: 0.8, topicality: 0.8 },
      ],
      logoAnnotations: [{ mid: '/m/0b_x', description: 'Bakery & Co', score: 0.81, boundingPoly: { vertices: [] } }],
      textAnnotations: [
        { locale: 'en', description: 'BAKERY & CO\nCall +44 20 7946 0958\n', boundingPoly: { vertices: [] } },
        { description: 'BAKERY', boundingPoly: { vertices: [] } },
      ],
      fullTextAnnotation: { pages: [], text: 'BAKERY & CO\nCall +44 20 7946 0958\n' },
    },
  ],
};

/** A chat completion as OpenAI's API documents it, the model's JSON in `message.content`. */
const chatAnswer = (content: string, finish = 'stop') => ({
  id: 'chatcmpl-123',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: 'gpt-4o-mini-2024-07-18',
  choices: [
    { index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: finish },
  ],
  usage: { prompt_tokens: 900, completion_tokens: 60, total_tokens: 960 },
});
const MODEL_JSON = JSON.stringify({
  store_image: true,
  store_name: 'Bakery & Co',
  image_description: 'A bakery shop front with a striped awning.',
  labels: ['bakery', 'shop front', 'awning'],
  text: 'BAKERY & CO',
});

type Handler = (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void;
type Loopback = {
  url: string;
  requests: { path: string; headers: http.IncomingHttpHeaders; body: string }[];
  close: () => Promise<void>;
};

async function loopback(handler: Handler): Promise<Loopback> {
  const requests: Loopback['requests'] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      requests.push({ path: req.url ?? '', headers: req.headers, body });
      handler(req, body, res);
    });
  });
  server.on('connection', (s) => (sockets.add(s), s.on('close', () => sockets.delete(s))));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))),
  };
}

const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};

const IMAGE = Buffer.from('ffd8ffe000104a46494600', 'hex');
let servers: Loopback[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});
async function serve(handler: Handler) {
  const s = await loopback(handler);
  servers.push(s);
  return s;
}

function client(adapter: VisionAdapter, url: string, o: Partial<ProviderClientOptions> = {}) {
  return providerClient({
    adapter,
    baseUrl: url,
    keys: ['key-one'],
    timeoutMs: 2000,
    retries: 2,
    concurrencyPerKey: 2,
    perMinutePerKey: 600,
    maxAnswerBytes: 100_000,
    cache: memoryProviderCache(),
    backoffMs: 10,
    ...o,
  });
}

describe('Google Cloud Vision adapter (images:annotate)', () => {
  it('sends the documented request and reads labels, logo and text', async () => {
    const s = await serve((_req, _body, res) => json(res, 200, VISION_ANSWER));
    const r = await client(googleVisionAdapter(), s.url).describe(IMAGE, 'h1');
    expect(r).toEqual({
      provider: 'google-vision',
      model: null,
      store_image: true,
      store_name: 'Bakery & Co',
      image_description: null, // Vision does not describe images: never invented
      labels: ['Storefront', 'Window', 'Facade'],
      text: 'BAKERY & CO\nCall +44 20 7946 0958',
      cache_hit: false,
    });
    const req = s.requests[0]!;
    expect(req.path).toBe('/v1/images:annotate');
    expect(req.headers['x-goog-api-key']).toBe('key-one');
    const sent = JSON.parse(req.body);
    expect(sent.requests[0].image.content).toBe(IMAGE.toString('base64'));
    expect(sent.requests[0].features.map((f: { type: string }) => f.type)).toEqual([
      'LABEL_DETECTION',
      'LOGO_DETECTION',
      'TEXT_DETECTION',
    ]);
  });

  it('leaves unanswered fields null and tells a non-store image', () => {
    expect(parseAnnotateResponse({ responses: [{}] })).toEqual({
      store_image: null,
      store_name: null,
      image_description: null,
      labels: null,
      text: null,
    });
    const sky = parseAnnotateResponse({ responses: [{ labelAnnotations: [{ description: 'Sky', score: 0.9 }] }] });
    expect(sky.store_image).toBe(false);
  });

  it('treats a per-image error in a 200 as a refusal, not a result', async () => {
    const s = await serve((_q, _b, res) =>
      json(res, 200, { responses: [{ error: { code: 3, message: 'Bad image data.' } }] }),
    );
    await expect(client(googleVisionAdapter(), s.url).describe(IMAGE, 'h')).rejects.toMatchObject({
      code: 'provider_refused',
      message: expect.stringContaining('Bad image data.'),
    });
    expect(s.requests).toHaveLength(1); // not retried
  });
});

describe('OpenAI-compatible adapter (chat completions)', () => {
  it('sends the image as a data URL and validates the model’s JSON', async () => {
    const s = await serve((_req, _body, res) => json(res, 200, chatAnswer(MODEL_JSON)));
    const r = await client(openAiVisionAdapter('gpt-4o-mini'), s.url + '/v1/').describe(IMAGE, 'h2');
    expect(r).toEqual({
      provider: 'openai',
      model: 'gpt-4o-mini',
      store_image: true,
      store_name: 'Bakery & Co',
      image_description: 'A bakery shop front with a striped awning.',
      labels: ['bakery', 'shop front', 'awning'],
      text: 'BAKERY & CO',
      cache_hit: false,
    });
    const req = s.requests[0]!;
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBe('Bearer key-one');
    const sent = JSON.parse(req.body);
    expect(sent.model).toBe('gpt-4o-mini');
    expect(sent.messages[0].content[1].image_url.url).toBe(`data:image/jpeg;base64,${IMAGE.toString('base64')}`);
  });

  it('reads JSON the model fenced, and keeps what it did not say null', () => {
    const r = parseChatCompletion(chatAnswer('```json\n{"store_image": false, "labels": ["dune"]}\n```'));
    expect(r).toEqual({ store_image: false, store_name: null, image_description: null, labels: ['dune'], text: null });
  });

  it('refuses answers that are not the JSON asked for', () => {
    for (const content of ['Sure! It is a bakery.', '{"store_image": "yes"}', '[1,2]']) {
      expect(() => parseChatCompletion(chatAnswer(content))).toThrow(
        expect.objectContaining({ code: 'provider_bad_answer' }),
      );
    }
    expect(() => parseChatCompletion(chatAnswer(MODEL_JSON.slice(0, 30), 'length'))).toThrow(/ran out of tokens/);
    expect(() => parseChatCompletion({ choices: [] })).toThrow(
      expect.objectContaining({ code: 'provider_bad_answer' }),
    );
  });
});

describe('provider client: retries, limits, cache', () => {
  it('waits out a 429 (Retry-After) and then succeeds', async () => {
    let calls = 0;
    const s = await serve((_q, _b, res) =>
      ++calls === 1
        ? json(
            res,
            429,
            { error: { code: 429, message: 'Quota exceeded', status: 'RESOURCE_EXHAUSTED' } },
            { 'retry-after': '0.3' },
          )
        : json(res, 200, VISION_ANSWER),
    );
    const started = Date.now();
    const r = await client(googleVisionAdapter(), s.url).describe(IMAGE, 'h');
    expect(r.store_name).toBe('Bakery & Co');
    expect(calls).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
  });

  it('gives up after its retries on repeated 429s and 5xx, saying why', async () => {
    const s = await serve((_q, _b, res) => json(res, 429, { error: { message: 'Rate limit reached for requests' } }));
    await expect(client(openAiVisionAdapter('m'), s.url).describe(IMAGE, 'h')).rejects.toMatchObject({
      code: 'provider_rate_limited',
      message: expect.stringContaining('after 3 attempts'),
    });
    expect(s.requests).toHaveLength(3);
    const down = await serve((_q, _b, res) => json(res, 503, 'upstream connect error'));
    await expect(client(googleVisionAdapter(), down.url, { retries: 1 }).describe(IMAGE, 'h')).rejects.toMatchObject({
      code: 'provider_unavailable',
    });
    expect(down.requests).toHaveLength(2);
  });

  it('times out a provider that does not answer, and retries', async () => {
    const s = await serve(() => undefined); // never answers
    await expect(
      client(googleVisionAdapter(), s.url, { timeoutMs: 200, retries: 1 }).describe(IMAGE, 'h'),
    ).rejects.toMatchObject({
      code: 'provider_timeout',
    });
    expect(s.requests).toHaveLength(2);
  });

  it('refuses garbage: not JSON, the wrong shape, an answer over the size cap', async () => {
    const cases: [Handler, string][] = [
      [(_q, _b, res) => json(res, 200, '<html>Service Unavailable</html>'), 'provider_bad_answer'],
      [(_q, _b, res) => json(res, 200, { responses: 'nope' }), 'provider_bad_answer'],
      [
        (_q, _b, res) => json(res, 200, { responses: [{ labelAnnotations: [{ description: 42 }] }] }),
        'provider_bad_answer',
      ],
      [(_q, _b, res) => json(res, 200, { junk: 'x'.repeat(200_000) }), 'provider_bad_answer'],
      [
        (_q, _b, res) => {
          // over the cap without a content-length: cut while streaming
          res.writeHead(200, { 'content-type': 'application/json' });
          for (let i = 0; i < 50; i++) res.write('x'.repeat(10_000));
          res.end();
        },
        'provider_bad_answer',
      ],
      [(_q, _b, res) => json(res, 400, { error: { code: 400, message: 'API key not valid.' } }), 'provider_refused'],
      [(req) => req.socket.destroy(), 'provider_unavailable'],
    ];
    for (const [handler, code] of cases) {
      const s = await serve(handler);
      await expect(client(googleVisionAdapter(), s.url, { retries: 0 }).describe(IMAGE, 'h')).rejects.toMatchObject({
        code,
      });
    }
  });

  it('never puts the key in an error message', async () => {
    const s = await serve((_q, _b, res) => json(res, 403, { error: { message: 'Permission denied' } }));
    const err = await client(googleVisionAdapter(), s.url, { keys: ['sekrit-key-123'] })
      .describe(IMAGE, 'h')
      .catch((e: Error) => e);
    expect(String((err as Error).message)).not.toContain('sekrit-key-123');
    expect(s.requests[0]!.path).not.toContain('sekrit');
  });

  it('answers the same content hash from its cache (cache_hit) without calling again', async () => {
    const s = await serve((_q, _b, res) => json(res, 200, VISION_ANSWER));
    const c = client(googleVisionAdapter(), s.url);
    const first = await c.describe(IMAGE, 'same-hash');
    const second = await c.describe(IMAGE, 'same-hash');
    expect(first.cache_hit).toBe(false);
    expect(second).toEqual({ ...first, cache_hit: true });
    expect(s.requests).toHaveLength(1);
    await c.describe(IMAGE, 'other-hash');
    expect(s.requests).toHaveLength(2);
  });

  it('rotates keys and holds each to its concurrency cap', async () => {
    let inFlight = new Map<string, number>();
    let worst = 0;
    const s = await serve((req, _b, res) => {
      const key = String(req.headers['x-goog-api-key']);
      inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
      worst = Math.max(worst, inFlight.get(key)!);
      setTimeout(() => {
        inFlight.set(key, inFlight.get(key)! - 1);
        json(res, 200, VISION_ANSWER);
      }, 50);
    });
    const c = client(googleVisionAdapter(), s.url, { keys: ['k1', 'k2', 'k3'], concurrencyPerKey: 1 });
    await Promise.all(Array.from({ length: 9 }, (_, i) => c.describe(IMAGE, `h${i}`)));
    expect(worst).toBe(1);
    const used = s.requests.map((r) => r.headers['x-goog-api-key']);
    expect(new Set(used)).toEqual(new Set(['k1', 'k2', 'k3']));
    for (const k of ['k1', 'k2', 'k3']) expect(used.filter((u) => u === k)).toHaveLength(3);
    inFlight = new Map();
  });

  it('moves to another key while one waits out its 429', async () => {
    const s = await serve((req, _b, res) =>
      req.headers['x-goog-api-key'] === 'limited'
        ? json(res, 429, { error: { message: 'Quota exceeded' } }, { 'retry-after': '30' })
        : json(res, 200, VISION_ANSWER),
    );
    const c = client(googleVisionAdapter(), s.url, { keys: ['limited', 'fresh'], concurrencyPerKey: 1 });
    for (let i = 0; i < 3; i++) await c.describe(IMAGE, `x${i}`);
    // The limited key was asked once; the fresh one answered all three.
    expect(s.requests.map((r) => r.headers['x-goog-api-key'])).toEqual(['limited', 'fresh', 'fresh', 'fresh']);
  });
});

describe('key pool rate cap', () => {
  it('lets a key send at most its number per minute', async () => {
    jest.useFakeTimers({ now: 0 });
    try {
      const pool = new KeyPool(['a', 'b'], { concurrency: 10, perMinute: 2 });
      const keys: string[] = [];
      for (let i = 0; i < 4; i++) {
        const lease = await pool.acquire();
        keys.push(lease.key);
        lease.release();
      }
      expect(keys.sort()).toEqual(['a', 'a', 'b', 'b']);
      // The fifth waits until a minute after the first send.
      let got: string | undefined;
      const fifth = pool.acquire().then((l) => (got = l.key));
      await jest.advanceTimersByTimeAsync(59_000);
      expect(got).toBeUndefined();
      await jest.advanceTimersByTimeAsync(1_100);
      await fifth;
      expect(got).toBeDefined();
    } finally {
      jest.useRealTimers();
    }
  });
});
