// What a preflight learns of a batch's URLs without fetching any: the chunk manifests the intake makes are read here
// (and kept nowhere), each URL is judged by safe-fetch's own policy, and each host is resolved once, after the whole
// input was read. Memory is bounded: listed findings, tracked hosts and the probe sample are all capped.
import { isIP } from 'node:net';
import type { ChunkManifest } from '@pixmill/contracts';
import {
  assertResolvesPublic,
  checkUrl,
  FetchError,
  type AllowEntry,
  type Lookup,
  type Target,
} from '@pixmill/safe-fetch';

/** Findings listed per kind; `count` still says how many there are. */
export const MAX_LISTED = 100;
/** Distinct hosts resolved in one preflight: URLs of hosts past this are counted as not checked. */
export const MAX_HOSTS = 1000;
/** Lookups in flight at once. */
const DNS_IN_FLIGHT = 16;

export type UrlFinding = { row: number; url: string; code: string; reason: string };
export type Duplicate = { row: number; url: string; first_row: number };
export type SampledUrl = { row: number; url: string };

type Listed<T> = { count: number; items: T[] };

/** A reservoir of distinct URLs of one pool (a host, or the URLs needing no lookup), `probe` at most. */
type Pool = { seen: number; kept: SampledUrl[] };

type HostBucket = {
  target: Pick<Target, 'host' | 'hostname' | 'allowed'>;
  urls: number;
  distinctUrls: number;
  examples: SampledUrl[];
  pool: Pool;
  verdict?: FetchError;
};

export type Screening = {
  duplicates: Listed<Duplicate>;
  malformed: Listed<UrlFinding>;
  refused: Listed<UrlFinding>;
  unresolved: Listed<UrlFinding>;
  /** Hosts resolved, and URLs not judged by DNS because their host came after the first MAX_HOSTS. */
  hosts: { checked: number; unchecked_urls: number };
  /** URL occurrences that pass every check (duplicates included): the images a batch would hold that can be fetched. */
  fetchableUrls: number;
  /** Of those, distinct URLs: what would actually be fetched. */
  fetchableDistinct: number;
  sample: SampledUrl[];
};

const listed = <T>(): Listed<T> => ({ count: 0, items: [] });
const add = <T>(l: Listed<T>, item: T) => {
  l.count++;
  if (l.items.length < MAX_LISTED) l.items.push(item);
};

export class UrlScreening {
  private readonly duplicates = listed<Duplicate>();
  private readonly malformed = listed<UrlFinding>();
  private readonly refused = listed<UrlFinding>();
  private readonly unresolved = listed<UrlFinding>();
  private readonly hosts = new Map<string, HostBucket>();
  private untrackedUrls = 0;
  private untrackedDistinct = 0;
  /** Passing URLs whose host needs no lookup (allowed hosts, public IP literals). */
  private directUrls = 0;
  private directDistinct = 0;
  /** Passing URLs whose host needs no lookup, and those of hosts past MAX_HOSTS: sampled like a host's. */
  private readonly directPool: Pool = { seen: 0, kept: [] };

