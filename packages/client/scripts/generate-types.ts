// `pnpm --filter @pixmill/client generate`: writes src/generated/openapi.ts from the gateway's document; with
// `--stdout` prints it instead (test/generated-types.test.ts compares, so a stale file fails the tests).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { openapiTypes } from './openapi-types';

void openapiTypes().then((text) => {
  if (process.argv.includes('--stdout')) return void process.stdout.write(text);
  writeFileSync(path.join(__dirname, '../src/generated/openapi.ts'), text);
  console.log('wrote src/generated/openapi.ts');
});
