// Image batches during a login flood, on `pnpm start` with nothing configured (one process: the gateway's bcrypt and
// the resize worker's sharp share its CPU and libuv's thread pool). Each round runs the same image workload (3
// batches of 8 real photographs, a thumbnail and a web size) alone, then during 500 logins from one address with
// 500 usernames (password spraying: the per-address budget answers 429), then during logins from 500 addresses
// (X-Forwarded-For behind a trusted proxy: no rate limit applies, the bound on bcrypt work answers 503). The
// figure is images/s during a flood over images/s alone, in the same run; the same flood without the bound
// (PASSWORD_HASH_CONCURRENCY=64) is measured for comparison. The flood comes at a steady 50 attempts a second.
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { freePort } from '@pixmill/db/testing';
import { login } from './support/login';
import { findPhotos } from '@pixmill/imaging/testing';
import { startService, waitForHttp } from './support/processes';
import { readData } from '@pixmill/gateway/testing';

const BATCHES = 3;
const PER_BATCH = 8;
const FLOOD_ATTEMPTS = 500;
/**
 * Attempts a second. The attacker here shares the 2 cores with pixmill, so a flood sent as fast as the client can
 * measures the client's own CPU as much as pixmill's; at a steady rate it measures what answering costs pixmill.
 */
const FLOOD_PER_SECOND = 50;
const IN_FLIGHT = 16;
const ROUNDS = 2;
const ADMIN_PASSWORD = 'bench-admin-password-1';
const RECIPE = JSON.stringify({
  variants: [
    { name: 'thumb', width: 300, height: 300, fit: 'cover', format: 'webp' },
    { name: 'web', width: 1280, fit: 'inside', format: 'jpeg', quality: 80 },
  ],
});

type Flood = 'none' | 'one-address' | 'many-addresses';
type Phase = {
  flood: Flood;
  images_per_s: number;
  seconds: number;
  logins: Record<string, number>;
  upload_errors: string[];
};

async function photos(): Promise<Buffer[]> {
  // Real photographs at a size phones send (about 3 Mpx), so one phase takes seconds, not minutes.
  const files = findPhotos(PER_BATCH * BATCHES).slice(0, PER_BATCH * BATCHES);
  return Promise.all(files.map((f) => sharp(f).resize({ width: 2048, withoutEnlargement: true }).jpeg().toBuffer()));
}

/** Uploads answered 408 or 5xx (and sent again) in the phase running now: failures the figure must show. */
let uploadErrors: string[] = [];

async function imageWorkload(base: string, auth: Record<string, string>, data: Buffer[]): Promise<number> {
  const started = performance.now();
  const ids = await Promise.all(
    Array.from({ length: BATCHES }, async (_, b) => {
      const form = new FormData();
      for (let i = 0; i < PER_BATCH; i++)
        form.append('files[]', new Blob([new Uint8Array(data[b * PER_BATCH + i]!)]), `p${b}-${i}.jpg`);
      form.append('recipe', RECIPE);
      let res = await fetch(`${base}/api/v1/batches`, { method: 'POST', headers: auth, body: form });
      for (let retry = 0; (res.status >= 500 || res.status === 408) && retry < 5; retry++) {
        uploadErrors.push(`${res.status} ${(await res.text()).slice(0, 120)}`);
        res = await fetch(`${base}/api/v1/batches`, { method: 'POST', headers: auth, body: form });
      }
      if (res.status !== 201) throw new Error(`upload: ${res.status} ${await res.text()}`);
      return (await readData<{ batch_id: string }>(res)).batch_id;
    }),
  );
  for (const id of ids) {
    for (;;) {
      const res = await fetch(`${base}/api/v1/batches/${id}/progress`, { headers: auth });
      const { status } = await readData<{ status: string }>(res);
      if (status === 'completed') break;
      if (status === 'failed' || status === 'cancelled') throw new Error(`batch ${id} ${status}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return (BATCHES * PER_BATCH) / ((performance.now() - started) / 1000);
}

/** Login attempts with wrong passwords, IN_FLIGHT at a time, until `attempts` are answered and `until` is done. */
async function flood(
  base: string,
  kind: Flood,
  round: number,
  until: Promise<unknown>,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  if (kind === 'none') return counts;
  let sent = 0;
  let done = false;
  const floodStart = performance.now();
  void until.finally(() => (done = true));
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (sent < FLOOD_ATTEMPTS || !done) {
        const n = sent++;
        const due = floodStart + (n * 1000) / FLOOD_PER_SECOND;
        if (due > performance.now()) await new Promise((r) => setTimeout(r, due - performance.now()));
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        // Addresses as the trusted proxy forwards them (header values only: nothing is sent to them). Each round's
        // single address is a new one, with a fresh minute of budget.
        headers['X-Forwarded-For'] =
          kind === 'one-address' ? `192.0.2.${round + 1}` : `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
        const res = await fetch(`${base}/api/v1/auth/login`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ username: `sprayed-${n}`, password: 'Winter2026!' }),
        }).catch(() => undefined);
        const key = String(res?.status ?? 'no answer');
        counts[key] = (counts[key] ?? 0) + 1;
        await res?.arrayBuffer().catch(() => undefined);
      }
    }),
  );
  return counts;
}

