// The SDK's types are the API's document: regenerated from the gateway's routes, they must equal the committed file,
// so a route change shows in the SDK (and breaks the typecheck wherever the change is incompatible). Run as a child
// process: openapi-typescript is an ES module that jest's CommonJS runtime cannot load.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

describe('generated types', () => {
  it('match the OpenAPI document of the current routes (run `pnpm --filter @pixmill/client generate`)', () => {
    const script = path.join(__dirname, '../scripts/generate-types.ts');
    const fresh = execFileSync(process.execPath, ['--import', 'tsx', script, '--stdout'], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(fresh).toBe(readFileSync(path.join(__dirname, '../src/generated/openapi.ts'), 'utf8'));
  }, 120_000);
});
