// A CSV to start from: the product sheet shape (or the one-URL-a-row shape with ?shape=url).
import { z } from 'zod';
import { stringify } from 'csv-stringify/sync';
import type { RouteModule } from './route-module';

const TemplateQuery = z.object({
  shape: z
    .enum(['product', 'url'])
    .default('product')
    .describe('`product`: S. No., Product Name, Input Image Urls; `url`: one url a row'),
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
          description: 'A CSV with the header and example rows',
          content: { 'text/csv': { schema: { type: 'string' } } },
        },
      },
    },
    (req, res) => {
      const { shape } = req.valid.query;
      res
        .set('Content-Type', 'text/csv; charset=utf-8')
        .set('Content-Disposition', `attachment; filename="pixmill-${shape}-template.csv"`)
        .send(stringify(templates[shape]));
    },
  );
};