async function runServer(data: Buffer[], extra: Record<string, string>): Promise<Phase[]> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'pixmill-login-bench-'));
  const port = await freePort();
  const server = startService('pixmill', 'services/standalone/src/main.ts', {
    PORT: String(port),
    DATA_DIR: dataDir,
    ADMIN_PASSWORD,
    LOG_LEVEL: 'error',
    RATE_LIMIT_PER_MINUTE: '1000000',
    // The bench plays the proxy: X-Forwarded-For from loopback is believed, so each "address" is its own client.
    TRUST_PROXY: 'loopback',
    ...extra,
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${base}/readyz`, 120_000);
    const auth = await login(base, 'admin', ADMIN_PASSWORD);
    await imageWorkload(base, auth, data); // warm-up: sharp, the database, the JIT
    const phases: Phase[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of ['none', 'one-address', 'many-addresses'] as Flood[]) {
        const started = performance.now();
        uploadErrors = [];
        const images = imageWorkload(base, auth, data);
        const [imagesPerS, logins] = await Promise.all([images, flood(base, kind, round, images)]);
        phases.push({
          flood: kind,
          images_per_s: imagesPerS,
          seconds: (performance.now() - started) / 1000,
          logins,
          upload_errors: uploadErrors,
        });
        console.log(`  ${JSON.stringify({ ...extra, ...phases[phases.length - 1] })}`);
      }
    }
    return phases;
  } catch (err) {
    console.error(`pixmill's last output:\n${server.output()}`);
    throw err;
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const round2 = (x: number) => Math.round(x * 100) / 100;

function summary(phases: Phase[]) {
  const rate = (k: Flood) => median(phases.filter((p) => p.flood === k).map((p) => p.images_per_s));
  const logins = (k: Flood) => {
    const total: Record<string, number> = {};
    for (const p of phases.filter((x) => x.flood === k))
      for (const [s, n] of Object.entries(p.logins)) total[s] = (total[s] ?? 0) + n;
    return total;
  };
  return {
    images_per_s_alone: round2(rate('none')),
    images_per_s_one_address_flood: round2(rate('one-address')),
    images_per_s_many_address_flood: round2(rate('many-addresses')),
    ratio_one_address: round2(rate('one-address') / rate('none')),
    ratio_many_addresses: round2(rate('many-addresses') / rate('none')),
    logins_one_address: logins('one-address'),
    logins_many_addresses: logins('many-addresses'),
    uploads_answered_408_or_5xx: phases.flatMap((p) => p.upload_errors.map((e) => `${p.flood}: ${e}`)),
  };
}

export async function runLoginFloodBench(): Promise<Record<string, unknown>> {
  const data = await photos();
  const load = os.loadavg()[0];
  const bounded = summary(await runServer(data, {}));
  // Without the bound the run may not finish (in one run an upload waited 5 minutes for its answer): say so.
  const unbounded = await runServer(data, { PASSWORD_HASH_CONCURRENCY: '64' }).then(summary, (err: unknown) => ({
    did_not_finish: String((err as Error).message ?? err).slice(0, 300),
  }));
  return {
    images_per_phase: BATCHES * PER_BATCH,
    flood_attempts_per_phase: `at least ${FLOOD_ATTEMPTS}, ${FLOOD_PER_SECOND}/s (at most ${IN_FLIGHT} in flight), until the images are done`,
    rounds: ROUNDS,
    load_average_at_start: round2(load ?? 0),
    load_average_at_end: round2(os.loadavg()[0] ?? 0),
    bounded,
    unbounded_for_comparison: unbounded,
  };
}
