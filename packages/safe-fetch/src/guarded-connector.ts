/**
 * The SSRF guard proper: an undici connector that checks every address at the moment a socket is opened.
 * Checking a URL and then letting the HTTP client resolve the name again would leave a DNS-rebinding window;
 * here the addresses checked are the addresses connected to, because the check sits inside the socket's lookup.
 */
import { isIP, type LookupFunction } from 'node:net';
import type { LookupAddress } from 'node:dns';
import { buildConnector } from 'undici';
import { effectivePort, isAllowedHost, type AllowEntry } from './allow-hosts';
import { classifyAddress } from './classify-address';
import { blockedAddress, dnsError } from './fetch-error';
import type { Lookup } from './lookup';

export function createGuardedConnector(o: {
  allow: readonly AllowEntry[];
  lookup: Lookup;
  connectTimeoutMs: number;
}): buildConnector.connector {
  const guarded = buildConnector({ timeout: o.connectTimeoutMs, lookup: netLookup(o.lookup, true) });
  // Allowed hosts are the operator's own (local servers, private deployments): resolved, not filtered.
  const trusted = buildConnector({ timeout: o.connectTimeoutMs, lookup: netLookup(o.lookup, false) });

  return (opts, callback) => {
    // undici hands over the hostname without IPv6 brackets and an empty port for the scheme's default.
    const port = effectivePort(opts.protocol, opts.port);
    if (isAllowedHost(o.allow, opts.hostname, port)) return trusted(opts, callback);
    // Node skips `lookup` for literal IPs, so they are judged here.
    if (isIP(opts.hostname) !== 0 && !classifyAddress(opts.hostname).allowed) {
      callback(blockedAddress(hostForMessage(opts.hostname, opts.port), 'literal'), null);
      return;
    }
    return guarded(opts, callback);
  };
}

/** Adapts our promise Lookup to the callback shape net/tls call, in both its single-answer and `all: true` forms. */
function netLookup(lookup: Lookup, filter: boolean): LookupFunction {
  return (hostname, options, callback) => {
    const fail = (err: unknown) => callback(dnsError(hostname, err) as NodeJS.ErrnoException, '');
    lookup(hostname).then((answers) => {
      // One refused address refuses the name: a host that mixes public and private answers is not one we trust.
      if (filter && answers.some((a) => !classifyAddress(a.address).allowed))
        return fail(blockedAddress(hostname, 'resolved'));
      const family = options.family === 4 || options.family === 6 ? options.family : undefined;
      const wanted: LookupAddress[] = family === undefined ? answers : answers.filter((a) => a.family === family);
      const first = wanted[0];
      if (first === undefined) return fail(undefined);
      if (options.all) callback(null, wanted);
      else callback(null, first.address, first.family);
    }, fail);
  };
}

function hostForMessage(hostname: string, port: string): string {
  const h = hostname.includes(':') ? `[${hostname}]` : hostname;
  return port === '' ? h : `${h}:${port}`;
}
