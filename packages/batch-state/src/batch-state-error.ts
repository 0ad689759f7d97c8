import type { BatchStatus } from '@pixmill/db';
import { BATCH_STATUSES } from './status-sets';

/** The control actions on a batch, and the states each one may start from. */
export const BATCH_ACTIONS = {
  start: ['pending'],
  'force-start': ['pending', 'paused'],
  pause: ['queued', 'processing'],
  resume: ['paused'],
  cancel: ['pending', 'queued', 'processing', 'paused'],
  'retry-failed': ['completed', 'failed'],
  'soft-delete': ['pending', 'paused', 'completed', 'failed', 'cancelled'],
  restore: BATCH_STATUSES,
  delete: ['pending', 'paused', 'completed', 'failed', 'cancelled'],
  reset: ['queued', 'processing', 'paused'],
} as const satisfies Record<string, readonly BatchStatus[]>;

export type BatchAction = keyof typeof BATCH_ACTIONS;

export function actionAllowed(action: BatchAction, status: BatchStatus): boolean {
  return (BATCH_ACTIONS[action] as readonly BatchStatus[]).includes(status);
}

/** An action the batch's current state does not allow (the gateway answers 409 `batch_state_error`). */
export class BatchStateError extends Error {
  override readonly name = 'BatchStateError';
  constructor(
    readonly action: BatchAction,
    readonly currentState: BatchStatus,
    /** Why, when the state alone does not say it (e.g. `no failed images`). */
    readonly reason?: string,
  ) {
    super(
      `cannot ${action} a batch that is ${currentState}${reason ? `: ${reason}` : ''}` +
        (reason ? '' : ` (allowed from: ${BATCH_ACTIONS[action].join(', ')})`),
    );
  }

  get allowedStates(): readonly BatchStatus[] {
    return BATCH_ACTIONS[this.action];
  }
}

/** The batch is gone (deleted, or never was). */
export class BatchNotFoundError extends Error {
  override readonly name = 'BatchNotFoundError';
  constructor(readonly batchId: string) {
    super(`no batch ${batchId}`);
  }
}
