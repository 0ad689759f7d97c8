// The account's default webhook endpoint: set, read and removed by its owner. A batch created without a webhook_url
// of its own sends its events here (batches/account-webhook.ts).
import { z } from 'zod';
import type { AccountWebhook } from '@pixmill/db';
import { authOf } from '../auth/auth-context';
import {
  checkWebhookSecret,
  checkWebhookUrl,
  MAX_WEBHOOK_URL_LENGTH,
  newWebhookSecret,
  webhookSecretHint,
} from '../batches/webhook-endpoint';
import { NotFoundError, ValidationError } from '../errors';
import type { RouteModule } from './route-module';

const PutBody = z.object({
  // Checked (length included) by checkWebhookUrl; the limit shows in the API document.
  url: z.string().meta({ format: 'uri', maxLength: MAX_WEBHOOK_URL_LENGTH }),
  secret: z
    .string()
    .optional()
    .describe('Your own signing secret (`whsec_` + base64 of 24-64 bytes); without it the current one is kept'),
  rotate_secret: z
    .boolean()
    .optional()
    .describe('Make a new signing secret (shown once in the answer) instead of keeping the current one'),
});

const AccountWebhookView = z.object({
  url: z.string(),
  secret_hint: z.string().describe('The end of the signing secret, to tell which one is set (never the secret)'),
  secret: z
    .string()
    .optional()
    .describe('The signing secret, only in the answer of the PUT that made it: store it now'),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
});

const view = (w: AccountWebhook): z.input<typeof AccountWebhookView> => ({
  url: w.url,
  secret_hint: webhookSecretHint(w.secret),
  created_at: w.createdAt.toISOString(),
  updated_at: w.updatedAt.toISOString(),
});

const NONE = 'no default webhook is set for your account';
const PATH = '/api/v1/me/webhook';

export const accountWebhookRoutes: RouteModule = ({ deps, api }) => {
  const { prisma, settings } = deps;

  api.get(
    PATH,
    {
      summary: "Your account's default webhook endpoint",
      description: 'Batches created without a `webhook_url` of their own send their events here.',
      tags: ['webhooks'],
      access: 'user',
      responses: {
        200: { description: 'The endpoint (the secret is not shown)', schema: AccountWebhookView },
        404: { description: 'None is set' },
      },
    },
    async (req, res) => {
      const row = await prisma.accountWebhook.findUnique({ where: { userId: authOf(req).userId } });
      if (!row) throw new NotFoundError(NONE);
      res.set('Cache-Control', 'no-store').json(view(row));
    },
  );

  api.put(
    PATH,
    {
      summary: "Set your account's default webhook endpoint",
      description:
        'Every batch you create from now on without a `webhook_url` of its own takes this URL and signing secret ' +
        '(a batch keeps the endpoint it was created with). The URL is checked as a batch’s `webhook_url` is. ' +
        'Without `secret`, the current secret is kept, or ' +
        (settings.WEBHOOK_DEFAULT_SECRET
          ? 'the server-wide WEBHOOK_DEFAULT_SECRET is used.'
          : 'a new one is made and shown once in the answer.'),
      tags: ['webhooks'],
      access: 'user',
      body: PutBody,
      responses: {
        200: { description: 'Replaced', schema: AccountWebhookView },
        201: { description: 'Set', schema: AccountWebhookView },
        400: {
          description:
            'The URL may not receive webhooks, the secret is not whsec_ + base64, or both secret and rotate_secret',
        },
      },
    },
    async (req, res) => {
      const userId = authOf(req).userId;
      const body = req.valid.body;
      const url = await checkWebhookUrl(body.url, settings, 'url');
      if (body.secret !== undefined && body.rotate_secret)
        throw new ValidationError('send secret or rotate_secret, not both', { fields: ['secret', 'rotate_secret'] });
      const given = body.secret === undefined ? undefined : checkWebhookSecret(body.secret, 'secret');
      const current = await prisma.accountWebhook.findUnique({ where: { userId } });
      const kept = body.rotate_secret ? undefined : (current?.secret ?? settings.WEBHOOK_DEFAULT_SECRET);
      let made: string | undefined;
      const secret = given ?? kept ?? (made = newWebhookSecret());
      const row = await prisma.accountWebhook.upsert({
        where: { userId },
        create: { userId, url, secret },
        update: { url, secret },
      });
      res
        .status(current ? 200 : 201)
        .set('Cache-Control', 'no-store')
        .json({ ...view(row), ...(made ? { secret: made } : {}) });
    },
  );

  api.delete(
    PATH,
    {
      summary: "Remove your account's default webhook endpoint",
      description:
        'Batches created from now on without a `webhook_url` send no webhooks; existing batches keep theirs.',
      tags: ['webhooks'],
      access: 'user',
      responses: {
        204: { description: 'Removed' },
        404: { description: 'None was set' },
      },
    },
    async (req, res) => {
      const { count } = await prisma.accountWebhook.deleteMany({ where: { userId: authOf(req).userId } });
      if (count === 0) throw new NotFoundError(NONE);
      res.status(204).end();
    },
  );
};
