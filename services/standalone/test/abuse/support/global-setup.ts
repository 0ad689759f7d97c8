// Gives this run of the abuse suite a fresh folder for its rows (see cases.ts); the teardown reads it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export default function globalSetup(): void {
  process.env.PIXMILL_ABUSE_ROWS_DIR = mkdtempSync(path.join(tmpdir(), 'pixmill-abuse-rows-'));
}
