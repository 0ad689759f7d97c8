// Reading answers in the API's two shapes (@pixmill/contracts' api-envelope.ts) in tests and scripts: each function
// checks the whole shape first, so a test that reads `data` also proves the envelope is there.
import { ErrorBodySchema, successEnvelopeSchema, type ErrorBody } from '@pixmill/contracts';
import { z } from 'zod';

/* eslint-disable @typescript-eslint/no-explicit-any -- tests read answers loosely, as supertest's `body` is typed */

type Answer = { status: number; body: unknown };

const SuccessBody = successEnvelopeSchema(z.unknown()).strict();
const StrictErrorBody = ErrorBodySchema.strict();

const show = (body: unknown, status?: number) =>
  `${status === undefined ? '' : `HTTP ${status} `}${JSON.stringify(body)?.slice(0, 800)}`;

/** Whether a body is exactly the success envelope. */
export const isSuccessBody = (body: unknown): boolean => SuccessBody.safeParse(body).success;

/** Whether a body is exactly the error shape (with a non-empty message). */
export const isErrorBody = (body: unknown): body is ErrorBody =>
  StrictErrorBody.safeParse(body).success && (body as ErrorBody).error.length > 0;

/** The `data` of a body that must be `{ success: true, data, message?, timestamp }`. */
export function dataIn<T = any>(body: unknown, status?: number): T {
  if (!SuccessBody.safeParse(body).success) throw new Error(`expected a success envelope, got ${show(body, status)}`);
  return (body as { data: T }).data;
}

/** A body that must be `{ success: false, error, code, details, timestamp }`. */
export function errorIn(body: unknown, status?: number): ErrorBody & { details: any } {
  if (!StrictErrorBody.safeParse(body).success) throw new Error(`expected an error body, got ${show(body, status)}`);
  return body as ErrorBody;
}

/** The `data` of a success answer under /api/v1 (a supertest response or `{ status, body }`). */
export function dataOf<T = any>(res: Answer): T {
  if (res.status >= 400) throw new Error(`expected a success, got ${show(res.body, res.status)}`);
  return dataIn<T>(res.body, res.status);
}

/** An error answer (a supertest response or `{ status, body }`). */
export function errorOf(res: Answer): ErrorBody & { details: any } {
  if (res.status < 400) throw new Error(`expected an error, got ${show(res.body, res.status)}`);
  return errorIn(res.body, res.status);
}

/** `dataOf` for a fetch Response. */
export const readData = async <T = any>(res: Response): Promise<T> =>
  dataOf<T>({ status: res.status, body: await res.json() });

/** `errorOf` for a fetch Response. */
export const readError = async (res: Response): Promise<ErrorBody & { details: any }> =>
  errorOf({ status: res.status, body: await res.json() });
