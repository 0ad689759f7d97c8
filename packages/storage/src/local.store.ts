// ObjectStore on local disk (embedded mode): one file per key under `root`, downloads through signed gateway URLs.
import { randomBytes } from 'node:crypto';
import { constants, type Dirent } from 'node:fs';
import { access, mkdir, open, readdir, readFile, rename, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertBufferLength, ByteMeter } from './byte-meter';
import { DownloadSignatureError, signDownload, verifyDownload } from './download-signature';
import { assertExpiry } from './expiry';
import { assertContentType } from './http-headers';
import { InvalidKeyError, ObjectNotFoundError, type ObjectStore, type PutOptions } from './object-store';
import { assertSafeKey, assertSafePrefix } from './safe-key';
import { TempFileSink } from './temp-file-sink';

export type LocalStoreOptions = {
  /** Folder holding the objects; created when missing. */
  root: string;
  /** Base URL clients reach the gateway at; signed URLs are `${publicUrl}/files/<key>?exp=...&sig=...`. */
  publicUrl: string;
  /** HMAC key of download URLs, at least 32 bytes. */
  signingSecret: string;
};

export type ResolvedDownload = { key: string; filename?: string; contentType?: string };

export interface LocalObjectStore extends ObjectStore {
  readonly kind: 'local';
  /** Checks a signed download request (`path` = URL path, `query` = its parameters); throws DownloadSignatureError. */
  resolveSignedDownload(path: string, query: Record<string, unknown>): ResolvedDownload;
  /** Like get, with the size and stored type read from the same open file (for Content-Length). */
  open(key: string): Promise<{ body: Readable; bytes: number; contentType?: string }>;
}

// Internal files carry '~', which assertSafeKey never lets into a key: they can't collide with objects.
const TMP_MARK = '~tmp-';
const META_SUFFIX = '~meta';
const MISSING = new Set(['ENOENT', 'ENOTDIR']);

