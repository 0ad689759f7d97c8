// Where tests may send traffic: loopback, and in the scale suite also the test hosts it makes in network namespaces
// (198.18.0.0/24, RFC 2544's benchmarking range, which is routed nowhere). Name lookups other than localhost are
// refused in-process (the machine's resolver is itself a non-loopback address), and so is any socket to another
// address — so a test that forgets to stub DNS fails loudly instead of reaching the network.
import dns from 'node:dns';
import net from 'node:net';

const KEY = Symbol.for('pixmill.tests.network-guard');
const flags = net as unknown as Record<symbol, boolean>;

const bare = (ip: string) => ip.replace(/^\[|\]$/g, '').toLowerCase();

export const isLoopbackIp = (ip: string): boolean => {
  const v = bare(ip);
  if (net.isIPv4(v)) return v.startsWith('127.');
  return v === '::1' || /^::ffff:127\./.test(v);
};

/** 198.18.0.0/24: the scale suite's test hosts, and nothing else of 198.18.0.0/15. */
export const isScaleTestHostIp = (ip: string): boolean => {
  const v = bare(ip).replace(/^::ffff:/, '');
  return net.isIPv4(v) && v.startsWith('198.18.0.');
};

const isLocalName = (host: string): boolean => {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost');
};
const refusal = (host: string) =>
  Object.assign(new Error(`getaddrinfo ENOTFOUND ${host} (tests may resolve only localhost; stub DNS instead)`), {
    code: 'ENOTFOUND',
    hostname: host,
  });

/**
 * The host a `socket.connect(...)` call goes to, or undefined for a Unix socket path. `net.connect()` and
 * `net.createConnection()` (what http agents and undici call) hand connect their arguments already normalised, as
 * one array `[options, callback]`.
 */
export function connectHost(args: unknown[]): string | undefined {
  const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
  if (typeof first === 'object' && first !== null) {
    const o = first as { host?: string; path?: string };
    return o.path ? undefined : (o.host ?? 'localhost');
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first)))
    return typeof args[1] === 'string' ? args[1] : 'localhost';
  return undefined; // a Unix socket path
}

type Connect = typeof net.Socket.prototype.connect;

/** `connect` refusing (by throwing, before any packet) every IP address `allowed` does not accept. */
export function guardedConnect(connect: Connect, allowed: (ip: string) => boolean, what: string): Connect {
  return function (this: net.Socket, ...args: unknown[]) {
    const host = connectHost(args);
    if (host !== undefined && net.isIP(host) && !allowed(host)) {
      throw new Error(`tests may connect only to ${what}, not ${host}`);
    }
    return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as Connect;
}

/**
 * Installs the guard once per process: sockets may reach only addresses `allowed` accepts (`what` names them in
 * the error). A second call (another setup file in the same process) changes nothing.
 */
export function installNetworkGuard(allowed: (ip: string) => boolean, what: string): void {
  if (flags[KEY]) return;
  flags[KEY] = true;

  const realLookup = dns.lookup;
  const guardedLookup = function (this: unknown, hostname: string, ...rest: unknown[]) {
    const callback = rest[rest.length - 1] as (err: Error | null, ...r: unknown[]) => void;
    if (net.isIP(hostname) || isLocalName(hostname))
      return (realLookup as (...a: unknown[]) => void).call(this, hostname, ...rest);
    process.nextTick(() => callback(refusal(hostname)));
  };
  (dns as { lookup: unknown }).lookup = guardedLookup;

  const realPromiseLookup = dns.promises.lookup.bind(dns.promises);
  (dns.promises as { lookup: unknown }).lookup = async (hostname: string, options?: dns.LookupOptions) => {
    if (net.isIP(hostname) || isLocalName(hostname)) return realPromiseLookup(hostname, options ?? {});
    throw refusal(hostname);
  };

  net.Socket.prototype.connect = guardedConnect(net.Socket.prototype.connect, allowed, what);
}
