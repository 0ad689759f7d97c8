// SSRF through webhook URLs: refused when the batch is created (gateway address check), and again at delivery
// (the notifier's connect-time check), so a name that rebinds to loopback after validation still reaches nothing.
// Private, link-local and metadata addresses come only from the stubbed DNS; the trap and tripwire must stay silent.
import { startTrap } from '@pixmill/safe-fetch/testing';
import { startUrlServer, type UrlServer } from '../support/url-server';
import { startAbuse, waitFor, type Abuse, type Auth } from './support/harness';
import { stubDns, trippedConnections } from './support/net-guard';
import { readData, readError } from '@pixmill/gateway/testing';

let a: Abuse;
let srv: UrlServer;
let trap: Awaited<ReturnType<typeof startTrap>>;
let alice: Auth;

/** [case, webhook_url ({trap} is the trap's port), expected reason] */
const AT_CREATION: [string, string, string][] = [
  ['loopback 127.0.0.1', 'http://127.0.0.1:{trap}/hook', 'blocked_address'],
  ['loopback localhost (real DNS)', 'http://localhost:{trap}/hook', 'blocked_address'],
  ['loopback hex 0x7f000001', 'http://0x7f000001:{trap}/hook', 'blocked_address'],
  ['loopback decimal 2130706433', 'http://2130706433:{trap}/hook', 'blocked_address'],
  ['loopback short 127.1', 'http://127.1:{trap}/hook', 'blocked_address'],
  ['loopback [::1]', 'http://[::1]:{trap}/hook', 'blocked_address'],
  ['loopback v4-mapped [::ffff:127.0.0.1]', 'http://[::ffff:127.0.0.1]:{trap}/hook', 'blocked_address'],
  ['unspecified 0.0.0.0', 'http://0.0.0.0:{trap}/hook', 'blocked_address'],
  ['DNS name -> 127.0.0.1', 'http://hook-loopback.abuse.test:{trap}/hook', 'blocked_address'],
  ['DNS name -> 10.0.0.1 (private)', 'http://hook-private.abuse.test/hook', 'blocked_address'],
  ['DNS name -> 192.168.1.1 (private)', 'http://hook-home.abuse.test/hook', 'blocked_address'],
  [
    'DNS name -> 169.254.169.254 (cloud metadata)',
    'http://hook-metadata.abuse.test/latest/meta-data/',
    'blocked_address',
  ],
  ['DNS name -> fd00::1 (IPv6 unique local)', 'http://hook-ula.abuse.test/hook', 'blocked_address'],
  ['file:///etc/passwd', 'file:///etc/passwd', 'blocked_scheme'],
  ['credentials in URL', 'http://user:pw@hook-private.abuse.test/hook', 'invalid_url'],
];

beforeAll(async () => {
  srv = await startUrlServer();
  trap = await startTrap();
  stubDns('hook-loopback.abuse.test', ['127.0.0.1']);
  stubDns('hook-private.abuse.test', ['10.0.0.1']);
  stubDns('hook-home.abuse.test', ['192.168.1.1']);
  stubDns('hook-metadata.abuse.test', ['169.254.169.254']);
  stubDns('hook-ula.abuse.test', ['fd00::1']);
  // DNS rebinding: the first answer (the gateway's check, which sends nothing) is public, every later one loopback.
  stubDns('hook-rebind.abuse.test', ['93.184.216.34'], ['127.0.0.1']);
  a = await startAbuse('webhooks', {
    FETCH_ALLOW_HOSTS: `127.0.0.1:${srv.port}`,
    WEBHOOK_RETRY_SCHEDULE_MS: '200,200',
    WEBHOOK_TIMEOUT_MS: '3000',
  });
  alice = await a.p.userAuth('alice');
});
afterAll(async () => {
  await a?.close();
  await srv?.close();
  await trap?.close();
});

const hookOf = (template: string) => template.replaceAll('{trap}', String(trap.port));

async function createWith(webhookUrl: string): Promise<Response> {
  return a.postJson('/api/v1/batches', { urls: [`${srv.origin}/img/w-64x64.jpg`], webhook_url: webhookUrl }, alice);
}

type Deliveries = {
  webhook_status: string;
  items: { status: string; status_code: number | null; error: string | null }[];
};

async function deliveriesWhenDone(batchId: string): Promise<Deliveries> {
  await a.p.waitForBatch(alice, batchId);
  return waitFor('a final webhook delivery', async () => {
    const res = await a.p.api(`/api/v1/batches/${batchId}/webhook-deliveries`, { auth: alice });
    const body = (await readData(res)) as Deliveries;
    return body.items.length > 0 && body.items.every((d) => d.status !== 'pending') ? body : undefined;
  });
}

describe('webhook URLs at batch creation', () => {
  it.each(AT_CREATION)('%s', async (name, template, reason) => {
    await a.cases.check(`webhook_url ${name}`, `400 invalid_webhook_url (${reason})`, async () => {
      const res = await createWith(hookOf(template));
      const e = await readError(res);
      return `${res.status} ${e.code} (${e.details?.reason})`;
    });
  });
});

describe('webhook URLs at delivery', () => {
  it('refuses a name that passed the check and then rebinds to loopback', async () => {
    await a.cases.check(
      'webhook_url DNS rebinding to loopback after the check',
      '202, delivery failed: blocked address, not retried',
      async () => {
        const res = await createWith(`http://hook-rebind.abuse.test:${trap.port}/hook`);
        const { batch_id } = (await readData(res)) as { batch_id: string };
        const d = await deliveriesWhenDone(batch_id);
        const first = d.items[0]!;
        const blocked = /not allowed|blocked|private|loopback/i.test(first.error ?? '');
        return `${res.status}, delivery ${first.status}: ${blocked ? 'blocked address' : first.error}${d.items.length === 1 ? ', not retried' : `, ${d.items.length} attempts`}`;
      },
    );
  });

  it('does not follow a receiver that redirects to the trap', async () => {
    await a.cases.check(
      'webhook receiver answers 302 to the trap',
      '202, delivery failed with 302, not followed',
      async () => {
        const to = encodeURIComponent(`http://127.0.0.1:${trap.port}/hook`);
        const res = await createWith(`${srv.origin}/redirect?to=${to}`);
        const { batch_id } = (await readData(res)) as { batch_id: string };
        const d = await deliveriesWhenDone(batch_id);
        const first = d.items[0]!;
        return `${res.status}, delivery ${first.status} with ${first.status_code}, ${trap.connections() === 0 ? 'not followed' : 'FOLLOWED'}`;
      },
    );
  });

  it('sent nothing to the trap and nothing beyond loopback', async () => {
    await a.cases.check(
      'webhooks: trap server heard no connection',
      'trap connections: 0',
      async () => `trap connections: ${trap.connections()}`,
    );
    await a.cases.check(
      'webhooks: tripwire saw no connection leave loopback',
      'non-loopback connection attempts: 0',
      async () => `non-loopback connection attempts: ${trippedConnections().length}`,
    );
  });
});
