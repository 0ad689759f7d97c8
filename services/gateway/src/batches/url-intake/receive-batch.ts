// Creating a batch from a request body: a multipart upload (image files, or one CSV of URLs) or a JSON URL list.
// Whatever fails after bytes reached storage, the objects under the batch's prefixes are removed again.
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Settings } from '@pixmill/config';
import { originalsPrefix } from '@pixmill/contracts';
import type { Batch, PrismaClient } from '@pixmill/db';
import type { Logger } from '@pixmill/observability';
import type { ObjectStore } from '@pixmill/storage';
import { z } from 'zod';
import { parseDeclared } from '../../http/request-validation';
import { parseBatchOptions } from '../batch-options';
import { createUploadBatch } from '../create-batch';
import { asRecordedUpload } from '../upload-intent';
import { receiveBatchUpload } from '../upload-images';
import { ValidationError } from '../../errors';
import { createUrlBatch } from './create-url-batch';
import { storeCsv, type CsvIntakeResult } from './receive-csv';
import { receiveUrlList, type UrlListBody } from './url-list';

export type IntakeDeps = {
  prisma: PrismaClient;
  store: ObjectStore;
  settings: Settings;
  log: Logger;
};

export type CreatedBatch =
  | { kind: 'images'; batch: Batch; newWebhookSecret?: string }
  | { kind: 'urls'; batch: Batch; newWebhookSecret?: string; intake: CsvIntakeResult };

export const intakeLimits = (s: Pick<Settings, 'CHUNK_SIZE' | 'MAX_CSV_ROWS'>) => ({
  chunkSize: s.CHUNK_SIZE,
  maxRows: s.MAX_CSV_ROWS,
  maxUrls: s.MAX_CSV_ROWS,
});

type MultipartOptions = {
  ownerId: string;
  idempotencyKey?: string;
  imageFields: string[];
  csvFields: string[];
  /** The route's declared text fields: unknown ones are refused (the batch's are BatchFormFields). */
  form: z.ZodObject;
};

export async function createFromMultipart(
  d: IntakeDeps,
  req: Request,
  res: Response,
  o: MultipartOptions,
): Promise<CreatedBatch> {
  const batchId = randomUUID();
  return asRecordedUpload(d, batchId, () => createFromRecordedUpload(d, req, res, o, batchId));
}

async function createFromRecordedUpload(
  d: IntakeDeps,
  req: Request,
  res: Response,
  o: MultipartOptions,
  batchId: string,
): Promise<CreatedBatch> {
  const upload = await receiveBatchUpload(req, res, {
    store: d.store,
    keyPrefix: originalsPrefix(batchId),
    imageFields: o.imageFields,
    limits: { maxFileBytes: d.settings.MAX_FILE_BYTES, maxFiles: d.settings.MAX_FILES_PER_BATCH },
    csv: { fields: o.csvFields, batchId, maxBytes: d.settings.MAX_CSV_BYTES, limits: intakeLimits(d.settings) },
  });
  const options = await parseBatchOptions(parseDeclared('form', o.form, upload.fields), d.settings);
  const common = {
    id: batchId,
    ownerId: o.ownerId,
    name: options.name,
    recipe: options.recipe,
    analysis: options.analysis,
    autoStart: options.autoStart,
    idempotencyKey: o.idempotencyKey,
    webhookUrl: options.webhookUrl,
    webhookSecret: options.webhookSecret,
    retention: options.retention,
  };
  const secret = options.newWebhookSecret ? { newWebhookSecret: options.newWebhookSecret } : {};
  if (upload.csv) {
    const batch = await createUrlBatch(d.prisma, {
      ...common,
      sourceKind: 'csv',
      chunkSize: d.settings.CHUNK_SIZE,
      intake: upload.csv,
    });
    return { kind: 'urls', batch, intake: upload.csv, ...secret };
  }
  if (upload.files.length === 0) {
    const wanted = [...o.imageFields, ...o.csvFields].map((f) => `\`${f}\``).join(' or ');
    throw new ValidationError(
      `nothing to process: send files in ${wanted}`,
      { fields: [...o.imageFields, ...o.csvFields] },
      'no_files',
    );
  }
  const batch = await createUploadBatch(d.prisma, {
    ...common,
    sourceKind: 'upload',
    images: upload.files.map((f) => ({
      id: f.imageId,
      originalName: f.originalName,
      originalKey: f.key,
      bytes: f.size,
      contentType: f.contentType,
    })),
  });
  return { kind: 'images', batch, ...secret };
}

/** The batch options of a JSON URL list, read as the same fields of a form (a recipe object as its JSON text). */
export const urlListOptions = (body: UrlListBody, settings: Settings) =>
  parseBatchOptions(
    {
      batch_name: body.batch_name,
      recipe: typeof body.recipe === 'object' ? JSON.stringify(body.recipe) : body.recipe,
      analysis: body.analysis,
      webhook_url: body.webhook_url,
      auto_start: body.auto_start,
      retention: body.retention,
    },
    settings,
  );

export async function createFromUrlList(
  d: IntakeDeps,
  body: UrlListBody,
  o: { ownerId: string; idempotencyKey?: string },
): Promise<CreatedBatch> {
  const batchId = randomUUID();
  const options = await urlListOptions(body, d.settings);
  return asRecordedUpload(d, batchId, async () => {
    const intake = await receiveUrlList(body.urls, {
      sink: storeCsv(d.store),
      batchId,
      limits: intakeLimits(d.settings),
    });
    const batch = await createUrlBatch(d.prisma, {
      id: batchId,
      ownerId: o.ownerId,
      name: options.name,
      recipe: options.recipe,
      analysis: options.analysis,
      sourceKind: 'url_list',
      autoStart: options.autoStart,
      idempotencyKey: o.idempotencyKey,
      webhookUrl: options.webhookUrl,
      webhookSecret: options.webhookSecret,
      retention: options.retention,
      chunkSize: d.settings.CHUNK_SIZE,
      intake,
    });
    return {
      kind: 'urls',
      batch,
      intake,
      ...(options.newWebhookSecret ? { newWebhookSecret: options.newWebhookSecret } : {}),
    };
  });
}
