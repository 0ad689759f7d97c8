// Webhook latency: from the last image of a batch finishing (its processed_at, written by the resize service in the
// transaction that ends the batch) to the webhook arriving at a local receiver. Gateway, resize and notifier run as
// their own processes on real PostgreSQL, RabbitMQ and S3 protocol, with default settings (OUTBOX_POLL_MS included).
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { createTestDatabase, freePort } from '@pixmill/db/testing';
import { startTestS3 } from '@pixmill/storage/testing';
import { login } from './support/login';
import { waitForHttp } from './support/processes';
import { startDeployed } from './support/bundles';
import { benchServiceEnv } from './support/service-env';
import { readData } from '@pixmill/gateway/testing';

const BATCHES = 20;

export async function runWebhookLatencyBench(): Promise<Record<string, unknown>> {
  const received = new Map<string, number>();
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received.set(req.url ?? '/', Date.now());
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const rxHost = `127.0.0.1:${(receiver.address() as AddressInfo).port}`;

  const db = await createTestDatabase();
  const s3 = await startTestS3();
  const port = await freePort();
  const env = {
    ...benchServiceEnv({ databaseUrl: db.url, s3, queuePrefix: `bench-${randomBytes(4).toString('hex')}` }),
    FETCH_ALLOW_HOSTS: rxHost,
  };
  const services = [
    startDeployed('gateway', { ...env, PORT: String(port) }),
    startDeployed('resize', { ...env, HEALTH_PORT: String(await freePort()) }),
    startDeployed('notifier', { ...env, HEALTH_PORT: String(await freePort()) }),
  ];
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${base}/healthz`);
    const auth = await login(base, 'admin', env.ADMIN_PASSWORD);
    const image = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3366aa' } })
      .jpeg()
      .toBuffer();

    const upload = async (path: string) => {
      const form = new FormData();
      form.append('files[]', new Blob([new Uint8Array(image)], { type: 'image/jpeg' }), 'one.jpg');
      form.append('webhook_url', `http://${rxHost}${path}`);
      const res = await fetch(`${base}/api/v1/batches`, { method: 'POST', headers: auth, body: form });
      if (res.status !== 201) throw new Error(`upload: ${res.status} ${await res.text()}`);
      return ((await readData(res)) as { batch_id: string }).batch_id;
    };
    const arrival = async (path: string) => {
      const deadline = Date.now() + 60_000;
      while (!received.has(path)) {
        if (Date.now() > deadline) throw new Error(`no webhook at ${path}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      return received.get(path)!;
    };

    // The first batch warms every process (module loading, connections, sharp) and is not counted.
    await upload('/warmup');
    await arrival('/warmup');
    const latencies: number[] = [];
    const toPublished: number[] = [];
    for (let i = 0; i < BATCHES; i++) {
      const path = `/b${i}`;
      const batchId = await upload(path);
      const at = await arrival(path);
      const last = await db.prisma.image.aggregate({ where: { batchId }, _max: { processedAt: true } });
      const finished = last._max.processedAt!.getTime();
      const [event] = await db.prisma.$queryRaw<{ published_at: Date }[]>`
        SELECT published_at FROM outbox_messages WHERE queue = 'notify.webhook' AND payload->>'batchId' = ${batchId}`;
      latencies.push(at - finished);
      if (event?.published_at) toPublished.push(event.published_at.getTime() - finished);
    }
    return {
      batches: BATCHES,
      relay: 'woken by NOTIFY, OUTBOX_POLL_MS 500 fallback',
      p50_ms: percentile(latencies, 50),
      p90_ms: percentile(latencies, 90),
      max_ms: Math.max(...latencies),
      mean_ms: Math.round(latencies.reduce((s, x) => s + x, 0) / latencies.length),
      target_p50_ms: 1000,
      last_image_to_event_published_p50_ms: toPublished.length ? percentile(toPublished, 50) : null,
    };
  } finally {
    for (const s of services) await s.stop();
    await new Promise<void>((r) => receiver.close(() => r()));
    await s3.close();
    await db.drop();
  }
}

function percentile(xs: number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}
