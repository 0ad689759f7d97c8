// How big a batch would be and how long it would take at the rate the system has finished images lately (all
// users': they share the workers), after the images already waiting.
import { OPEN_IMAGE_STATUSES } from '@pixmill/batch-state';
import type { PrismaClient } from '@pixmill/db';
import { z } from 'zod';
import { throughput } from '../../system/throughput';
import type { ProbeResult } from './preflight-probe';

/** The window the rate is measured over. */
const RATE_MINUTES = 15;

export const Estimate = z.object({
  images: z.number().int().describe('Images a batch would hold that pass every check (repeats included)'),
  fetches: z.number().int().describe('Distinct URLs among them: what would be downloaded'),
  outputs: z.number().int().describe('Images times the variants of the recipe'),
  bytes: z
    .number()
    .int()
    .nullable()
    .describe('Bytes to download: the mean size of the probed images times `fetches` (null without a probe)'),
  images_per_minute: z.number().nullable().describe(`Images finished a minute over the last ${RATE_MINUTES} minutes`),
  images_ahead: z.number().int().describe('Images of other batches waiting or in progress now'),
  seconds: z
    .number()
    .int()
    .nullable()
    .describe('Time to finish the waiting images and this batch at that rate (null: nothing finished lately)'),
});
export type Estimate = z.infer<typeof Estimate>;

export async function estimateBatch(
  prisma: Pick<PrismaClient, '$queryRaw' | 'image'>,
  o: { images: number; distinctUrls: number; variants: number; probe: ProbeResult | null; now?: Date },
): Promise<Estimate> {
  const [rate, ahead] = await Promise.all([
    throughput(prisma, { minutes: RATE_MINUTES, ...(o.now ? { now: o.now } : {}) }),
    prisma.image.count({ where: { status: { in: [...OPEN_IMAGE_STATUSES] } } }),
  ]);
  const finished = rate.totals.succeeded + rate.totals.failed;
  const perMinute = finished > 0 ? finished / RATE_MINUTES : null;
  const sized = (o.probe?.items ?? []).filter((p) => p.ok && p.bytes !== null);
  const meanBytes = sized.length ? sized.reduce((n, p) => n + p.bytes!, 0) / sized.length : null;
  return {
    images: o.images,
    fetches: o.distinctUrls,
    outputs: o.images * o.variants,
    bytes: meanBytes === null ? null : Math.round(meanBytes * o.distinctUrls),
    images_per_minute: perMinute === null ? null : Math.round(perMinute * 10) / 10,
    images_ahead: ahead,
    seconds: perMinute === null ? null : Math.ceil(((ahead + o.images) / perMinute) * 60),
  };
}
