// `pixmill`: the API from a shell or a pipeline. Exit codes: 0 done, 1 the batch had failures (or failed, or was
// cancelled), 2 usage, 3 API or network error. `--json` prints machine-readable results; progress bars only on a TTY.
import { readFile } from 'node:fs/promises';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  createCsvBatch,
  createImageBatch,
  createUrlBatch,
  FINAL_STATUSES,
  paged,
  waitForBatch,
  type BatchOptions,
  type BatchProgress,
  type CreatedBatch,
} from '../batches';
import { createPixmillClient, login, unwrap, type PixmillClient } from '../client';
import { PixmillError } from '../errors';
import { fileBlob, filesFromPaths } from '../node-files';
import { readConfig, saveConfig } from './config';
import { downloadOutputs } from './download-zip';
import { progressView, uploadView } from './progress-view';

export const EXIT = { done: 0, failures: 1, usage: 2, api: 3 } as const;

class UsageError extends Error {}

export type CliIo = {
  out: NodeJS.WritableStream & { isTTY?: boolean };
  err: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  stdin?: NodeJS.ReadableStream;
};

const int = (what: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${what} must be a whole number`);
  return n;
};

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = new Command('pixmill')
    .description('Batch image processing with pixmill')
    .option('--url <url>', 'pixmill URL (else PIXMILL_URL, else the saved login)')
    .option('--token <token>', 'login token or API key (else PIXMILL_TOKEN, else the saved login)')
    .option('--json', 'print results as JSON, no progress')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) });

  const g = () => program.opts<{ url?: string; token?: string; json?: boolean }>();
  const json = () => Boolean(g().json);
  const client = (): PixmillClient => {
    const saved = readConfig(io.env);
    const url = g().url ?? saved.url;
    const token = g().token ?? saved.token;
    if (!url) throw new UsageError('no pixmill URL: run `pixmill login --url <url>` or set PIXMILL_URL');
    if (!token) throw new UsageError('not logged in: run `pixmill login` or set PIXMILL_TOKEN');
    return createPixmillClient({ baseUrl: url, token });
  };
  const print = (data: unknown, text: () => string) =>
    io.out.write(json() ? `${JSON.stringify(data)}\n` : `${text()}\n`);
  let exitCode: number = EXIT.done;

  /** Follows batches to their end with the view that fits the output; 1 when any had a failure. */
  const follow = async (c: PixmillClient, ids: string[]) => {
    const view = progressView({ json: json(), tty: Boolean(io.out.isTTY), err: io.err });
    let finals: BatchProgress[];
    try {
      finals = await Promise.all(ids.map((id) => waitForBatch(c, id, { onProgress: (p) => view.update(id, p) })));
    } finally {
      view.stop();
    }
    const failures: { batch_id: string; row: number | null; source: string | null; code: string; message: string }[] =
      [];
    for (const f of finals.filter((f) => f.failed_count > 0)) {
      for await (const img of paged<{
        row_number: number | null;
        original_name: string | null;
        source_url: string | null;
        error: { code: string; message: string } | null;
      }>(c, `/api/v1/batches/${f.batch_id}/images`, { status: 'failed', per_page: 100 })) {
        failures.push({
          batch_id: f.batch_id,
          row: img.row_number,
          source: img.source_url ?? img.original_name,
          code: img.error?.code ?? 'failed',
          message: img.error?.message ?? 'failed',
        });
      }
    }
    if (finals.some((f) => f.failed_count > 0 || f.status !== 'completed')) exitCode = EXIT.failures;
    print({ batches: finals, failures }, () =>
      [
        ...finals.map(
          (f) => `${f.batch_id} ${f.status}: ${f.successful_count} done, ${f.failed_count} failed of ${f.total_images}`,
        ),
        ...failures.map((x) => `  failed: ${x.source ?? `row ${x.row}`}: ${x.code}: ${x.message}`),
      ].join('\n'),
    );
  };

  const batchOptions = async (o: {
    recipe?: string;
    name?: string;
    width?: number;
    height?: number;
    fit?: string;
    format?: string;
    quality?: number;
    maxBytes?: number;
  }): Promise<BatchOptions> => {
    let recipe: unknown;
    if (o.recipe) recipe = JSON.parse(await readFile(o.recipe, 'utf8'));
    else if (o.width ?? o.height ?? o.format ?? o.quality ?? o.maxBytes ?? o.fit) {
      recipe = {
        variants: [
          {
            name: 'default',
            ...(o.width !== undefined && { width: o.width }),
            ...(o.height !== undefined && { height: o.height }),
            ...(o.fit !== undefined && { fit: o.fit }),
            ...(o.format !== undefined && { format: o.format }),
            ...(o.quality !== undefined && { quality: o.quality }),
            ...(o.maxBytes !== undefined && { max_bytes: o.maxBytes }),
          },
        ],
      };
    }
    return { ...(o.name !== undefined && { name: o.name }), ...(recipe !== undefined && { recipe }) };
  };
  const recipeOptions = (cmd: Command) =>
    cmd
      .option(
        '--recipe <file.json>',
        'recipe file: { "variants": [ { name, width, height, fit, format, quality, max_bytes } ] }',
      )
      .option('--width <px>', 'one variant: width', int('width'))
      .option('--height <px>', 'one variant: height', int('height'))
      .addOption(
        new Option('--fit <fit>', 'one variant: fit').choices(['cover', 'contain', 'fill', 'inside', 'outside']),
      )
      .addOption(
        new Option('--format <format>', 'one variant: format').choices(['jpeg', 'png', 'webp', 'avif', 'original']),
      )
      .option('--quality <q>', 'one variant: quality 1-100', int('quality'))
      .option('--max-bytes <n>', 'one variant: largest output in bytes', int('max-bytes'))
      .option('--name <name>', 'batch name')
      .option('--no-wait', 'print the batch id and return without following it');

  program
    .command('login')
    .description('sign in and save the token (config file mode 0600)')
    .requiredOption('--username <name>', 'user name')
    .option('--password <password>', 'password (else read from stdin)')
    .action(async (o: { username: string; password?: string }) => {
      const url = g().url ?? readConfig(io.env).url;
      if (!url) throw new UsageError('login needs --url (or PIXMILL_URL)');
      const password = o.password ?? (io.stdin ? (await readAll(io.stdin)).trim() : '');
      if (!password) throw new UsageError('no password: pass --password or pipe it on stdin');
      const { token } = await login({ baseUrl: url, username: o.username, password });
      const file = saveConfig({ url, token }, io.env);
      print(
        { url, username: o.username, config: file },
        () => `logged in to ${url} as ${o.username} (saved in ${file})`,
      );
    });

  recipeOptions(program.command('upload <paths...>').description('upload image files and folders as one batch')).action(
    async (paths: string[], o: Parameters<typeof batchOptions>[0] & { wait: boolean }) => {
      const c = client();
      const files = await filesFromPaths(paths);
      if (files.length === 0) throw new UsageError(`no image files in ${paths.join(', ')}`);
      const upload = uploadView({ json: json(), tty: Boolean(io.out.isTTY), err: io.err });
      let created: CreatedBatch;
      try {
        created = await createImageBatch(c, files, { ...(await batchOptions(o)), onUpload: upload.update });
      } finally {
        upload.stop();
      }
      await submitted(c, created, o.wait);
    },
  );

  recipeOptions(
    program.command('submit <file>').description('submit a CSV of image URLs, or a JSON list of URLs, as one batch'),
  ).action(async (file: string, o: Parameters<typeof batchOptions>[0] & { wait: boolean }) => {
    const c = client();
    const options = await batchOptions(o);
    let created: CreatedBatch;
    if (/\.json$/i.test(file)) {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as unknown;
      const urls = Array.isArray(parsed) ? parsed : (parsed as { urls?: unknown }).urls;
      if (!Array.isArray(urls)) throw new UsageError(`${file}: expected a JSON list of URLs or { "urls": [...] }`);
      created = await createUrlBatch(c, urls.map(String), options);
    } else {
      created = await createCsvBatch(c, await fileBlob(file), options);
    }
    await submitted(c, created, o.wait);
  });

  const submitted = async (c: PixmillClient, created: CreatedBatch, wait: boolean) => {
    if (!wait) return print(created, () => created.batch_id);
    if (!json()) io.err.write(`batch ${created.batch_id}: ${created.total_images} images\n`);
    await follow(c, [created.batch_id]);
  };

  program
    .command('watch <ids...>')
    .description('follow batches to their end (exit 1 when one had failures)')
    .action(async (ids: string[]) => follow(client(), ids));

  program
    .command('ls')
    .description('your batches, newest first')
    .option('--status <status>', 'only batches in this status')
    .action(async (o: { status?: string }) => {
      const items: {
        batch_id: string;
        batch_name: string | null;
        status: string;
        total_images: number;
        progress: number;
      }[] = [];
      for await (const b of paged<(typeof items)[number]>(client(), '/api/v1/batches', { status: o.status }))
        items.push(b);
      print(items, () =>
        items
          .map(
            (b) =>
              `${b.batch_id}  ${b.status.padEnd(10)} ${String(b.total_images).padStart(6)} images  ${b.batch_name ?? ''}`,
          )
          .join('\n'),
      );
    });

  program
    .command('show <id>')
    .description('a batch in detail')
    .action(async (id: string) => {
      const b = await unwrap(client().api.GET('/api/v1/batches/{id}', { params: { path: { id } } }));
      print(b, () => JSON.stringify(b, null, 2));
    });

  program
    .command('download <id>')
    .description('the outputs of a batch, through its ZIP (files already there with their size are skipped)')
    .requiredOption('--out <dir>', 'folder to write to')
    .option('--variant <name>', 'only this variant')
    .action(async (id: string, o: { out: string; variant?: string }) => {
      const r = await downloadOutputs(client(), id, { out: o.out, ...(o.variant ? { variant: o.variant } : {}) });
      print(r, () => `${r.written.length} files written, ${r.skipped.length} already there, in ${o.out}`);
    });

  program
    .command('results <id>')
    .description('the results CSV of a URL batch, to stdout')
    .action(async (id: string) => {
      const res = await client().fetch(`/api/v1/batches/${id}/results.csv`);
      if (!res.ok) throw await apiError(res);
      io.out.write(await res.text());
    });

  program
    .command('preflight <file>')
    .description('check a CSV or JSON list of URLs without creating a batch')
    .option('--probe <n>', 'download a sample of this many URLs', int('probe'))
    .action(async (file: string, o: { probe?: number }) => {
      const c = client();
      const query = o.probe ? `?probe=${o.probe}` : '';
      let res: Response;
      if (/\.json$/i.test(file)) {
        const parsed = JSON.parse(await readFile(file, 'utf8')) as unknown;
        const urls = Array.isArray(parsed) ? parsed : (parsed as { urls?: unknown }).urls;
        res = await c.fetch(`/api/v1/batches/preflight${query}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ urls }),
        });
      } else {
        const csv = await fileBlob(file);
        const fd = new FormData();
        fd.append('file', csv.blob, csv.name);
        res = await c.fetch(`/api/v1/batches/preflight${query}`, { method: 'POST', body: fd });
      }
      if (!res.ok) throw await apiError(res);
      const r = (
        (await res.json()) as {
          data: Record<string, { count: number; items: { row: number; url: string; reason: string }[] }> & {
            rows: number;
            urls: number;
            distinct_urls: number;
          };
        }
      ).data;
      const bad = r.malformed!.count + r.refused!.count + r.unresolved!.count;
      if (bad > 0) exitCode = EXIT.failures;
      print(r, () =>
        [
          `${r.rows} rows, ${r.urls} URLs (${r.distinct_urls} distinct), ${r.duplicates!.count} repeated`,
          ...(['malformed', 'refused', 'unresolved'] as const).flatMap((k) =>
            r[k]!.items.map((f) => `  ${k}: row ${f.row}: ${f.url}: ${f.reason}`),
          ),
        ].join('\n'),
      );
    });

  for (const [name, path, what] of [
    ['cancel', 'cancel', 'cancel a batch'],
    ['pause', 'pause', 'pause a batch'],
    ['resume', 'resume', 'resume a paused batch'],
    ['retry', 'retry-failed', 'process the failed images of a batch again'],
  ] as const) {
    program
      .command(`${name} <id>`)
      .description(what)
      .action(async (id: string) => {
        const res = await client().fetch(`/api/v1/batches/${id}/${path}`, { method: 'POST' });
        if (!res.ok) throw await apiError(res);
        const data = ((await res.json()) as { data: unknown }).data;
        print(data, () => `${id}: ${name} done`);
      });
  }

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.done : EXIT.usage;
    if (err instanceof UsageError || err instanceof SyntaxError || (err as { code?: string }).code === 'ENOENT') {
      io.err.write(`pixmill: ${(err as Error).message}\n`);
      return EXIT.usage;
    }
    if (err instanceof PixmillError) {
      io.err.write(`pixmill: ${err.message} (${err.status} ${err.code})\n`);
      return EXIT.api;
    }
    io.err.write(
      `pixmill: ${(err as Error).message}${(err as { cause?: Error }).cause ? `: ${(err as { cause: Error }).cause.message}` : ''}\n`,
    );
    return EXIT.api;
  }
}

async function apiError(res: Response): Promise<PixmillError> {
  const body = (await res.json().catch(() => null)) as { error?: string; code?: string; details?: unknown } | null;
  return new PixmillError(
    body?.error ?? `HTTP ${res.status}`,
    res.status,
    body?.code ?? `http_${res.status}`,
    body?.details,
  );
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const p of stream as AsyncIterable<Buffer>) parts.push(Buffer.from(p));
  return Buffer.concat(parts).toString('utf8');
}

export const isFinal = (status: string) => FINAL_STATUSES.has(status);
