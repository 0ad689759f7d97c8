// The status sets that code outside this package filters on. The statuses themselves are the Prisma enums (one
// schema); the sets say which of them mean "running", "open", "ended", so a new status is placed here once.
import { BatchStatus, ChunkStatus, ImageStatus } from '@pixmill/db';

type NonEmpty<T> = readonly [T, ...T[]];
const valuesOf = <T extends string>(e: Record<string, T>) => Object.values(e) as unknown as NonEmpty<T>;

export const BATCH_STATUSES = valuesOf(BatchStatus);
export const IMAGE_STATUSES = valuesOf(ImageStatus);
export const CHUNK_STATUSES = valuesOf(ChunkStatus);

/** A batch whose workers take its images and URLs. */
export const RUNNING_BATCH_STATUSES = ['queued', 'processing'] as const satisfies readonly BatchStatus[];
/** An image not ended yet: its batch's counters do not hold it. */
export const OPEN_IMAGE_STATUSES = ['pending', 'fetching', 'processing'] as const satisfies readonly ImageStatus[];
/** An image no resize worker has taken (waiting, or its URL being fetched): cancel stops it. */
export const UNTAKEN_IMAGE_STATUSES = ['pending', 'fetching'] as const satisfies readonly ImageStatus[];
/** An image that ran and was counted. */
export const ENDED_IMAGE_STATUSES = ['succeeded', 'failed'] as const satisfies readonly ImageStatus[];
