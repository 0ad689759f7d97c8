import { readFileSync } from 'node:fs';
import path from 'node:path';
import { settingsTable } from '../src/settings-table';

describe('README settings table', () => {
  it('lists every setting with its default and meaning (run `pnpm settings:table` after changing settings)', () => {
    const readme = readFileSync(path.resolve(__dirname, '../../../README.md'), 'utf8');
    const section = /<!-- settings:start -->\n([\s\S]*)\n<!-- settings:end -->/.exec(readme)?.[1];
    expect(section).toBe(settingsTable());
    expect(section).toContain('| `PORT` | `8080` |');
  });
});
