// Two guards for SSRF cases, in this test process and in the pixmill process under test (a child process, which
// loads this file first: net-guard.preload.ts). The two share a folder (GUARD_DIR_ENV): the stubbed answers are
// written there by the test and read by the child at each lookup; the names the child looked up and the
// connections its tripwire refused are appended there for the test to read.
// - a DNS stub for names under `.abuse.test` (RFC 6761 reserves `.test`): they answer what a case says, so a name
//   that resolves to 10.0.0.1 or 169.254.169.254 reaches pixmill's address check without any real DNS. Every other
//   name resolves as usual. pixmill resolves through `dns.promises.lookup` (safe-fetch's default lookup), in the
//   gateway's webhook_url check, the ingest fetcher and the notifier alike, so one stub covers all three.
// - a tripwire on every socket this process opens: a connection to anything but loopback is refused before it is
//   made and counted, so even a hole in pixmill's guard would send nothing beyond 127.0.0.0/8 and ::1.
import dns, { type LookupAddress } from 'node:dns';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const STUB_DOMAIN = 'abuse.test';
/** Test infrastructure: the folder a guarded child process shares with its test. */
export const GUARD_DIR_ENV = 'PIXMILL_ABUSE_GUARD_DIR';

type Answer = { address: string; family: 4 | 6 };
type GuardState = { stubbed: Map<string, string[][]>; tripped: string[]; asked: string[]; installed: boolean };

// Core modules are shared by every test file a jest worker runs (each file has its own module registry), so the
// state lives on the core module itself: installed once per process, whichever file comes first.
const KEY = Symbol.for('pixmill.abuse.net-guard');
const state: GuardState = ((net as unknown as Record<symbol, GuardState>)[KEY] ??= {
  stubbed: new Map(),
  tripped: [],
  asked: [],
  installed: false,
});
const { stubbed, tripped, asked } = state;
const lookupsOf = new Map<string, number>();

const family = (address: string): 4 | 6 => (net.isIP(address) === 6 ? 6 : 4);

// Test infrastructure: set in the guarded child; in the test process, the folder of this test file (made lazily).
let sharedDir: string | undefined = process.env[GUARD_DIR_ENV];
/** The folder to give a guarded child process (GUARD_DIR_ENV); the stubs so far are in it. */
export function guardDir(): string {
  if (!sharedDir) {
    sharedDir = mkdtempSync(path.join(tmpdir(), 'pixmill-abuse-guard-'));
    writeStubs();
  }
  return sharedDir;
}
const file = (name: 'dns.json' | 'asked.log' | 'tripped.log') => (sharedDir ? path.join(sharedDir, name) : undefined);
const writeStubs = () => {
  const f = file('dns.json');
  if (f) writeFileSync(f, JSON.stringify(Object.fromEntries(stubbed)));
};
const readLog = (name: 'asked.log' | 'tripped.log'): string[] => {
  const f = file(name);
  return f && existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : [];
};
const record = (list: string[], name: 'asked.log' | 'tripped.log', entry: string) => {
  list.push(entry);
  const f = file(name);
  if (f) appendFileSync(f, `${entry}\n`);
};

/**
 * `name` (under .abuse.test) resolves to these addresses; or, given several lists, to each in turn at each lookup
 * (the last one repeats: DNS rebinding).
 */
export function stubDns(name: string, ...answers: [string[], ...string[][]]): void {
  if (!name.endsWith(`.${STUB_DOMAIN}`)) throw new Error(`stub only names under .${STUB_DOMAIN}: ${name}`);
  stubbed.set(name.toLowerCase(), answers);
  writeStubs();
}

/** The stubbed answer to this lookup of `name`, from the shared file when there is one (the child's case). */
function answerFor(name: string): Answer[] | undefined {
  const f = file('dns.json');
  const table =
    f && existsSync(f)
      ? new Map(Object.entries(JSON.parse(readFileSync(f, 'utf8')) as Record<string, string[][]>))
      : stubbed;
  const answers = table.get(name);
  if (!answers) return undefined;
  const n = lookupsOf.get(name) ?? 0;
  lookupsOf.set(name, n + 1);
  return answers[Math.min(n, answers.length - 1)]!.map((address) => ({ address, family: family(address) }));
}

