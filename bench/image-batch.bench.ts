// Image batches: raw sharp (the default recipe, same parallelism) against the whole pipeline — HTTP upload to the
// gateway, RabbitMQ, the resize service, outputs to S3 — on the same real photographs, in the same run.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { createTestDatabase, freePort } from '@pixmill/db/testing';
import { defaultRecipe, processImage } from '@pixmill/imaging';
import { startTestS3 } from '@pixmill/storage/testing';
import { findPhotos } from './support/photos';
import { login } from './support/login';
import { waitForHttp } from './support/processes';
import { startDeployed } from './support/bundles';
import { benchServiceEnv } from './support/service-env';

const IMAGES = 48;
const CONCURRENCY = 2; // one image per core: more adds nothing but memory (TOOLCHAIN.md)
const MAX_INPUT_PIXELS = 50_000_000;

async function pickPhotos(): Promise<{ name: string; data: Buffer; megapixels: number }[]> {
  const out: { name: string; data: Buffer; megapixels: number }[] = [];
  for (const file of findPhotos(IMAGES)) {
    const meta = await sharp(file)
      .metadata()
      .catch(() => null);
    if (!meta?.width || !meta.height) continue;
    const mp = (meta.width * meta.height) / 1e6;
    if (mp < 2 || mp > MAX_INPUT_PIXELS / 1e6) continue;
    out.push({ name: path.basename(file), data: readFileSync(file), megapixels: mp });
    if (out.length === IMAGES) break;
  }
  if (out.length < IMAGES) throw new Error(`only ${out.length} photographs of 2 Mpx or more`);
  return out;
}

async function rawSharp(photos: { data: Buffer }[]): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < photos.length) {
        const p = photos[next++]!;
        await processImage(p.data, defaultRecipe, { maxInputPixels: MAX_INPUT_PIXELS, timeoutMs: 120_000 });
      }
    }),
  );
  return (performance.now() - started) / 1000;
}

async function pipeline(photos: { name: string; data: Buffer }[]) {
  const db = await createTestDatabase();
  const s3 = await startTestS3();
  const port = await freePort();
  const env = {
    ...benchServiceEnv({ databaseUrl: db.url, s3, queuePrefix: `bench-${randomBytes(4).toString('hex')}` }),
    RESIZE_CONCURRENCY: String(CONCURRENCY),
    MAX_FILES_PER_BATCH: String(IMAGES),
    MAX_FILE_BYTES: String(64 * 1024 * 1024),
  };
  const gateway = startDeployed('gateway', { ...env, PORT: String(port) });
  const resize = startDeployed('resize', {
    ...env,
    HEALTH_PORT: String(await freePort()),
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${base}/healthz`);
    const auth = await login(base, 'admin', env.ADMIN_PASSWORD);
    const form = new FormData();
    for (const p of photos) form.append('files[]', new Blob([new Uint8Array(p.data)]), p.name);

    const started = performance.now();
    const res = await fetch(`${base}/api/v1/batches`, { method: 'POST', headers: auth, body: form });
    if (res.status !== 201) throw new Error(`upload: ${res.status} ${await res.text()}`);
    const uploadedSeconds = (performance.now() - started) / 1000;
    const { batch_id } = (await res.json()) as { batch_id: string };
    let status = '';
    let body: Record<string, unknown> = {};
    while (!['completed', 'failed', 'cancelled'].includes(status)) {
      await new Promise((r) => setTimeout(r, 50));
      body = (await (await fetch(`${base}/api/v1/batches/${batch_id}/progress`, { headers: auth })).json()) as Record<
        string,
        unknown
      >;
      status = String(body.status);
    }
    const seconds = (performance.now() - started) / 1000;
    if (body.successful_count !== photos.length) throw new Error(`pipeline: ${JSON.stringify(body)}`);
    return { seconds, uploadedSeconds, gatewayPeakRssMb: gateway.peakRssMb(), resizePeakRssMb: resize.peakRssMb() };
  } finally {
    await gateway.stop();
    await resize.stop();
    await s3.close();
    await db.drop();
  }
}

export async function runImageBench(): Promise<Record<string, unknown>> {
  const photos = await pickPhotos();
  const megapixels = photos.reduce((s, p) => s + p.megapixels, 0);
  await rawSharp(photos.slice(0, 4)); // warm up libvips
  const rawSeconds = await rawSharp(photos);
  const pipe = await pipeline(photos);
  const rawPerSecond = photos.length / rawSeconds;
  const pipelinePerSecond = photos.length / pipe.seconds;
  return {
    images: photos.length,
    total_megapixels: Math.round(megapixels),
    input_megabytes: Math.round(photos.reduce((s, p) => s + p.data.length, 0) / 1e6),
    concurrency: CONCURRENCY,
    raw_images_per_second: round(rawPerSecond),
    pipeline_images_per_second: round(pipelinePerSecond),
    ratio: round(pipelinePerSecond / rawPerSecond),
    target_ratio: 0.9,
    upload_seconds: round(pipe.uploadedSeconds),
    pipeline_seconds: round(pipe.seconds),
    raw_seconds: round(rawSeconds),
    gateway_peak_rss_mb: pipe.gatewayPeakRssMb,
    resize_peak_rss_mb: pipe.resizePeakRssMb,
  };
}

const round = (n: number) => Math.round(n * 100) / 100;
