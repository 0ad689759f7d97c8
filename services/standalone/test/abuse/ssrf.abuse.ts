// SSRF through image URLs: every address form a stranger might use to make ingest fetch from inside. Loopback forms
// aim at a trap server that must hear nothing; private, link-local and metadata addresses are only ever answers of
// the stubbed DNS (support/net-guard.ts), refused at the address check, and the tripwire proves nothing left loopback.
import { startTrap } from '@pixmill/safe-fetch/testing';
import { startUrlServer, type UrlServer } from '../support/url-server';
import { startAbuse, type Abuse, type Auth, type ImageItem } from './support/harness';
import { stubDns, stubLookups, trippedConnections } from './support/net-guard';
import { readData } from '@pixmill/gateway/testing';

let a: Abuse;
let srv: UrlServer;
let trap: Awaited<ReturnType<typeof startTrap>>;
let alice: Auth;
let byUrl: Map<string, ImageItem>;
let batch: Record<string, unknown>;

// Names whose only answers are what the stub says: no real DNS, no traffic.
const DNS: [string, string[]][] = [
  ['private10.abuse.test', ['10.0.0.1']],
  ['private172.abuse.test', ['172.16.5.4']],
  ['private192.abuse.test', ['192.168.1.1']],
  ['metadata.abuse.test', ['169.254.169.254']],
  ['cgnat.abuse.test', ['100.64.0.1']],
  ['ula6.abuse.test', ['fd00::1']],
  ['linklocal6.abuse.test', ['fe80::1']],
  ['mapped6.abuse.test', ['::ffff:10.0.0.1']],
  ['mixed.abuse.test', ['93.184.216.34', '10.0.0.1']],
  ['loopback.abuse.test', ['127.0.0.1']],
  ['unspecified.abuse.test', ['0.0.0.0']],
];

/** [case, URL, expected image error code]; {trap} is the trap's port, REDIRECT: goes through the allowed server. */
const CASES: [string, string, string][] = [
  ['loopback 127.0.0.1', 'http://127.0.0.1:{trap}/a.jpg', 'blocked_address'],
  ['loopback localhost (real DNS)', 'http://localhost:{trap}/a.jpg', 'blocked_address'],
  ['loopback hex 0x7f000001', 'http://0x7f000001:{trap}/a.jpg', 'blocked_address'],
  ['loopback decimal 2130706433', 'http://2130706433:{trap}/a.jpg', 'blocked_address'],
  ['loopback short 127.1', 'http://127.1:{trap}/a.jpg', 'blocked_address'],
  ['loopback octal 0177.0.0.1', 'http://0177.0.0.1:{trap}/a.jpg', 'blocked_address'],
  ['loopback 127.255.255.254', 'http://127.255.255.254:{trap}/a.jpg', 'blocked_address'],
  ['loopback v4-mapped [::ffff:127.0.0.1]', 'http://[::ffff:127.0.0.1]:{trap}/a.jpg', 'blocked_address'],
  ['loopback [::1]', 'http://[::1]:{trap}/a.jpg', 'blocked_address'],
  ['unspecified 0.0.0.0 (reaches localhost on Linux)', 'http://0.0.0.0:{trap}/a.jpg', 'blocked_address'],
  ['unspecified [::]', 'http://[::]:{trap}/a.jpg', 'blocked_address'],
  ['https to loopback', 'https://127.0.0.1:{trap}/a.jpg', 'blocked_address'],
  ['DNS name -> 127.0.0.1', 'http://loopback.abuse.test:{trap}/a.jpg', 'blocked_address'],
  ['DNS name -> 127.0.0.1, upper case and trailing dot', 'http://LOOPBACK.Abuse.Test.:{trap}/a.jpg', 'blocked_address'],
  ['DNS name -> 0.0.0.0', 'http://unspecified.abuse.test:{trap}/a.jpg', 'blocked_address'],
  ['DNS name -> 10.0.0.1 (private)', 'http://private10.abuse.test/a.jpg', 'blocked_address'],
  ['DNS name -> 172.16.5.4 (private)', 'http://private172.abuse.test/a.jpg', 'blocked_address'],
  ['DNS name -> 192.168.1.1 (private)', 'http://private192.abuse.test/a.jpg', 'blocked_address'],
  ['DNS name -> 169.254.169.254 (cloud metadata)', 'http://metadata.abuse.test/latest/meta-data/', 'blocked_address'],
  ['DNS name -> 100.64.0.1 (carrier-grade NAT)', 'http://cgnat.abuse.test/a.jpg', 'blocked_address'],
  ['DNS name -> fd00::1 (IPv6 unique local)', 'http://ula6.abuse.test/a.jpg', 'blocked_address'],
  ['DNS name -> fe80::1 (IPv6 link-local)', 'http://linklocal6.abuse.test/a.jpg', 'blocked_address'],
  ['DNS name -> ::ffff:10.0.0.1 (v4-mapped private)', 'http://mapped6.abuse.test/a.jpg', 'blocked_address'],
  ['DNS name -> public + private answers', 'http://mixed.abuse.test/a.jpg', 'blocked_address'],
  ['redirect from allowed host -> trap', 'REDIRECT:http://127.0.0.1:{trap}/secret', 'blocked_address'],
  [
    'redirect from allowed host -> metadata name',
    'REDIRECT:http://metadata.abuse.test/latest/meta-data/',
    'blocked_address',
  ],
  ['redirect from allowed host -> file:///etc/passwd', 'REDIRECT:file:///etc/passwd', 'blocked_scheme'],
  ['file:///etc/passwd', 'file:///etc/passwd', 'blocked_scheme'],
  ['gopher:// to loopback', 'gopher://127.0.0.1:{trap}/_x', 'blocked_scheme'],
  ['ftp:// to loopback', 'ftp://127.0.0.1:{trap}/a.jpg', 'blocked_scheme'],
  ['credentials in URL (allowed host)', 'CRED', 'invalid_url'],
];

