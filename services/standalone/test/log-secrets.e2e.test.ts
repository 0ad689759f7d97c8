// Secrets stay out of the log: `pnpm start` (embedded defaults, its own process) serves real requests carrying
// every kind of credential pixmill handles, and its whole captured log is then searched for each of them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '@pixmill/db/testing';
import { startReceiver, type Receiver } from '@pixmill/notifier/testing';
import { ALL_IN_ONE, startProcess, type PixmillProcess } from './support/child-process';
import { photo } from './support/images';
import { readData } from '@pixmill/gateway/testing';

jest.setTimeout(180_000);

const ADMIN_PASSWORD = 'log-test-admin-password-7';
const WRONG_PASSWORD = 'log-test-wrong-password-8';

describe('the log of a running pixmill', () => {
  let p: PixmillProcess;
  let rx: Receiver;
  let dataDir: string;
  let base: string;
  beforeAll(async () => {
    rx = await startReceiver();
    dataDir = mkdtempSync(path.join(tmpdir(), 'pixmill-log-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    p = startProcess(ALL_IN_ONE, {
      PORT: String(port),
      DATA_DIR: dataDir,
      ADMIN_PASSWORD,
      FETCH_ALLOW_HOSTS: rx.host,
      LOG_LEVEL: 'debug',
    });
    await p.waitForOutput(/pixmill is listening/);
  });
  afterAll(async () => {
    await p?.stop();
    await rx?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('holds no password, token, API key, signed-link signature or webhook secret of the requests it served', async () => {
    const post = (url: string, init: { headers?: Record<string, string>; body?: string | FormData }) =>
      fetch(`${base}${url}`, { method: 'POST', ...init });

    const wrong = await post('/api/v1/auth/login', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: WRONG_PASSWORD }),
    });
    expect(wrong.status).toBe(401);
    const login = await post('/api/v1/auth/login', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    const jwt = (await readData<{ access_token: string }>(login)).access_token;
    const bearer = { Authorization: `Bearer ${jwt}` };

    const keyRes = await post('/api/v1/api-keys', {
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'log-test' }),
    });
    expect(keyRes.status).toBe(201);
    const apiKey = (await readData<{ key: string }>(keyRes)).key;
    expect((await fetch(`${base}/api/v1/me`, { headers: { 'X-API-Key': apiKey } })).status).toBe(200);
    expect((await fetch(`${base}/api/v1/me`, { headers: { Authorization: `Bearer ${apiKey}` } })).status).toBe(200);

    // A batch with a webhook: its secret comes back once, the notifier signs with it, the results link has a token.
    const fd = new FormData();
    fd.append('files[]', new Blob([new Uint8Array(await photo(320, 240, 'jpeg'))], { type: 'image/jpeg' }), 'a.jpg');
    fd.append('webhook_url', rx.url('/hook?token=receiver-token-in-url'));
    const created = await post('/api/v1/batches', { headers: bearer, body: fd });
    expect(created.status).toBe(201);
    const { batch_id: batchId, webhook_secret: webhookSecret } = await readData<{
      batch_id: string;
      webhook_secret: string;
    }>(created);
    expect(webhookSecret).toMatch(/^whsec_/);
    const [hook] = await rx.waitFor('/hook', 1, 60_000);
    type Event = { results_csv_url?: string; data?: { results_csv_url?: string } };
    const event = JSON.parse(hook!.body) as Event;
    const resultsUrl = (event.data?.results_csv_url ?? event.results_csv_url)!;
    const resultsToken = new URL(resultsUrl).searchParams.get('token')!;
    expect((await fetch(resultsUrl.replace('localhost', '127.0.0.1'))).status).toBe(200);

    const images = await fetch(`${base}/api/v1/batches/${batchId}/images`, { headers: bearer });
    type Items = { items: { outputs: { download_url: string }[] }[] };
    const download = (await readData<Items>(images)).items[0]!.outputs[0]!.download_url;
    const sig = new URL(download).searchParams.get('sig')!;
    expect((await fetch(download.replace('localhost', '127.0.0.1'))).status).toBe(200);
    // A forged link is refused, and logged as a warning with its URL.
    expect((await fetch(`${base}/files/outputs/x.jpg?exp=9999999999&sig=forged-signature-value`)).status).toBe(403);

    await new Promise((r) => setTimeout(r, 500)); // let the last lines reach stdout
    const log = p.output();
    const secrets = {
      ADMIN_PASSWORD,
      WRONG_PASSWORD,
      jwt,
      apiKey,
      webhookSecret,
      webhookSecretBody: webhookSecret.slice('whsec_'.length),
      resultsToken,
      sig,
      forgedSig: 'forged-signature-value',
      receiverToken: 'receiver-token-in-url',
      signature: hook!.headers['webhook-signature']!.slice(3),
    };
    for (const [what, secret] of Object.entries(secrets))
      expect({ what, inLog: log.includes(secret) }).toEqual({ what, inLog: false });
    // The lines are there, with the secrets replaced: the search above looked at real request lines.
    expect(log).toContain(`/files/outputs/x.jpg?exp=9999999999&sig=[redacted]`);
    expect(log).toContain(`/results.csv?token=[redacted]`);
    expect(log).toMatch(/"url":"\/api\/v1\/auth\/login"/);
  });
});
