// The live-response check itself: a route answering other than it declares is recorded, one answering as it declares
// is not, and the run's reporter fails the run on what was recorded.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { z } from 'zod';
import { routeModules, type RouteModule } from '../src/routes';
import type { ResponseMismatch } from '../src/openapi/response-check';
import { startGateway, type TestGateway } from './support';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Reporter = require('./support/response-check.reporter.js') as {
  new (): { onRunComplete(): void; getLastError(): Error | undefined };
  readMismatches(dir: string): ResponseMismatch[];
};

const Count = z.object({ count: z.number().int() });

/** Routes that answer as they declare, and routes that don't. */
const testRoutes: RouteModule = ({ api }) => {
  const spec = (extra: object = {}) => ({
    summary: 'test',
    tags: ['test'],
    access: 'public' as const,
    responses: { 200: { description: 'a count', schema: Count } },
    ...extra,
  });
  api.get('/api/v1/test/right', spec(), (_req, res) => {
    res.json({ count: 3 });
  });
  api.get('/api/v1/test/wrong-body', spec(), (_req, res) => {
    res.json({ count: 'three' });
  });
  api.get('/api/v1/test/wrong-status', spec(), (_req, res) => {
    res.status(418).json({ count: 3 });
  });
  api.get('/api/v1/test/wrong-header', spec(), (_req, res) => {
    res.set('X-Polling-Interval', '2').json({ count: 3 });
  });
  api.get('/api/v1/test/wrong-type', spec(), (_req, res) => {
    res.type('text/csv').send('count\n3\n');
  });
};

describe('live-response check', () => {
  let gw: TestGateway;
  let dir: string;
  const recorded = (): ResponseMismatch[] => Reporter.readMismatches(dir);

  beforeAll(async () => {
    // Its own folder, not the run's: these mismatches are on purpose.
    dir = mkdtempSync(path.join(tmpdir(), 'pixmill-check-test-'));
    gw = await startGateway({
      settings: { RESPONSE_CHECK_DIR: dir },
      app: { routes: [...routeModules, testRoutes] },
    });
  });
  afterAll(async () => {
    await gw?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records nothing for an answer that matches its declaration', async () => {
    await request(gw.app).get('/api/v1/test/right').expect(200);
    expect(recorded()).toEqual([]);
  });

  it('records a body that does not match the declared schema, with the field and reason', async () => {
    await request(gw.app).get('/api/v1/test/wrong-body').expect(200);
    expect(recorded()).toEqual([
      expect.objectContaining({
        method: 'GET',
        path: '/api/v1/test/wrong-body',
        status: 200,
        problems: ['body/data/count must be integer'],
      }),
    ]);
  });

  it('records a status the operation does not declare', async () => {
    await request(gw.app).get('/api/v1/test/wrong-status').expect(418);
    expect(recorded().find((m) => m.path === '/api/v1/test/wrong-status')).toEqual(
      expect.objectContaining({ status: 418, problems: [expect.stringMatching(/^status 418 is not declared/)] }),
    );
  });

  it('records a contract header and a media type the response does not declare', async () => {
    await request(gw.app).get('/api/v1/test/wrong-header').expect(200);
    await request(gw.app).get('/api/v1/test/wrong-type').expect(200);
    const by = (p: string) => recorded().find((m) => m.path === p)?.problems;
    expect(by('/api/v1/test/wrong-header')).toEqual(['header x-polling-interval is sent but not declared']);
    expect(by('/api/v1/test/wrong-type')).toEqual([expect.stringMatching(/^text\/csv is sent but not declared/)]);
  });

  it('holds answers to paths no route takes against the shared error shape', async () => {
    const before = recorded().length;
    await request(gw.app).get('/api/v1/test/nowhere').expect(404);
    expect(recorded()).toHaveLength(before);
  });

  it('writes one file per process', () => {
    expect(readdirSync(dir)).toEqual([`${process.pid}.jsonl`]);
  });
});

describe('response check reporter', () => {
  const saved = process.env.RESPONSE_CHECK_DIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.RESPONSE_CHECK_DIR;
    else process.env.RESPONSE_CHECK_DIR = saved;
  });

  it('fails the run when any process recorded a mismatch, naming it', () => {
    delete process.env.RESPONSE_CHECK_DIR;
    const reporter = new Reporter();
    const dir = process.env.RESPONSE_CHECK_DIR!;
    expect(dir).toBeTruthy();
    const line: ResponseMismatch = { method: 'GET', path: '/x', url: '/x', status: 200, problems: ['body bad'] };
    writeFileSync(path.join(dir, '1234.jsonl'), JSON.stringify(line) + '\n');
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    reporter.onRunComplete();
    stderr.mockRestore();
    expect(reporter.getLastError()?.message).toMatch(/1 answer\(s\) differ[\s\S]*GET \/x 200[\s\S]*body bad/);
  });

  it('passes a run with no mismatch', () => {
    delete process.env.RESPONSE_CHECK_DIR;
    const reporter = new Reporter();
    reporter.onRunComplete();
    expect(reporter.getLastError()).toBeUndefined();
  });
});

it('is on in this run', () => {
  // The reporter of jest.config.js sets it before any test process starts.
  expect(process.env.RESPONSE_CHECK_DIR).toBeTruthy();
});