  constructor(
    private readonly allow: readonly AllowEntry[],
    private readonly probe: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** The intake's SaveManifest: reads the chunk, keeps only findings. */
  readonly saveManifest = async (manifest: ChunkManifest): Promise<void> => {
    for (const r of manifest.rows) r.urls.forEach((u) => this.add(r.row, u.url, u.dupOf?.[0]));
  };

  private add(row: number, url: string, firstRow: number | undefined): void {
    const distinct = firstRow === undefined;
    if (!distinct) add(this.duplicates, { row, url, first_row: firstRow });
    let target: Target;
    try {
      target = checkUrl(url, this.allow);
    } catch (err) {
      if (!(err instanceof FetchError)) throw err;
      add(err.code === 'blocked_address' ? this.refused : this.malformed, {
        row,
        url,
        code: err.code,
        reason: err.message,
      });
      return;
    }
    const needsDns = !target.allowed && isIP(target.hostname) === 0;
    if (!needsDns) {
      this.directUrls++;
      if (distinct) this.directDistinct++;
    } else {
      let bucket = this.hosts.get(target.hostname);
      if (!bucket && this.hosts.size < MAX_HOSTS) {
        bucket = { target, urls: 0, distinctUrls: 0, examples: [], pool: { seen: 0, kept: [] } };
        this.hosts.set(target.hostname, bucket);
      }
      if (!bucket) {
        this.untrackedUrls++;
        if (distinct) {
          this.untrackedDistinct++;
          this.offer(this.directPool, { row, url });
        }
        return;
      }
      bucket.urls++;
      if (distinct) bucket.distinctUrls++;
      if (bucket.examples.length < MAX_LISTED) bucket.examples.push({ row, url });
      if (distinct) this.offer(bucket.pool, { row, url });
      return;
    }
    if (distinct) this.offer(this.directPool, { row, url });
  }

  /**
   * Reservoir sampling within a pool. Pools are per host because a host's verdict comes only after the whole input
   * is read: a refused host's URLs must not take the places of fetchable ones.
   */
  private offer(pool: Pool, s: SampledUrl): void {
    if (this.probe === 0) return;
    pool.seen++;
    if (pool.kept.length < this.probe) return void pool.kept.push(s);
    const j = Math.floor(this.random() * pool.seen);
    if (j < this.probe) pool.kept[j] = s;
  }

  /** `probe` URLs from the pools of fetchable hosts, each draw picking a pool by how many URLs it had. */
  private draw(pools: Pool[]): SampledUrl[] {
    const left = pools.map((p) => ({ weight: p.seen, kept: [...p.kept] })).filter((p) => p.kept.length > 0);
    const out: SampledUrl[] = [];
    while (out.length < this.probe && left.length > 0) {
      let at = this.random() * left.reduce((n, p) => n + p.weight, 0);
      const i = Math.max(
        0,
        left.findIndex((p) => (at -= p.weight) < 0),
      );
      const pool = left[i]!;
      out.push(pool.kept.shift()!);
      if (pool.kept.length === 0) left.splice(i, 1);
    }
    return out.sort((a, b) => a.row - b.row);
  }

  /** Resolves every tracked host (never connecting), then says what was found. */
  async finish(lookup?: Lookup): Promise<Screening> {
    const buckets = [...this.hosts.values()];
    let next = 0;
    const worker = async () => {
      while (next < buckets.length) {
        const b = buckets[next++]!;
        try {
          await assertResolvesPublic(b.target, lookup);
        } catch (err) {
          if (!(err instanceof FetchError)) throw err;
          b.verdict = err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(DNS_IN_FLIGHT, buckets.length) }, worker));

    let fetchableUrls = this.directUrls;
    let fetchableDistinct = this.directDistinct;
    const refusedByDns: UrlFinding[] = [];
    const unresolvedByDns: UrlFinding[] = [];
    for (const b of buckets) {
      if (!b.verdict) {
        fetchableUrls += b.urls;
        fetchableDistinct += b.distinctUrls;
        continue;
      }
      const into = b.verdict.code === 'blocked_address' ? this.refused : this.unresolved;
      into.count += b.urls;
      const found = b.examples.map((e) => ({ ...e, code: b.verdict!.code, reason: b.verdict!.message }));
      (into === this.refused ? refusedByDns : unresolvedByDns).push(...found);
    }
    const merge = (l: Listed<UrlFinding>, more: UrlFinding[]) => {
      l.items = [...l.items, ...more].sort((a, b) => a.row - b.row).slice(0, MAX_LISTED);
    };
    merge(this.refused, refusedByDns);
    merge(this.unresolved, unresolvedByDns);

    return {
      duplicates: this.duplicates,
      malformed: this.malformed,
      refused: this.refused,
      unresolved: this.unresolved,
      hosts: { checked: buckets.length, unchecked_urls: this.untrackedUrls },
      // URLs of hosts past MAX_HOSTS are counted as fetchable: they were not judged, and most hosts are fine.
      fetchableUrls: fetchableUrls + this.untrackedUrls,
      fetchableDistinct: fetchableDistinct + this.untrackedDistinct,
      // A refused host is never probed: its answer is already known, and it must not be connected to.
      sample: this.draw([this.directPool, ...buckets.filter((b) => !b.verdict).map((b) => b.pool)]),
    };
  }
}
