// Two guards for SSRF cases, both in this test process (which is also the pixmill process under test):
// - a DNS stub for names under `.abuse.test` (RFC 6761 reserves `.test`): they answer what a case says, so a name
//   that resolves to 10.0.0.1 or 169.254.169.254 reaches pixmill's address check without any real DNS. Every other
//   name resolves as usual. pixmill resolves through `dns.promises.lookup` (safe-fetch's default lookup), in the
//   gateway's webhook_url check, the ingest fetcher and the notifier alike, so one stub covers all three.
// - a tripwire on every socket this process opens: a connection to anything but loopback is refused before it is
//   made and counted, so even a hole in pixmill's guard would send nothing beyond 127.0.0.0/8 and ::1.
import dns, { type LookupAddress } from 'node:dns';
import net from 'node:net';

export const STUB_DOMAIN = 'abuse.test';

type Answer = { address: string; family: 4 | 6 };
type GuardState = { stubbed: Map<string, () => Answer[]>; tripped: string[]; asked: string[]; installed: boolean };

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

const family = (address: string): 4 | 6 => (net.isIP(address) === 6 ? 6 : 4);

/** `name` (under .abuse.test) resolves to these addresses, or to what `answer` gives at each lookup. */
export function stubDns(name: string, answer: string[] | (() => string[])): void {
  if (!name.endsWith(`.${STUB_DOMAIN}`)) throw new Error(`stub only names under .${STUB_DOMAIN}: ${name}`);
  const list = typeof answer === 'function' ? answer : () => answer;
  stubbed.set(name.toLowerCase(), () => list().map((address) => ({ address, family: family(address) })));
}

/** Names looked up through the stub, in order (to prove the check saw the stubbed answer). */
export const stubLookups = (): readonly string[] => asked;

/** Non-loopback connections refused by the tripwire (none is the only right answer). */
export const trippedConnections = (): readonly string[] => tripped;

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
    if (!name.endsWith(`.${STUB_DOMAIN}`)) return realLookup(hostname, options as dns.LookupOptions);
    const answers = stubbed.get(name);
    asked.push(name);
    if (!answers) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
    const list = answers();
    const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all;
    return all ? list : list[0];
  };
  (dns.promises as { lookup: unknown }).lookup = stubLookup;

  const connect = net.Socket.prototype.connect;
  const refuse = (socket: net.Socket, where: string) => {
    tripped.push(where);
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
              tripped.push(`${hostname} -> ${outside}`);
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
