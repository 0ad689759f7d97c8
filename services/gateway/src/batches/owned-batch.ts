import { z } from 'zod';
import { isUuid } from '@pixmill/contracts';
import type { Batch, PrismaClient } from '@pixmill/db';
import type { AuthContext } from '../auth/auth-context';
import { NotFoundError } from '../errors';

/** The path parameters of every `/batches/{id}/…` route; the id is resolved by findOwnedBatch. */
export const BatchParams = z.object({ id: z.string() });

/**
 * The batch, if the caller may see it: its owner, or an admin. Anything else — unknown, malformed, someone else's,
 * deleted — is the same 404, so ids of other users' batches can't be probed.
 */
export async function findOwnedBatch(
  prisma: Pick<PrismaClient, 'batch'>,
  auth: AuthContext,
  id: string,
): Promise<Batch> {
  if (!isUuid(id)) throw new NotFoundError('no such batch');
  const batch = await prisma.batch.findFirst({
    where: { id, ...(auth.role === 'admin' ? {} : { ownerId: auth.userId }) },
  });
  if (!batch) throw new NotFoundError('no such batch');
  return batch;
}
