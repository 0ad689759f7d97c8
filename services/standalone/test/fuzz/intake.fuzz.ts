// Property-based intake fuzzing against the real running pixmill (`pnpm start` in a process of its own, on the
// configuration of this jest project): generated CSVs, multipart bodies, JSON URL lists and recipes, and a valid CSV
// cut at every byte. Property: every answer is a 2xx or a 4xx JSON error — never a 5xx, a reset connection or a dead
// (or restarted) process — and a refused upload leaves no object, batch or upload intent behind.
// Seeded and bounded: FUZZ_SEED (default 20261204), FUZZ_RUNS (runs per property, default 40) and
// FUZZ_PROPERTY_SECONDS (time cap per property, default 150) replay or lengthen a run; a failure prints the seed and path that replay it (FUZZ_SEED=<seed> FUZZ_PATH=<path>).
import http from 'node:http';
import fc from 'fast-check';
import sharp from 'sharp';
import { isSuccessBody } from '@pixmill/gateway/testing';
import { errorOf } from '../abuse/support/cases';
import { installNetGuard } from '../abuse/support/net-guard';
import { abuseConfig, startTarget, type Target } from '../support/target';
import {
  csvCase,
  multipartCase,
  recipe,
  serialiseCsv,
  serialiseMultipart,
  urlList,
  VALID_CSV,
} from './support/arbitraries';

// Test infrastructure knobs (this file's own, documented in the README's test section).
const SEED = Number(process.env.FUZZ_SEED ?? 20261204);
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
const REPLAY_PATH = process.env.FUZZ_PATH;
// The most a property (its runs and any shrinking) may take, so CI stays within minutes on a loaded machine.
const PROPERTY_SECONDS = Number(process.env.FUZZ_PROPERTY_SECONDS ?? 150);

jest.setTimeout(30 * 60_000);

let t: Target;
let auth: { Authorization: string };
let samples: { jpeg: Buffer; png: Buffer };
let requests = 0;
const started = Date.now();

beforeAll(async () => {
  installNetGuard();
  t = await startTarget(abuseConfig(), {
    // Small limits, so generated files reach them in a few kilobytes.
    MAX_CSV_BYTES: String(64 * 1024),
    MAX_CSV_ROWS: '50',
    MAX_FILE_BYTES: String(256 * 1024),
    MAX_FILES_PER_BATCH: '4',
    FETCH_TIMEOUT_MS: '2000',
  });
  auth = await t.userAuth('fuzzer');
  samples = {
    jpeg: await sharp({ create: { width: 24, height: 16, channels: 3, background: '#456' } })
      .jpeg()
      .toBuffer(),
    png: await sharp({ create: { width: 16, height: 16, channels: 4, background: '#0a0' } })
      .png()
      .toBuffer(),
  };
}, 240_000);
afterAll(async () => {
  console.log(
    `intake fuzz (${t?.config}): ${requests} requests in ${Math.round((Date.now() - started) / 1000)} s, seed ${SEED}, ${RUNS} runs per property`,
  );
  await t?.close();
});

type Answer = { status: number; contentType: string | undefined; body: string };

/** One request with a raw body over its own connection; a reset or a hang is an answer of status 0. */
function send(path: string, body: Buffer, contentType: string): Promise<Answer> {
  requests++;
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: t.port,
        method: 'POST',
        path,
        headers: { ...auth, 'content-type': contentType, 'content-length': String(body.length), connection: 'close' },
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: res.headers['content-type'],
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', (err) =>
          resolve({ status: 0, contentType: undefined, body: `response error: ${err.message}` }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
    // The server may answer (and close) before it has read everything: that is an answer, not a reset.
    req.on('error', (err) => resolve({ status: 0, contentType: undefined, body: `request error: ${err.message}` }));
    req.end(body);
  });
}

type Footprint = { objects: number; batches: number; intents: number };
// What a request stores before its answer (uploaded CSVs and chunk lists, originals). Outputs are left out: resize
// writes them after an accepted request's answer, while later cases run.
const footprint = async (): Promise<Footprint> => ({
  objects: t.countObjects('uploads/') + t.countObjects('originals/'),
  batches: await t.db.batch.count(),
  intents: await t.db.uploadIntent.count(),
});

/** Waits (briefly: removal of a refused upload's parts may finish just after the answer) for `before` again. */
async function settlesTo(before: Footprint): Promise<Footprint> {
  let now = await footprint();
  for (let i = 0; i < 40 && JSON.stringify(now) !== JSON.stringify(before); i++) {
    await new Promise((r) => setTimeout(r, 100));
    now = await footprint();
  }
  return now;
}

