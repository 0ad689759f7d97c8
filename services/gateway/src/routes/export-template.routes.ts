// An input to start from: a CSV in the product sheet shape (or one URL a row with ?shape=url), or the JSON body of a
// URL batch (?format=json).
import { z } from 'zod';
import { stringify } from 'csv-stringify/sync';
import { ValidationError } from '../errors';
import type { RouteModule } from './route-module';

const TemplateQuery = z.object({
  format: z
    .enum(['csv', 'json'])
    .default('csv')
    .describe('`csv`: a CSV for upload; `json`: the JSON body of POST /api/v1/batches (`{ "urls": [...] }`)'),
  shape: z
    .enum(['product', 'url'])
    .optional()
    .describe('CSV only. `product` (default): S. No., Product Name, Input Image Urls; `url`: one url a row'),
});

const templates = {
  product: [
    ['S. No.', 'Product Name', 'Input Image Urls'],
    ['1', 'Example product', 'https://example.com/images/front.jpg,https://example.com/images/back.jpg'],
    ['2', 'Another product', 'https://example.com/images/other.png'],
  ],
  url: [['url'], ['https://example.com/images/front.jpg'], ['https://example.com/images/back.jpg']],
};

export const exportTemplateRoutes: RouteModule = ({ api }) => {
  api.get(
    '/api/v1/export/template',
    {
      summary: 'A template CSV for URL batches',
      tags: ['exports'],
      access: 'user',
      query: TemplateQuery,
      responses: {
        200: {
          description: 'A CSV with the header and example rows, or a JSON URL list',
          content: {
            'text/csv': { schema: { type: 'string' } },
            'application/json': {
              schema: { type: 'object', properties: { urls: { type: 'array', items: { type: 'string' } } } },
            },
          },
        },
      },
    },
    (req, res) => {
      const { format, shape = 'product' } = req.valid.query;
      if (format === 'json') {
        if (req.valid.query.shape === 'product')
          throw new ValidationError('shape=product is a CSV shape; the JSON template is a URL list', {
            field: 'shape',
          });
        // A file to save, as the CSV is: sent as is, not as an API answer.
        return void res
          .set('Content-Type', 'application/json; charset=utf-8')
          .set('Content-Disposition', 'attachment; filename="pixmill-url-template.json"')
          .send(`${JSON.stringify({ urls: templates.url.slice(1).map((r) => r[0]) }, null, 2)}\n`);
      }
      res
        .set('Content-Type', 'text/csv; charset=utf-8')
        .set('Content-Disposition', `attachment; filename="pixmill-${shape}-template.csv"`)
        .send(stringify(templates[shape]));
    },
  );
};
