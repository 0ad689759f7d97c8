// The transitions a resize worker makes on an image, as an interface: the handler is written against it, production
// binds it to the database (imageLifecycle), unit tests to an in-memory fake.
import type { PrismaClient } from '@pixmill/db';
import { claimImage, type Claim } from './claim-image';
import { finishImage, type FinishResult, type ImageOutcome } from './finish-image';

export type ImageLifecycle = {
  claim(batchId: string, imageId: string): Promise<Claim>;
  finish(batchId: string, imageId: string, outcome: ImageOutcome): Promise<FinishResult>;
};

export const imageLifecycle = (prisma: Pick<PrismaClient, '$queryRaw'>): ImageLifecycle => ({
  claim: (batchId, imageId) => claimImage(prisma, batchId, imageId),
  finish: (batchId, imageId, outcome) => finishImage(prisma, batchId, imageId, outcome),
});
