// The Dockerfile's build replayed outside Docker (src/build-dryrun.ts), then the results started the way the image
// and docker-compose.yml start them: bad configuration stops a worker naming the setting, the migration command
// runs, and every service comes up healthy against the machine's PostgreSQL and RabbitMQ and an S3 server.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, freePort, type TestDatabase } from '@pixmill/db/testing';
import { sampleValue } from '@pixmill/observability/testing';
import { startTestS3, type TestS3 } from '@pixmill/storage/testing';
import { deleteQueuesWithPrefix, testAmqpUrl } from '@pixmill/queue/testing';
import { BUNDLE_FILE, deployableServices, dryRunBuild, isWorker, type BuiltImage } from '../src';

jest.setTimeout(240_000);

type Exit = { code: number | null; signal: NodeJS.Signals | null };
type Started = { output: () => string; exited: Promise<Exit>; stop(): Promise<Exit> };

/** Starts `cmd` in the image's folder with only the image's ENV and `env` (nothing of this process leaks in). */
function start(image: BuiltImage, env: Record<string, string>, cmd: string[] = image.cmd): Started {
  const [bin, ...args] = cmd;
  const child = spawn(bin === 'node' ? process.execPath : (bin as string), args, {
    cwd: image.appDir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...image.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    output: () => out,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

async function waitForStatus(url: string, p: Started, status = 200, timeoutMs = 60_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void p.exited.then(() => (exited = true));
  for (;;) {
    if (exited) throw new Error(`exited before ${url} answered:\n${p.output()}`);
    try {
      const res = await fetch(url);
      if (res.status === status) return res;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer ${status}:\n${p.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('the Dockerfile build, replayed outside Docker', () => {
  const services = deployableServices();
  let workDir: string;
  let images: Map<string, BuiltImage>;
  const steps: string[] = [];

  beforeAll(async () => {
    workDir = mkdtempSync(path.join(tmpdir(), 'pixmill-image-'));
    const built = await dryRunBuild({ services, workDir, log: (l) => steps.push(l) });
    images = new Map(built.map((b) => [b.service, b]));
  });
  afterAll(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  const image = (service: string): BuiltImage => {
    const i = images.get(service);
    if (!i) throw new Error(`no image for ${service}`);
    return i;
  };

  it('ran the build stage steps, from the install through the bundle to pnpm deploy', () => {
    expect(steps.some((l) => /pnpm install --frozen-lockfile --offline/.test(l))).toBe(true);
    for (const service of services) {
      const bundled = steps.findIndex((l) => l.endsWith(`node infra/build/bundle.mjs "${service}"`));
      const deployed = steps.findIndex((l) => l.includes(`pnpm deploy --filter "@pixmill/${service}"`));
      expect({ service, bundled: bundled >= 0 && bundled < deployed }).toEqual({ service, bundled: true });
    }
  });

  it('produces, per service, its bundle and production dependencies only', () => {
    for (const service of services) {
      const { appDir, user, cmd } = image(service);
      expect(user).toBe('node');
      expect(cmd).toEqual(['node', BUNDLE_FILE]);
      // Built in the image (.dockerignore keeps a developer's dist/ out) and carried by pnpm deploy ("files").
      expect(statSync(path.join(appDir, BUNDLE_FILE)).size).toBeGreaterThan(1024 * 1024);
      expect(existsSync(path.join(appDir, 'src/main.ts'))).toBe(true);
      // tsx runs the migration command (TypeScript source) in the gateway image.
      expect(existsSync(path.join(appDir, 'node_modules/tsx/package.json'))).toBe(true);
      expect(existsSync(path.join(appDir, 'node_modules/@pixmill/runtime/src/index.ts'))).toBe(true);
      // Generated at install, copied along with @pixmill/db.
      expect(existsSync(path.join(appDir, 'node_modules/@pixmill/db/src/generated/prisma/client.ts'))).toBe(true);
      // Neither dev tools nor tests travel.
      expect(existsSync(path.join(appDir, 'node_modules/jest'))).toBe(false);
      expect(existsSync(path.join(appDir, 'node_modules/typescript'))).toBe(false);
      expect(existsSync(path.join(appDir, 'test'))).toBe(false);
    }
  });

  it('loads and ships sharp only in the images that decode pixels (resize, analyze): the others never map libvips (~25-45 MB resident each)', () => {
    for (const service of services) {
      const { appDir } = image(service);
      const bundle = readFileSync(path.join(appDir, BUNDLE_FILE), 'utf8');
      const shipped = existsSync(path.join(appDir, 'node_modules/sharp/package.json'));
      expect({ service, loads: bundle.includes('require("sharp")'), shipped }).toEqual({
        service,
        loads: service === 'resize' || service === 'analyze',
        shipped: service === 'resize' || service === 'analyze',
      });
    }
  });

  it('ships sharp with its prebuilt libvips in the resize image', async () => {
    const probe = start(image('resize'), {}, [
      'node',
      '--import',
      'tsx',
      '-e',
      `const { processImage, parseRecipe } = require('@pixmill/imaging');
       const sharp = require(require.resolve('sharp', { paths: [require.resolve('@pixmill/imaging')] }));
       sharp({ create: { width: 64, height: 48, channels: 3, background: '#336699' } }).png().toBuffer()
         .then((png) => processImage(png, parseRecipe([{ name: 'w', width: 32, format: 'webp' }]), { maxInputPixels: 1e6, timeoutMs: 10000 }))
         .then((r) => console.log('out', r.outputs[0].format, r.outputs[0].width, r.outputs[0].height));`,
    ]);
    expect(await probe.exited).toEqual({ code: 0, signal: null });
    expect(probe.output()).toContain('out webp 32 24');
  });

  it('stops a worker with bad configuration, naming the setting', async () => {
    const bad = start(image('resize'), { RESIZE_CONCURRENCY: 'lots', DATABASE_URL: 'postgresql://x@127.0.0.1:9/x' });
    expect(await bad.exited).toEqual({ code: 1, signal: null });
    expect(bad.output()).toMatch(/invalid configuration:\s+RESIZE_CONCURRENCY:/);
    const alone = start(image('resize'), {});
    expect(await alone.exited).toEqual({ code: 1, signal: null });
    expect(alone.output()).toContain('DATABASE_URL: required to run resize on its own');
  });

  describe('against real services', () => {
    let db: TestDatabase;
    let s3: TestS3;
    const prefix = `dtest-${randomBytes(4).toString('hex')}`;
    beforeAll(async () => {
      db = await createTestDatabase();
      s3 = await startTestS3();
    });
    afterAll(async () => {
      await deleteQueuesWithPrefix(prefix).catch(() => undefined);
      await s3?.close();
      await db?.drop();
    });
    const env = (): Record<string, string> => ({
      // In place of the image's HOST=0.0.0.0: a test listens on loopback only.
      HOST: '127.0.0.1',
      DATA_DIR: path.join(workDir, 'data'),
      DATABASE_URL: db.url,
      AMQP_URL: testAmqpUrl(),
      QUEUE_PREFIX: prefix,
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: s3.bucket,
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      S3_FORCE_PATH_STYLE: 'true',
      JWT_SECRET: 'deploy-check-jwt-secret-0123456789abcdef',
      ADMIN_PASSWORD: 'deploy-check-admin-password',
      LOG_LEVEL: 'info',
    });

    it('runs the migration command of compose and the k8s Job from the gateway image', async () => {
      const m = start(image('gateway'), { DATABASE_URL: db.url }, [
        'node',
        '--import',
        'tsx',
        'node_modules/@pixmill/db/src/migrate.cli.ts',
      ]);
      expect(await m.exited).toEqual({ code: 0, signal: null });
      expect(m.output()).toMatch(/nothing to apply|applied \d+ migration/);
    });

    it.each(services)('starts %s, healthy with its metrics, and stops on SIGTERM with exit 0', async (service) => {
      const port = await freePort();
      const p = start(image(service), {
        ...env(),
        ...(isWorker(service) ? { HEALTH_PORT: String(port) } : { PORT: String(port) }),
      });
      try {
        const base = `http://127.0.0.1:${port}`;
        const health = await waitForStatus(`${base}${isWorker(service) ? '/readyz' : '/healthz'}`, p);
        expect(await health.json()).toMatchObject({
          status: 'ok',
          checks: { database: { status: 'ok' }, queue: { status: 'ok' }, storage: { status: 'ok' } },
        });
        const metrics = await (await fetch(`${base}/metrics`)).text();
        expect(sampleValue(metrics, 'pixmill_process_resident_memory_bytes', { service })).toBeGreaterThan(0);
        expect(metrics).toContain('# TYPE pixmill_outbox_backlog_messages gauge');
        if (isWorker(service)) expect(metrics).toContain('# TYPE pixmill_queue_depth_messages gauge');
        else
          expect(
            sampleValue(metrics, 'pixmill_http_request_duration_seconds_count', { route: '/healthz', status: '200' }),
          ).toBeGreaterThan(0);
      } finally {
        expect(await p.stop()).toEqual({ code: 0, signal: null });
      }
    });
  });
});
