// The two shapes of pixmill's JSON answers (seed 002's envelope): a success under /api/v1, and an error on any
// route of any service. Every HTTP server of pixmill builds its bodies with these, so the shape has one owner.
import { z } from 'zod';

export const ErrorBodySchema = z.object({
  success: z.literal(false),
  error: z.string().describe('What went wrong, for a person'),
  code: z.string().describe('What went wrong, for a program: `validation_error`, `not_found`, `rate_limited`, ...'),
  details: z.unknown().describe('What a program needs to act on it (the fields, the limit, ...), or null'),
  timestamp: z.iso.datetime(),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

export const errorBody = (code: string, message: string, details?: unknown): ErrorBody => ({
  success: false,
  error: message,
  code,
  details: details ?? null,
  timestamp: new Date().toISOString(),
});

/** The envelope of a JSON success under /api/v1, around what the route answers (`data`). */
export const successEnvelopeSchema = <T extends z.ZodType>(data: T) =>
  z.object({
    success: z.literal(true),
    data,
    message: z.string().optional().describe('A note for a person, when the operation has one'),
    timestamp: z.iso.datetime(),
  });

export type SuccessBody<T> = { success: true; data: T; message?: string; timestamp: string };

export const successBody = <T>(data: T, message?: string): SuccessBody<T> => ({
  success: true,
  data,
  ...(message !== undefined ? { message } : {}),
  timestamp: new Date().toISOString(),
});
