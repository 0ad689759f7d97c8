// Maps @pixmill/batch-state's errors to answers: an action the batch's state does not allow is a 409 that names the
// current state and the action (clients branch on `code`), a batch gone meanwhile is a 404.
import { BatchNotFoundError, BatchStateError } from '@pixmill/batch-state';
import { HttpError, NotFoundError } from '../errors';

export class BatchStateHttpError extends HttpError {
  readonly status = 409;
  readonly code = 'batch_state_error';
}

export function toBatchStateHttp(err: BatchStateError): BatchStateHttpError {
  return new BatchStateHttpError(err.message, {
    action: err.action,
    current_state: err.currentState,
    allowed_states: err.allowedStates,
    ...(err.reason ? { reason: err.reason } : {}),
  });
}

/** Runs a transition, answering its refusals in HTTP terms. */
export async function asHttp<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof BatchStateError) throw toBatchStateHttp(err);
    if (err instanceof BatchNotFoundError) throw new NotFoundError('no such batch');
    throw err;
  }
}