const urlOf = (template: string) => {
  const u = template.replaceAll('{trap}', String(trap.port));
  return u.startsWith('REDIRECT:')
    ? `${srv.origin}/redirect?to=${encodeURIComponent(u.slice('REDIRECT:'.length))}`
    : u === 'CRED'
      ? `http://admin:secret@127.0.0.1:${srv.port}/img/c-64x64.jpg`
      : u;
};

beforeAll(async () => {
  srv = await startUrlServer();
  trap = await startTrap();
  for (const [name, answers] of DNS) stubDns(name, answers);
  a = await startAbuse('ssrf', {
    FETCH_ALLOW_HOSTS: `127.0.0.1:${srv.port}`,
    CHUNK_SIZE: '10',
    FETCH_TIMEOUT_MS: '5000',
  });
  alice = await a.p.userAuth('alice');
  const good = [`${srv.origin}/img/ok1-64x64.jpg`, `${srv.origin}/img/ok2-64x48.png`];
  const bad = CASES.map(([, u]) => urlOf(u));
  const csv = ['url', good[0], ...bad.map((u) => `"${u}"`), good[1]].join('\n');
  const res = await a.postCsv(alice, csv);
  if (res.status !== 202) throw new Error(`SSRF batch: ${res.status} ${await res.text()}`);
  const id = ((await readData(res)) as { batch_id: string }).batch_id;
  batch = await a.p.waitForBatch(alice, id, 120_000);
  byUrl = new Map((await a.images(alice, id)).map((i) => [i.source_url ?? '', i]));
});
afterAll(async () => {
  await a?.close();
  await srv?.close();
  await trap?.close();
});

describe('SSRF through image URLs', () => {
  it.each(CASES)('%s', async (name, url, code) => {
    await a.cases.check(name, `image failed: ${code}`, async () => {
      const img = byUrl.get(urlOf(url));
      return img ? `image ${img.status}${img.error ? `: ${img.error.code}` : ''}` : 'image missing';
    });
  });

  it('lets the good rows of the same CSV through', async () => {
    await a.cases.check(
      'good rows of the same CSV still succeed',
      `batch completed: 2 succeeded, ${CASES.length} failed`,
      async () =>
        `batch ${String(batch.status)}: ${String(batch.successful_count)} succeeded, ${String(batch.failed_count)} failed`,
    );
  });

  it('sent nothing to the trap, nothing beyond loopback, and asked the stub for every private name', async () => {
    await a.cases.check(
      'trap server heard no connection',
      'trap connections: 0',
      async () => `trap connections: ${trap.connections()}`,
    );
    await a.cases.check(
      'tripwire: no connection left loopback',
      'non-loopback connection attempts: 0',
      async () => `non-loopback connection attempts: ${trippedConnections().length}`,
    );
    // The refusals above were made on the stubbed answers (the names were looked up), not on some earlier failure.
    const looked = new Set(stubLookups());
    const missed = DNS.map(([n]) => n).filter((n) => !looked.has(n));
    await a.cases.check(
      'every stubbed name reached the address check',
      'names never looked up: none',
      async () => `names never looked up: ${missed.join(', ') || 'none'}`,
    );
  });
});