export function createLocalStore(o: LocalStoreOptions): LocalObjectStore {
  if (Buffer.byteLength(o.signingSecret ?? '', 'utf8') < 32)
    throw new TypeError('signingSecret must be at least 32 bytes');
  const root = path.resolve(o.root);
  const base = new URL(o.publicUrl);
  if (base.protocol !== 'http:' && base.protocol !== 'https:')
    throw new TypeError(`publicUrl must be http(s): ${o.publicUrl}`);
  const publicUrl = o.publicUrl.replace(/\/+$/, '');
  const basePath = base.pathname.replace(/\/+$/, '');
  const secret = o.signingSecret;

  /** The file of a key; refuses anything that would land outside root even if assertSafeKey had a hole. */
  const fileOf = (key: string): string => {
    assertSafeKey(key);
    const file = path.resolve(root, key);
    if (!file.startsWith(root + path.sep)) throw new InvalidKeyError(key, 'resolves outside the storage root');
    return file;
  };

  const readContentType = async (file: string): Promise<string | undefined> => {
    try {
      const meta: unknown = JSON.parse(await readFile(file + META_SUFFIX, 'utf8'));
      const type = (meta as { contentType?: unknown } | null)?.contentType;
      return typeof type === 'string' ? type : undefined;
    } catch (err) {
      // A missing or unreadable type file only costs the type, not the object.
      if (isCode(err, MISSING) || err instanceof SyntaxError) return undefined;
      throw err;
    }
  };

  /**
   * Streams `body` into a temp file, then moves it under its key. Whenever the body fails (before the file is open,
   * while it is written, or at its end) nothing is stored, no temp file stays, and the body is destroyed.
   */
  const putStream = async (key: string, body: Readable, opts: PutOptions): Promise<{ bytes: number }> => {
    let file: string;
    try {
      file = fileOf(key);
      if (opts.contentType !== undefined) assertContentType(opts.contentType);
    } catch (err) {
      body.destroy();
      throw err;
    }
    const tmp = tempFileOf(file);
    const meter = new ByteMeter(opts.contentLength);
    const sink = new TempFileSink(() => openExclusive(tmp));
    try {
      await pipeline(body, meter, sink);
      await sink.released;
      await commit(tmp, file, opts.contentType);
      return { bytes: meter.bytes };
    } catch (err) {
      // The pipeline fails as soon as the body does; the file may still be opening or closing then.
      await sink.released;
      await removeTemp(tmp);
      throw err;
    }
  };

  const store: LocalObjectStore = {
    kind: 'local',

    async put(key, body, opts = {}) {
      // A stream is listened to before anything is awaited: it may fail while its file is still being opened.
      if (!Buffer.isBuffer(body)) return putStream(key, body, opts);
      const file = fileOf(key);
      if (opts.contentType !== undefined) assertContentType(opts.contentType);
      assertBufferLength(body, opts.contentLength);
      const tmp = tempFileOf(file);
      try {
        const handle = await openExclusive(tmp);
        try {
          await handle.writeFile(body);
          await handle.sync();
        } finally {
          await handle.close();
        }
        await commit(tmp, file, opts.contentType);
        return { bytes: body.length };
      } catch (err) {
        await removeTemp(tmp);
        throw err;
      }
    },

    async get(key) {
      return (await store.open(key)).body;
    },

    async open(key) {
      const file = fileOf(key);
      let handle;
      try {
        handle = await open(file, 'r');
      } catch (err) {
        throw isCode(err, MISSING) ? new ObjectNotFoundError(key) : err;
      }
      try {
        const st = await handle.stat();
        // A key that names a folder of other keys is not an object.
        if (!st.isFile()) throw new ObjectNotFoundError(key);
        const contentType = await readContentType(file);
        const body = handle.createReadStream();
        return contentType === undefined ? { body, bytes: st.size } : { body, bytes: st.size, contentType };
      } catch (err) {
        await handle.close();
        throw err;
      }
    },

    async head(key) {
      const file = fileOf(key);
      let st;
      try {
        st = await stat(file);
      } catch (err) {
        if (isCode(err, MISSING)) return null;
        throw err;
      }
      if (!st.isFile()) return null;
      const contentType = await readContentType(file);
      return contentType === undefined ? { bytes: st.size } : { bytes: st.size, contentType };
    },

    async delete(key) {
      const file = fileOf(key);
      try {
        await unlink(file);
      } catch (err) {
        // EISDIR/EPERM: the key names a folder of other keys, so there is no such object.
        if (!isCode(err, new Set([...MISSING, 'EISDIR', 'EPERM']))) throw err;
      }
      await unlinkIfThere(file + META_SUFFIX);
    },

    async deletePrefix(prefix) {
      assertSafePrefix(prefix);
      return removeTree(fileOf(prefix.slice(0, -1)));
    },

    async signedDownloadUrl(key, opts) {
      assertSafeKey(key);
      assertExpiry(opts.expiresInSeconds);
      if (opts.contentType !== undefined) assertContentType(opts.contentType);
      const exp = nowSeconds() + opts.expiresInSeconds;
      const grant = { key, exp, filename: opts.filename, contentType: opts.contentType };
      const query = new URLSearchParams({ exp: String(exp) });
      if (opts.filename !== undefined) query.set('name', opts.filename);
      if (opts.contentType !== undefined) query.set('type', opts.contentType);
      query.set('sig', signDownload(secret, grant));
      return `${publicUrl}/files/${key}?${query}`;
    },

    resolveSignedDownload(urlPath, query) {
      const invalid = (why: string) => new DownloadSignatureError('invalid', `invalid download link: ${why}`);
      // The gateway may see the path with or without the public URL's own path in front.
      let rest = basePath && urlPath.startsWith(`${basePath}/files/`) ? urlPath.slice(basePath.length) : urlPath;
      if (!rest.startsWith('/files/')) throw invalid('not a /files/ path');
      rest = rest.slice('/files/'.length);
      let key: string;
      try {
        key = decodeURIComponent(rest);
        assertSafeKey(key);
      } catch {
        throw invalid('bad key');
      }
      const exp = param(query, 'exp');
      const sig = param(query, 'sig');
      const filename = param(query, 'name');
      const contentType = param(query, 'type');
      if (exp === null || sig === null || filename === null || contentType === null)
        throw invalid('repeated parameter');
      if (exp === undefined || !/^\d{1,12}$/.test(exp) || sig === undefined) throw invalid('missing exp or sig');
      if (!verifyDownload(secret, { key, exp: Number(exp), filename, contentType }, sig))
        throw invalid('bad signature');
      if (nowSeconds() > Number(exp)) throw new DownloadSignatureError('expired', 'download link has expired');
      const out: ResolvedDownload = { key };
      if (filename !== undefined) out.filename = filename;
      if (contentType !== undefined) out.contentType = contentType;
      return out;
    },

    async check() {
      await mkdir(root, { recursive: true });
      await access(root, constants.R_OK | constants.W_OK);
    },
  };
  return store;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A single string value, undefined when absent, null when repeated or not a string (never trusted either way). */
function param(query: Record<string, unknown>, name: string): string | undefined | null {
  const v = query[name];
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : null;
}

const tempFileOf = (file: string) => `${file}${TMP_MARK}${randomBytes(6).toString('hex')}`;

/**
 * Moves a written temp file (and its content type) under its key. Readers see the old file or the new one, never a
 * half-written one; the type follows a moment later.
 */
async function commit(tmp: string, file: string, contentType: string | undefined): Promise<void> {
  const tmpMeta = `${tmp}${META_SUFFIX}`;
  if (contentType !== undefined) await writeFile(tmpMeta, JSON.stringify({ contentType }));
  await rename(tmp, file);
  if (contentType !== undefined) await rename(tmpMeta, file + META_SUFFIX);
  else await unlinkIfThere(file + META_SUFFIX);
}

/** Best effort: the error that made the put fail is the one worth reporting. */
async function removeTemp(tmp: string): Promise<void> {
  await Promise.allSettled([unlinkIfThere(tmp), unlinkIfThere(`${tmp}${META_SUFFIX}`)]);
}

/** Creates the temp file, recreating its folder if a concurrent deletePrefix removed it in between. */
async function openExclusive(file: string) {
  for (let attempt = 1; ; attempt++) {
    await mkdir(path.dirname(file), { recursive: true });
    try {
      return await open(file, 'wx');
    } catch (err) {
      if (!isCode(err, new Set(['ENOENT'])) || attempt >= 3) throw err;
    }
  }
}

/** Deletes the objects under `dir` and the folders left empty; returns how many objects went. */
async function removeTree(dir: string): Promise<number> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isCode(err, MISSING)) return 0;
    throw err;
  }
  let deleted = 0;
  for (const entry of entries) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) deleted += await removeTree(p);
    // A put in flight owns its temp file; it lands (or not) after this delete, as on S3.
    else if (entry.name.includes(TMP_MARK)) continue;
    else if (entry.name.endsWith(META_SUFFIX)) await unlinkIfThere(p);
    else if (await unlinkIfThere(p)) deleted++;
  }
  try {
    await rmdir(dir);
  } catch (err) {
    if (!isCode(err, new Set([...MISSING, 'ENOTEMPTY', 'EEXIST']))) throw err;
  }
  return deleted;
}

async function unlinkIfThere(file: string): Promise<boolean> {
  try {
    await unlink(file);
    return true;
  } catch (err) {
    if (isCode(err, MISSING)) return false;
    throw err;
  }
}

function isCode(err: unknown, codes: Set<string>): boolean {
  return typeof err === 'object' && err !== null && codes.has((err as NodeJS.ErrnoException).code ?? '');
}
