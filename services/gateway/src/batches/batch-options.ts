// The optional fields every batch creation accepts (multipart fields or JSON), validated the same way.
import type { Settings } from '@pixmill/config';
import { AnalysisKind, AnalysisRequest } from '@pixmill/contracts';
import { defaultRecipe, parseRecipe, type Recipe } from '@pixmill/imaging';
import { z } from 'zod';
import { ValidationError } from '../errors';
import { fileFieldNames, type MultipartSpec } from '../openapi/registry';
import { checkWebhookUrl, MAX_WEBHOOK_URL_LENGTH, newWebhookSecret as makeWebhookSecret } from './webhook-endpoint';

export type BatchOptions = {
  name?: string;
  recipe: Recipe;
  /** Analyses asked for (none: empty). */
  analysis: AnalysisKind[];
  autoStart: boolean;
  webhookUrl?: string;
  webhookSecret?: string;
  /** A secret made for this batch, shown once in the create answer (a settings-wide default is not shown). */
  newWebhookSecret?: string;
};

/** Longest batch_name taken: longer is refused (400), not cut. */
export const MAX_BATCH_NAME_LENGTH = 200;

/**
 * The `analysis` option: `true`/`false`, a list of kinds, or either as a JSON string (multipart fields are text).
 * `describe` needs a vision provider: asked for with ANALYSIS_PROVIDER=local it is refused, not silently skipped.
 */
export function parseAnalysisOption(raw: unknown, settings: Pick<Settings, 'ANALYSIS_PROVIDER'>): AnalysisKind[] {
  if (raw === undefined || raw === '') return [];
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      // a bare kind name, or a comma-separated list of them
      value = raw.split(',').map((k) => k.trim());
    }
  }
  const parsed = AnalysisRequest.safeParse(value);
  if (!parsed.success)
    throw new ValidationError(
      `analysis: expected true, false or a list of ${AnalysisKind.options.join(', ')}`,
      { field: 'analysis', issues: parsed.error.issues.map((i) => i.message) },
      'invalid_analysis',
    );
  if (parsed.data.includes('describe') && settings.ANALYSIS_PROVIDER === 'local')
    throw new ValidationError(
      'analysis: describe needs a vision provider, and this server has none (ANALYSIS_PROVIDER is local)',
      { field: 'analysis', kind: 'describe' },
      'analysis_unavailable',
    );
  return parsed.data;
}

/** The text fields of a multipart batch upload (an empty field counts as not sent). */
export const BatchFormFields = z.object({
  batch_name: z.string().max(MAX_BATCH_NAME_LENGTH).optional(),
  recipe: z
    .string()
    .optional()
    .describe(
      'JSON recipe: { "variants": [ { "name", "width", "height", "fit", "format", "quality", "max_bytes" } ] }',
    ),
  analysis: z
    .string()
    .optional()
    .describe('`true` for the cheap analyses, or a JSON list / comma-separated kinds (faces, text...)'),
  // Checked (length included) by parseBatchOptions; the limit shows in the API document.
  webhook_url: z.string().meta({ format: 'uri', maxLength: MAX_WEBHOOK_URL_LENGTH }).optional(),
  auto_start: z.string().optional().describe('true (default) or false'),
});

/** A multipart batch: image files, or one CSV of image URLs, and the batch's text fields. */
export const batchUpload = {
  fields: BatchFormFields,
  files: {
    'files[]': { description: 'JPEG, PNG, WebP, AVIF, GIF or TIFF images', multiple: true, aliases: ['files'] },
    file: {
      description: 'A CSV of image URLs: a `url` column, or `S. No.`, `Product Name`, `Input Image Urls`',
      aliases: ['csvFile'],
    },
  },
} satisfies MultipartSpec;

/** The file fields of `batchUpload` by kind, as the upload receiver takes them. */
export const batchUploadFields = {
  imageFields: fileFieldNames(batchUpload, (n) => n === 'files[]'),
  csvFields: fileFieldNames(batchUpload, (n) => n === 'file'),
  form: BatchFormFields,
};

export async function parseBatchOptions(
  raw: { batch_name?: unknown; recipe?: unknown; analysis?: unknown; auto_start?: unknown; webhook_url?: unknown },
  settings: Pick<Settings, 'FETCH_ALLOW_HOSTS' | 'WEBHOOK_DEFAULT_SECRET' | 'ANALYSIS_PROVIDER'>,
): Promise<BatchOptions> {
  const name = raw.batch_name === undefined || raw.batch_name === '' ? undefined : String(raw.batch_name).trim();
  if (name !== undefined && name.length > MAX_BATCH_NAME_LENGTH)
    throw new ValidationError(
      `batch_name: longer than ${MAX_BATCH_NAME_LENGTH} characters`,
      { field: 'batch_name', reason: 'too_long', length: name.length, limit: MAX_BATCH_NAME_LENGTH },
      'invalid_batch_name',
    );

  let recipe = defaultRecipe;
  if (raw.recipe !== undefined && raw.recipe !== '') {
    try {
      recipe = parseRecipe(raw.recipe);
    } catch (err) {
      throw new ValidationError(
        `recipe: ${(err as Error).message}`,
        (err as { details?: unknown }).details,
        'invalid_recipe',
      );
    }
  }

  const analysis = parseAnalysisOption(raw.analysis, settings);

  let autoStart = true;
  if (raw.auto_start !== undefined && raw.auto_start !== '') {
    const v = String(raw.auto_start).toLowerCase();
    if (!['true', 'false', '1', '0'].includes(v))
      throw new ValidationError('auto_start must be true or false', { field: 'auto_start' });
    autoStart = v === 'true' || v === '1';
  }

  let webhookUrl: string | undefined;
  let webhookSecret: string | undefined;
  let newWebhookSecret: string | undefined;
  if (raw.webhook_url !== undefined && raw.webhook_url !== '') {
    webhookUrl = await checkWebhookUrl(String(raw.webhook_url), settings, 'webhook_url');
    webhookSecret = settings.WEBHOOK_DEFAULT_SECRET;
    if (!webhookSecret) newWebhookSecret = webhookSecret = makeWebhookSecret();
  }
  return { name, recipe, analysis, autoStart, webhookUrl, webhookSecret, newWebhookSecret };
}
