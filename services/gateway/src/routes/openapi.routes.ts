// The OpenAPI document of every registered route, and a docs page rendered from it.
import { publicUrl } from '@pixmill/config';
import { renderDocsPage } from '../openapi/docs-page';
import type { JsonObject } from '../openapi/registry';
import type { RouteModule } from './route-module';

export const OPENAPI_PATH = '/api/v1/openapi.json';

export const openapiRoutes: RouteModule = ({ deps, api }) => {
  // Built on first request, when every router has registered; routes don't change afterwards.
  let doc: JsonObject | undefined;
  const document = () =>
    (doc ??= api.openapi.document({
      title: 'pixmill',
      version: '1',
      description: 'Batch image processing: submit images or image URLs, get them resized, compressed and converted.',
      serverUrl: publicUrl(deps.settings),
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    }));

  api.get(
    OPENAPI_PATH,
    {
      summary: 'This API as an OpenAPI 3.1 document',
      tags: ['docs'],
      access: 'public',
      // Tools read it as it is.
      envelope: false,
      responses: {
        200: {
          description: 'OpenAPI document',
          content: { 'application/json': { schema: { type: 'object', additionalProperties: true } } },
        },
      },
    },
    (_req, res) => {
      res.json(document());
    },
  );
  api.get(
    '/docs',
    {
      summary: 'Human-readable API reference',
      tags: ['docs'],
      access: 'public',
      responses: { 200: { description: 'HTML page', content: { 'text/html': { schema: { type: 'string' } } } } },
    },
    (_req, res) => {
      res.type('html').send(renderDocsPage(document(), OPENAPI_PATH));
    },
  );
};
