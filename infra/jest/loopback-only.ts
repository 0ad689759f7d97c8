// Jest setup for every test file: tests may send traffic only to loopback. Name lookups other than localhost are
// refused in-process (the machine's resolver is itself a non-loopback address), and so is any socket to a
// non-loopback address — so a test that forgets to stub DNS fails loudly instead of reaching the network.
import dns from 'node:dns';
import net from 'node:net';

const KEY = Symbol.for('pixmill.tests.loopback-only');
const flags = net as unknown as Record<symbol, boolean>;

const isLoopbackIp = (ip: string): boolean => {
  const v = ip.replace(/^\[|\]$/g, '').toLowerCase();
  if (net.isIPv4(v)) return v.startsWith('127.');
  return v === '::1' || /^::ffff:127\./.test(v);
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

if (!flags[KEY]) {
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

  const realConnect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    const first = args[0];
    const host =
      typeof first === 'object' && first !== null && !Array.isArray(first)
        ? (first as { host?: string; path?: string }).path
          ? undefined
          : ((first as { host?: string }).host ?? 'localhost')
        : typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))
          ? typeof args[1] === 'string'
            ? args[1]
            : 'localhost'
          : undefined; // a Unix socket path
    if (host !== undefined && net.isIP(host) && !isLoopbackIp(host)) {
      throw new Error(`tests may connect only to loopback, not ${host}`);
    }
    return (realConnect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.Socket.prototype.connect;
}
