// Bodies for storage tests: generated streams (never committed files) and byte/hash helpers.
import { createHash, randomBytes } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function digest(stream: AsyncIterable<Buffer | Uint8Array>): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * `total` random bytes in 64 KiB chunks, hashed as they are made. With `pauseAt`, production stops there until
 * `resumeWhen` resolves, so a test can look at what the store did with the first part before the end exists.
 */
export function generatedBody(total: number, pause?: { at: number; resumeWhen: () => Promise<void> }) {
  const hash = createHash('sha256');
  async function* produce() {
    let sent = 0;
    let paused = false;
    while (sent < total) {
      if (pause && !paused && sent >= pause.at) {
        paused = true;
        await pause.resumeWhen();
      }
      const chunk = randomBytes(Math.min(64 * 1024, total - sent));
      hash.update(chunk);
      sent += chunk.length;
      yield chunk;
    }
  }
  let sha256: string | undefined;
  return {
    stream: Readable.from(produce(), { objectMode: false }),
    /** Only once the stream has ended. */
    sha256: () => (sha256 ??= hash.digest('hex')),
  };
}

/** Polls `condition` until it holds; fails with `what` after `ms` so a broken store fails instead of hanging. */
export async function waitFor(condition: () => Promise<boolean> | boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Bytes in every file under `dir` (temp files included): what a backend has actually written so far. */
export async function bytesOnDisk(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    if (!e.isFile()) continue;
    try {
      total += (await stat(path.join(e.parentPath, e.name))).size;
    } catch {
      // renamed or deleted while we looked
    }
  }
  return total;
}

/** Every file under `dir` (temp files included), relative and sorted: to compare what a backend left behind. */
export async function filesUnder(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true, recursive: true });
    return entries
      .filter((e) => e.isFile())
      .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
      .sort();
  } catch {
    return [];
  }
}
