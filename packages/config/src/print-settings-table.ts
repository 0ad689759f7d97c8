// `pnpm settings:table`: rewrites the settings table in README.md between its markers.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { settingsTable } from './settings-table';

const readme = path.resolve(__dirname, '../../../README.md');
const text = readFileSync(readme, 'utf8');
const next = text.replace(
  /<!-- settings:start -->[\s\S]*<!-- settings:end -->/,
  `<!-- settings:start -->\n${settingsTable()}\n<!-- settings:end -->`,
);
writeFileSync(readme, next);
