// A remote vision provider: what it is asked, what it answers (validated, size-capped), and how it is called.
import type { DescribeResult } from '@pixmill/contracts';

/** What a provider found in one image; a field it does not answer stays null. */
export type ProviderAnswer = Omit<DescribeResult, 'provider' | 'model' | 'cache_hit'>;

export type ProviderRequest = {
  /** Base URL, without a trailing slash. */
  baseUrl: string;
  key: string;
  /** A JPEG, already scaled down. */
  image: Buffer;
  signal: AbortSignal;
  maxAnswerBytes: number;
};

export type VisionAdapter = {
  name: 'google-vision' | 'openai';
  model: string | null;
  /** One HTTP exchange: throws ProviderError (retryable or not) for anything but a well-formed answer. */
  describe(req: ProviderRequest): Promise<ProviderAnswer>;
};

export const EMPTY_ANSWER: ProviderAnswer = {
  store_image: null,
  store_name: null,
  image_description: null,
  labels: null,
  text: null,
};

const MAX_FIELD = 2000;
const MAX_LABELS = 30;
/** Answers are strangers' text as far as pixmill is concerned: bounded before they are stored. */
export const boundedText = (v: string | null | undefined): string | null => {
  const s = v?.trim();
  return s ? s.slice(0, MAX_FIELD) : null;
};
export const boundedLabels = (v: readonly string[] | null | undefined): string[] | null =>
  v
    ? v
        .map((l) => l.trim().slice(0, 100))
        .filter(Boolean)
        .slice(0, MAX_LABELS)
    : null;
