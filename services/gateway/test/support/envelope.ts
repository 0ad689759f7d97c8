// Reading answers in the API's two shapes (@pixmill/contracts' api-envelope.ts) in tests and scripts: each function
// checks the whole shape first, so a test that reads `data` also proves the envelope is there.
import { ErrorBodySchema, successEnvelopeSchema, type ErrorBody } from '@pixmill/contracts';
import { z } from 'zod';

type Answer = { status: number; body: unknown };

const SuccessBody = successEnvelopeSchema(z.unknown()).strict();
const StrictErrorBody = ErrorBodySchema.strict();

const show = (res: Answer) => `HTTP ${res.status} ${JSON.stringify(res.body)?.slice(0, 800)}`;

/** The `data` of a success answer under /api/v1; throws unless it is `{ success: true, data, message?, timestamp }`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function dataOf<T = any>(res: Answer): T {
  if (res.status >= 400 || !SuccessBody.safeParse(res.body).success)
    throw new Error(`expected a success envelope, got ${show(res)}`);
  return (res.body as { data: T }).data;
}

/** An error answer; throws unless it is `{ success: false, error, code, details, timestamp }`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function errorOf(res: Answer): ErrorBody & { details: any } {
  if (res.status < 400 || !StrictErrorBody.safeParse(res.body).success)
    throw new Error(`expected an error body, got ${show(res)}`);
  return res.body as ErrorBody;
}
