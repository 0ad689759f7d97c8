// Why an analysis produced no result; recorded on the image beside the others (its resize is not affected).

export class AnalysisTimeoutError extends Error {
  override readonly name = 'AnalysisTimeoutError';
  readonly code = 'analysis_timeout';
  constructor(kind: string, ms: number) {
    super(`${kind} analysis took longer than ${ms} ms`);
  }
}

/** The provider refused, failed or answered something that is not its documented format. */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  constructor(
    readonly code:
      | 'provider_unavailable'
      | 'provider_rate_limited'
      | 'provider_bad_answer'
      | 'provider_refused'
      | 'provider_timeout',
    message: string,
    /** Worth another attempt (a 429, a 5xx, a timeout, a cut connection). */
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** The stored code of any error an analysis threw. */
export function analysisErrorCode(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') return err.code;
  return 'analysis_failed';
}