const parsed = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** The property every answer must have. Throws (with what was wrong) so fast-check records the case. */
async function judge(what: string, a: Answer, before: Footprint): Promise<void> {
  const problems: string[] = [];
  if (a.status === 0) problems.push(`no answer (${a.body})`);
  else if (a.status >= 500) problems.push(`${a.status}: ${a.body.slice(0, 200)}`);
  else if (a.status >= 400) {
    const e = errorOf(a.status, a.contentType, a.body);
    if (e.includes('not-json-error')) problems.push(`not a JSON error: ${e}`);
    const after = await settlesTo(before);
    if (JSON.stringify(after) !== JSON.stringify(before))
      problems.push(`refused (${e}) but left ${JSON.stringify({ before, after })}`);
  } else if (a.status < 200 || a.status >= 300) problems.push(`status ${a.status}`);
  // A success under /api/v1 is in the envelope; the seed 003 short form answers flat.
  else if (!what.includes('/api/upload') && !isSuccessBody(parsed(a.body)))
    problems.push(`not the success envelope: ${a.body.slice(0, 200)}`);
  if (!t.alive()) problems.push(`the process is gone (exit ${t.output().slice(-2000)})`);
  else if (
    (await fetch(`${t.url}/api/v1/health`).then(
      (r) => r.status,
      () => 0,
    )) !== 200
  )
    problems.push('health is not 200 afterwards');
  if (problems.length) throw new Error(`${what}: ${problems.join('; ')}`);
}

const params = (): fc.Parameters<unknown> => ({
  seed: SEED,
  numRuns: RUNS,
  ...(REPLAY_PATH ? { path: REPLAY_PATH } : {}),
  // A live server: each run and shrinking step is a request, so the property is bounded in time.
  interruptAfterTimeLimit: PROPERTY_SECONDS * 1000,
  markInterruptAsFailure: false,
  reporter: (out) => {
    if (out.failed) {
      throw new Error(
        `${fc.defaultReportMessage(out)}\n${String(out.errorInstance)}\n` +
          `replay: FUZZ_SEED=${out.seed} FUZZ_PATH=${out.counterexamplePath} pnpm test:fuzz`,
      );
    }
  },
});

/** The options /resize takes, from a generated recipe's first variant (anything else generated: none). */
function resizeFieldsOf(r: unknown): Record<string, unknown> {
  const v = (r as { variants?: unknown[] } | null)?.variants?.[0];
  if (!v || typeof v !== 'object') return {};
  const take = ['width', 'height', 'fit', 'position', 'format', 'quality', 'max_bytes'];
  return Object.fromEntries(Object.entries(v).filter(([k, value]) => take.includes(k) && value !== null));
}

function csvForm(file: Buffer, field = 'file'): { body: Buffer; contentType: string } {
  const b = 'fuzz-csv-boundary';
  return {
    body: Buffer.concat([
      Buffer.from(
        `--${b}\r\nContent-Disposition: form-data; name="${field}"; filename="in.csv"\r\nContent-Type: text/csv\r\n\r\n`,
      ),
      file,
      Buffer.from(`\r\n--${b}--\r\n`),
    ]),
    contentType: `multipart/form-data; boundary=${b}`,
  };
}

describe(`intake fuzzing on ${abuseConfig()}`, () => {
  it('generated CSVs, to the batch route and the short form', async () => {
    await fc.assert(
      fc.asyncProperty(csvCase, fc.constantFrom('/api/v1/batches', '/api/upload'), async (c, route) => {
        const before = await footprint();
        const { body, contentType } = csvForm(serialiseCsv(c));
        await judge(`CSV to ${route}`, await send(route, body, contentType), before);
      }),
      params(),
    );
  });

  it('a valid CSV cut at every byte', async () => {
    for (let n = 0; n <= VALID_CSV.length; n++) {
      const before = await footprint();
      const { body, contentType } = csvForm(VALID_CSV.subarray(0, n));
      const route = n % 2 ? '/api/upload' : '/api/v1/batches';
      await judge(`the valid CSV cut to ${n} bytes, to ${route}`, await send(route, body, contentType), before);
    }
  });

  it('generated multipart bodies (boundaries, part headers, file names, cut-offs)', async () => {
    await fc.assert(
      fc.asyncProperty(multipartCase, async (c) => {
        const before = await footprint();
        const { body, contentType } = serialiseMultipart(c, samples);
        await judge(`multipart to ${c.route}`, await send(c.route, body, contentType), before);
      }),
      params(),
    );
  });

  it('generated JSON URL lists', async () => {
    await fc.assert(
      fc.asyncProperty(urlList, async (list) => {
        const before = await footprint();
        await judge(
          'JSON URL list',
          await send('/api/v1/batches', Buffer.from(JSON.stringify(list)), 'application/json'),
          before,
        );
      }),
      params(),
    );
  });

  it('generated recipes, with an image batch and with /resize', async () => {
    await fc.assert(
      fc.asyncProperty(recipe, fc.constantFrom('/api/v1/batches', '/api/v1/resize'), async (r, route) => {
        const before = await footprint();
        const b = 'fuzz-recipe-boundary';
        const field = route === '/api/v1/resize' ? 'image' : 'files[]';
        // /resize takes one variant's options as form fields; a batch takes the recipe as JSON in `recipe`.
        const fields: [string, unknown][] =
          route === '/api/v1/resize' ? Object.entries(resizeFieldsOf(r)) : [['recipe', JSON.stringify(r)]];
        const body = Buffer.concat([
          ...fields.map(([name, value]) =>
            Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${String(value)}\r\n`),
          ),
          Buffer.from(
            `--${b}\r\nContent-Disposition: form-data; name="${field}"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
          ),
          samples.jpeg,
          Buffer.from(`\r\n--${b}--\r\n`),
        ]);
        await judge(`recipe to ${route}`, await send(route, body, `multipart/form-data; boundary=${b}`), before);
      }),
      params(),
    );
  });
});
