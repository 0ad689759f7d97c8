// A JSON list of URLs becomes the same thing a CSV does: an input.csv with a `url` column (so results and exports
// work alike) and chunk manifests.
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import type { ObjectStore } from '@pixmill/storage';
import { PayloadTooLargeError } from '../../errors';
import { inputCsvKey } from '@pixmill/contracts';
import type { CsvIntakeResult } from './receive-csv';
import { UrlIntake, type IntakeLimits } from './url-intake';
import { MAX_BATCH_NAME_LENGTH } from '../batch-options';
import { MAX_WEBHOOK_URL_LENGTH } from '../webhook-endpoint';

export const UrlListBody = z.object({
  urls: z.array(z.string().max(16_384)).min(1).describe('Image URLs, one image each (http or https)'),
  batch_name: z.string().max(MAX_BATCH_NAME_LENGTH).optional(),
  recipe: z
    .union([z.string(), z.record(z.string(), z.unknown())])
    .optional()
    .describe('A recipe object, or the same as a JSON string'),
  analysis: z
    .union([z.boolean(), z.array(z.string()), z.string()])
    .optional()
    .describe(
      'Analyses to run: true for the cheap set, or a list of metadata, colours, placeholder, phash, quality, faces, text, describe',
    ),
  // Checked (length included) by parseBatchOptions, as for multipart batches; the limit shows in the API document.
  webhook_url: z.string().meta({ maxLength: MAX_WEBHOOK_URL_LENGTH }).optional(),
  auto_start: z.union([z.boolean(), z.string()]).optional(),
});
export type UrlListBody = z.infer<typeof UrlListBody>;

export async function receiveUrlList(
  urls: string[],
  o: { store: Pick<ObjectStore, 'put'>; batchId: string; limits: IntakeLimits },
): Promise<CsvIntakeResult> {
  if (urls.length > o.limits.maxRows) {
    throw new PayloadTooLargeError(`the list has ${urls.length} URLs; at most ${o.limits.maxRows} in one batch`, {
      reason: 'too_many_urls',
      limit_urls: o.limits.maxRows,
    });
  }
  const intake = new UrlIntake(o.batchId, o.limits, (key, body) =>
    o.store.put(key, body, { contentType: 'application/json', contentLength: body.length }),
  );
  try {
    intake.setHeader(['url']);
    for (let i = 0; i < urls.length; i++) await intake.addRow(i + 1, [urls[i]!]);
    const summary = await intake.finish();
    const csv = Buffer.from(stringify([['url'], ...urls.map((u) => [u])]));
    const sourceKey = inputCsvKey(o.batchId);
    await o.store.put(sourceKey, csv, { contentType: 'text/csv; charset=utf-8', contentLength: csv.length });
    return { ...summary, sourceKey, bytes: csv.length };
  } catch (err) {
    await intake.settle();
    throw err;
  }
}
