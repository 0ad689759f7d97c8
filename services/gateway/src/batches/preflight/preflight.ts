// A batch checked before it is made: the same bodies as batch creation go through the same intake (CSV parsing, row
// and URL limits, duplicate detection), with a sink that stores nothing, then DNS, an optional probe and an estimate.
import { randomUUID } from 'node:crypto';
import { finished } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { Request, Response } from 'express';
import type { Settings } from '@pixmill/config';
import type { PrismaClient } from '@pixmill/db';
import { parseAllowHosts, type Lookup } from '@pixmill/safe-fetch';
import type { ObjectStore } from '@pixmill/storage';
import { z } from 'zod';
import { ValidationError } from '../../errors';
import { parseDeclared } from '../../http/request-validation';
import { parseBatchOptions, BatchFormFields } from '../batch-options';
import { receiveBatchUpload } from '../upload-images';
import { intakeLimits, urlListOptions } from '../url-intake/receive-batch';
import type { CsvIntakeResult, CsvSink } from '../url-intake/receive-csv';
import { receiveUrlList, type UrlListBody } from '../url-intake/url-list';
import { estimateBatch, Estimate } from './preflight-estimate';
import { probeUrls, ProbeResult } from './preflight-probe';
import { MAX_LISTED, UrlScreening } from './url-screening';

export type PreflightDeps = {
  prisma: PrismaClient;
  store: ObjectStore;
  settings: Settings;
  /** DNS for the host checks and the probe (default: the system resolver, as the ingest worker uses). */
  lookup?: Lookup;
};

/** URLs probed at most: each is a real download, capped at MAX_FILE_BYTES. */
export const MAX_PROBE = 20;

const finding = z.object({
  row: z.number().int().describe('Data row (1 = the first row after the header; for a JSON list, its position)'),
  url: z.string(),
  code: z.string().describe('invalid_url, blocked_scheme, blocked_address or dns_failure'),
  reason: z.string(),
});
const listOf = <T extends z.ZodType>(item: T, what: string) =>
  z.object({
    count: z.number().int().describe(`How many ${what}`),
    items: z.array(item).describe(`The first ${MAX_LISTED}, in row order`),
  });

export const PreflightReport = z.object({
  source: z.enum(['csv', 'url_list']),
  file_name: z.string().nullable(),
  bytes: z.number().int().describe('Size of the CSV (for a JSON list: of the CSV a batch would store)'),
  columns: z.array(z.string()),
  rows: z.number().int(),
  urls: z.number().int().describe('URL occurrences: the images a batch would hold'),
  distinct_urls: z.number().int(),
  chunks: z.number().int(),
  duplicates: listOf(
    z.object({ row: z.number().int(), url: z.string(), first_row: z.number().int() }),
    'URL occurrences repeat an earlier one (fetched once)',
  ),
  malformed: listOf(finding, 'URLs cannot be fetched as written (not a URL, not http/https, credentials)'),
  refused: listOf(finding, 'URLs point at a private or reserved address (as written or as their host resolves)'),
  unresolved: listOf(finding, 'URLs have a host that does not resolve'),
  hosts: z.object({
    checked: z.number().int().describe('Distinct hosts resolved (nothing was connected to)'),
    unchecked_urls: z.number().int().describe('URLs whose host was past the number of hosts one preflight resolves'),
  }),
  probe: ProbeResult.nullable().describe('With `probe=N`: a random sample of N distinct fetchable URLs, downloaded'),
  estimate: Estimate,
});
export type PreflightReport = z.infer<typeof PreflightReport>;

/** A sink that keeps nothing: the CSV's bytes are read through and dropped, manifests go to the screening. */
const screeningSink = (screening: UrlScreening): CsvSink => ({
  saveSource: async (_key, body) => {
    if (Buffer.isBuffer(body)) return;
    (body as Readable).resume();
    await finished(body);
  },
  saveManifest: screening.saveManifest,
});

/** A multipart body as `POST /api/v1/batches` takes it, with one CSV under `file`. */
export async function preflightMultipart(
  d: PreflightDeps,
  req: Request,
  res: Response,
  o: { probe: number; csvFields: string[] },
): Promise<PreflightReport> {
  const screening = newScreening(d, o.probe);
  const upload = await receiveBatchUpload(req, res, {
    store: d.store,
    keyPrefix: 'preflight/unused/',
    imageFields: [],
    limits: { maxFileBytes: d.settings.MAX_FILE_BYTES, maxFiles: 1 },
    csv: {
      fields: o.csvFields,
      batchId: randomUUID(),
      maxBytes: d.settings.MAX_CSV_BYTES,
      limits: intakeLimits(d.settings),
      sink: screeningSink(screening),
    },
  });
  const options = await parseBatchOptions(parseDeclared('form', BatchFormFields, upload.fields), d.settings);
  if (!upload.csv) {
    throw new ValidationError(
      `nothing to check: send a CSV of image URLs in ${o.csvFields.map((f) => `\`${f}\``).join(' or ')}`,
      { fields: o.csvFields },
      'no_files',
    );
  }
  return report(d, screening, upload.csv, {
    source: 'csv',
    fileName: upload.csv.originalName,
    variants: options.recipe.variants.length,
    probe: o.probe,
  });
}

/** A JSON body `{ "urls": [...] }` as `POST /api/v1/batches` takes it. */
export async function preflightUrlList(d: PreflightDeps, body: UrlListBody, probe: number): Promise<PreflightReport> {
  const options = await urlListOptions(body, d.settings);
  const screening = newScreening(d, probe);
  const intake = await receiveUrlList(body.urls, {
    sink: screeningSink(screening),
    batchId: randomUUID(),
    limits: intakeLimits(d.settings),
  });
  return report(d, screening, intake, {
    source: 'url_list',
    fileName: null,
    variants: options.recipe.variants.length,
    probe,
  });
}

const newScreening = (d: PreflightDeps, probe: number) =>
  new UrlScreening(parseAllowHosts(d.settings.FETCH_ALLOW_HOSTS), Math.min(probe, MAX_PROBE));

async function report(
  d: PreflightDeps,
  screening: UrlScreening,
  intake: CsvIntakeResult,
  o: { source: 'csv' | 'url_list'; fileName: string | null; variants: number; probe: number },
): Promise<PreflightReport> {
  const s = await screening.finish(d.lookup);
  const probe = o.probe > 0 ? await probeUrls(d.settings, o.probe, s.sample, d.lookup) : null;
  const estimate = await estimateBatch(d.prisma, {
    images: s.fetchableUrls,
    distinctUrls: s.fetchableDistinct,
    variants: o.variants,
    probe,
  });
  return {
    source: o.source,
    file_name: o.fileName,
    bytes: intake.bytes,
    columns: intake.columns,
    rows: intake.rows,
    urls: intake.urls,
    distinct_urls: intake.distinctUrls,
    chunks: intake.chunks.length,
    duplicates: s.duplicates,
    malformed: s.malformed,
    refused: s.refused,
    unresolved: s.unresolved,
    hosts: s.hosts,
    probe,
    estimate,
  };
}