/** Names looked up through the stub, in order, here and in the guarded child (to prove the check saw the stub). */
export const stubLookups = (): readonly string[] => [
  ...asked,
  ...(sharedDir && !process.env[GUARD_DIR_ENV] ? readLog('asked.log') : []),
];

/** Non-loopback connections refused by the tripwire, here and in the guarded child (none is the only right answer). */
export const trippedConnections = (): readonly string[] => [
  ...tripped,
  ...(sharedDir && !process.env[GUARD_DIR_ENV] ? readLog('tripped.log') : []),
];

export function isLoopback(ip: string): boolean {
  const v = ip.replace(/^\[|\]$/g, '').toLowerCase();
  if (net.isIPv4(v)) return v.startsWith('127.');
  if (v === '::1') return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(v);
  return mapped ? mapped[1]!.startsWith('127.') : false;
}

export function installNetGuard(): void {
  if (state.installed) return;
  state.installed = true;

  const realLookup = dns.promises.lookup.bind(dns.promises);
  const stubLookup = async (hostname: string, options?: unknown): Promise<unknown> => {
    // As resolvers do: names are case-insensitive and a trailing dot (the root) changes nothing.
    const name = hostname.toLowerCase().replace(/\.$/, '');
    if (!name.endsWith(`.${STUB_DOMAIN}`)) {
      // No query leaves the machine: only localhost (the hosts file) and IP literals resolve for real.
      if (name === 'localhost' || net.isIP(name)) return realLookup(hostname, options as dns.LookupOptions);
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname} (abuse guard: no real DNS)`), {
        code: 'ENOTFOUND',
        hostname,
      });
    }
    const list = answerFor(name);
    record(asked, 'asked.log', name);
    if (!list) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
    const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all;
    return all ? list : list[0];
  };
  (dns.promises as { lookup: unknown }).lookup = stubLookup;
  // The callback form (net.connect's default lookup) answers the same.
  (dns as { lookup: unknown }).lookup = (hostname: string, ...rest: unknown[]) => {
    const callback = rest.pop() as (err: Error | null, address?: unknown, family?: number) => void;
    const options = (typeof rest[0] === 'number' ? { family: rest[0] } : (rest[0] ?? {})) as dns.LookupOptions;
    stubLookup(hostname, options).then(
      (answer) => {
        if (Array.isArray(answer)) callback(null, answer);
        else callback(null, (answer as LookupAddress).address, (answer as LookupAddress).family);
      },
      (err: Error) => callback(err),
    );
  };

  const connect = net.Socket.prototype.connect;
  const refuse = (socket: net.Socket, where: string) => {
    record(tripped, 'tripped.log', where);
    process.nextTick(() => socket.destroy(new Error(`abuse tripwire: refused a connection to ${where}`)));
    return socket;
  };
  net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
    // net.connect passes [options, cb] normalised into an array; tls.connect and direct calls pass an object.
    const first = args[0];
    const opts = (Array.isArray(first) ? first[0] : first) as
      { host?: string; path?: string; lookup?: net.LookupFunction } | number | string | undefined;
    if (typeof opts === 'object' && opts !== null && !opts.path) {
      const host = opts.host ?? 'localhost';
      if (net.isIP(host)) {
        if (!isLoopback(host)) return refuse(this, host);
      } else {
        const inner = opts.lookup ?? (dns.lookup as unknown as net.LookupFunction);
        opts.lookup = (hostname, options, callback) =>
          inner(hostname, options, (err, address: string | LookupAddress[], fam?: number) => {
            if (err) return callback(err, '' as never, fam);
            const list = Array.isArray(address) ? address.map((a) => a.address) : [address];
            const outside = list.find((a) => !isLoopback(a));
            if (outside) {
              record(tripped, 'tripped.log', `${hostname} -> ${outside}`);
              return callback(
                Object.assign(new Error(`abuse tripwire: ${hostname} resolved outside loopback`), {
                  code: 'ETRIPWIRE',
                }),
                '' as never,
                fam,
              );
            }
            callback(null, address as never, fam);
          });
      }
    } else if (typeof opts === 'number' && typeof args[1] === 'string' && net.isIP(args[1]) && !isLoopback(args[1])) {
      return refuse(this, args[1]);
    }
    return connect.apply(this, args as Parameters<typeof connect>);
  } as typeof connect;
}
