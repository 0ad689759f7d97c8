// `/new`: a batch from images (many files, dropped or chosen, each with its upload progress) or from a CSV/JSON list
// of URLs, with a name, webhook URL, auto-start and a recipe, and a preview of one chosen image rendered with the
// recipe's first variant through POST /api/v1/resize. It is the form of POST /upload; with the script running it is
// sent to POST /api/v1/batches, whose refusal is shown next to the field or file it names.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, getCsrfToken, postWithProgress } from '../api/client';
import { pixmill } from '../api/pixmill';
import { ErrorNote } from '../components/bits';
import { PRESETS, RecipeEditor, recipeJson, type Variant } from '../components/recipe-editor';
import { bytes } from '../format';
import { navigate } from '../router';

type Source = 'images' | 'urls';
type Created = { batch_id: string; webhook_secret?: string };

/** Which field or file a refusal is about, from its details (`field`, `file`) or message (`recipe: …`). */
function placeOf(err: ApiError): { field?: string; file?: string } {
  const d = (err.details ?? {}) as Record<string, unknown>;
  if (typeof d.file === 'string') return { file: d.file };
  if (typeof d.field === 'string') return { field: d.field };
  const m = /^(recipe|webhook_url|batch_name|auto_start)\b/.exec(err.message);
  return m ? { field: m[1] } : {};
}

function FieldError({ id, error }: { id: string; error?: string }) {
  return error ? (
    <p class="error" role="alert" id={id}>
      {error}
    </p>
  ) : null;
}

export default function NewBatchPage() {
  const [source, setSource] = useState<Source>('images');
  const [files, setFiles] = useState<File[]>([]);
  const [list, setList] = useState<File | undefined>(undefined);
  const [variants, setVariants] = useState<Variant[]>(PRESETS.thumbnail!.variants.map((v) => ({ ...v })));
  const [sent, setSent] = useState<number[] | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | Error | undefined>(undefined);
  const [dragging, setDragging] = useState(false);
  // The webhook's signing secret is answered once, at creation: shown here before going on to the batch.
  const [secret, setSecret] = useState<{ batchId: string; secret: string } | undefined>(undefined);

  const place = error instanceof ApiError ? placeOf(error) : {};
  const fieldError = (f: string) => (place.field === f ? error?.message : undefined);

  const addFiles = (more: FileList | File[] | null) => {
    if (!more) return;
    const picked = [...more].filter((f) => f.size >= 0);
    setFiles((prev) => [...prev, ...picked.filter((f) => !prev.some((p) => p.name === f.name && p.size === f.size))]);
    setSent(undefined);
    setError(undefined);
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const dropped = [...(e.dataTransfer?.files ?? [])];
    const lists = dropped.filter((f) => /\.(csv|json)$/i.test(f.name));
    if (lists.length && lists.length === dropped.length) {
      setSource('urls');
      setList(lists[0]);
    } else {
      setSource('images');
      addFiles(dropped.filter((f) => !lists.includes(f)));
    }
  };

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const fields = new FormData(form);
    const name = String(fields.get('batch_name') ?? '').trim();
    const webhook = String(fields.get('webhook_url') ?? '').trim();
    const autoStart = fields.get('auto_start') === 'true';
    setError(undefined);
    setBusy(true);
    try {
      let created: Created;
      if (source === 'urls' && list && /\.json$/i.test(list.name)) {
        let urls: unknown;
        try {
          const parsed = JSON.parse(await list.text()) as unknown;
          urls = Array.isArray(parsed) ? parsed : (parsed as { urls?: unknown }).urls;
        } catch {
          throw new ApiError(400, 'invalid_json', `${list.name} is not JSON: a list of URLs or { "urls": [...] }`, {
            field: 'file',
          });
        }
        created = await pixmill.createUrlBatch({
          urls,
          recipe: recipeJson(variants),
          auto_start: autoStart,
          ...(name ? { batch_name: name } : {}),
          ...(webhook ? { webhook_url: webhook } : {}),
        });
      } else {
        const body = new FormData();
        // Fields first: they are small, and the server knows the recipe before the files arrive.
        if (name) body.append('batch_name', name);
        if (webhook) body.append('webhook_url', webhook);
        body.append('auto_start', String(autoStart));
        body.append('recipe', recipeJson(variants));
        const parts = source === 'images' ? files : list ? [list] : [];
        if (parts.length === 0) {
          throw new ApiError(
            400,
            'no_files',
            source === 'images' ? 'choose at least one image' : 'choose a CSV or JSON file',
            {
              field: 'file',
            },
          );
        }
        for (const f of parts) body.append(source === 'images' ? 'files[]' : 'file', f, f.name);
        const sizes = parts.map((f) => f.size);
        const sum = sizes.reduce((a, b) => a + b, 0) || 1;
        setSent(sizes.map(() => 0));
        const upload = postWithProgress<Created>('/api/v1/batches', body, (loaded, total) => {
          // The body is the files one after another (plus small headers), so bytes sent say how far each file is.
          const fileBytes = total > 0 ? (loaded / total) * sum : loaded;
          let before = 0;
          setSent(
            sizes.map((size) => {
              const done = Math.max(0, Math.min(size, fileBytes - before));
              before += size;
              return done;
            }),
          );
        });
        created = await upload.done;
      }
      if (created.webhook_secret) setSecret({ batchId: created.batch_id, secret: created.webhook_secret });
      else navigate(`/batch/${created.batch_id}`);
    } catch (err) {
      setError(err instanceof Error ? err : new Error(String(err)));
      setBusy(false);
    }
  };

  const unplaced = error && !place.field && !place.file ? error : undefined;

  if (secret) {
    return (
      <>
        <h1>Batch created</h1>
        <div class="card" role="status">
          <p>
            Its webhooks are signed with this secret. Copy it now: it is not shown again. Verify each delivery's{' '}
            <code>webhook-signature</code> with it (Standard Webhooks).
          </p>
          <p>
            <code class="break" data-testid="webhook-secret">
              {secret.secret}
            </code>
          </p>
          <button type="button" onClick={() => navigate(`/batch/${secret.batchId}`)}>
            Open the batch
          </button>
        </div>
      </>
    );
  }

  return (
    <>
      <h1>New batch</h1>
      <form
        class="new-batch"
        method="post"
        action={`/upload?_csrf=${encodeURIComponent(getCsrfToken() ?? '')}`}
        encType="multipart/form-data"
        onSubmit={submit}
        noValidate={false}
      >
        <div class="card">
          <label for="batch_name">Batch name</label>
          <input id="batch_name" name="batch_name" maxLength={200} aria-describedby="batch_name-error" />
          <FieldError id="batch_name-error" error={fieldError('batch_name')} />

          <fieldset class="source">
            <legend>Images from</legend>
            <label class="inline">
              <input
                type="radio"
                name="source"
                value="images"
                checked={source === 'images'}
                onChange={() => setSource('images')}
              />{' '}
              Image files
            </label>
            <label class="inline">
              <input
                type="radio"
                name="source"
                value="urls"
                checked={source === 'urls'}
                onChange={() => setSource('urls')}
              />{' '}
              A CSV or JSON list of image URLs
            </label>
          </fieldset>

          <div
            class={`drop${dragging ? ' over' : ''}`}
            onDragOver={(e) => {
              e.preventDefault();
              setDragging(true);
            }}
            onDragLeave={() => setDragging(false)}
            onDrop={onDrop}
          >
            {source === 'images' ? (
              <>
                <label for="files">Images (JPEG, PNG, WebP, AVIF, GIF, TIFF) — choose or drop them here</label>
                <input
                  id="files"
                  name="files[]"
                  type="file"
                  multiple
                  accept="image/*"
                  aria-describedby="file-error"
                  onChange={(e) => {
                    addFiles(e.currentTarget.files);
                    e.currentTarget.value = '';
                  }}
                />
              </>
            ) : (
              <>
                <label for="list">
                  URL list: a CSV with a <code>url</code> column (or the product sheet), or JSON — choose or drop it
                  here
                </label>
                <input
                  id="list"
                  name="file"
                  type="file"
                  accept=".csv,.json,text/csv,application/json"
                  aria-describedby="file-error"
                  onChange={(e) => setList(e.currentTarget.files?.[0])}
                />
                <p class="muted">
                  <a href="/export/template?shape=url">Download a template CSV</a>
                </p>
              </>
            )}
          </div>
          <FieldError id="file-error" error={fieldError('file') ?? fieldError('files[]')} />

          {source === 'images' && files.length > 0 && (
            <ul class="files" aria-label="Chosen images">
              {files.map((f, i) => {
                const done = sent?.[i];
                const fileError = place.file === f.name ? error?.message : undefined;
                return (
                  <li key={`${f.name}-${i}`}>
                    <span class="file-name">{f.name}</span>
                    <span class="muted">{bytes(f.size)}</span>
                    {done !== undefined && (
                      <progress max={f.size || 1} value={done} aria-label={`Upload of ${f.name}`} />
                    )}
                    {!busy && (
                      <button
                        type="button"
                        class="link"
                        onClick={() => setFiles((prev) => prev.filter((_, j) => j !== i))}
                      >
                        Remove<span class="sr-only"> {f.name}</span>
                      </button>
                    )}
                    {fileError && (
                      <p class="error" role="alert">
                        {fileError}
                      </p>
                    )}
                  </li>
                );
              })}
            </ul>
          )}

          <label for="webhook_url">Webhook URL (optional)</label>
          <input
            id="webhook_url"
            name="webhook_url"
            type="url"
            placeholder="https://example.com/hooks/pixmill"
            aria-describedby="webhook_url-error"
          />
          <FieldError id="webhook_url-error" error={fieldError('webhook_url')} />

          <label class="inline">
            <input type="checkbox" name="auto_start" value="true" defaultChecked /> Start processing at once
          </label>
        </div>

        <div class="card">
          <RecipeEditor variants={variants} onChange={setVariants} error={fieldError('recipe')} />
          {source === 'images' && <Preview files={files} variant={variants[0]} />}
        </div>

        <ErrorNote error={unplaced} />
        <button type="submit" disabled={busy}>
          {busy ? 'Uploading…' : 'Create batch'}
        </button>
      </form>
    </>
  );
}

/** One chosen image beside the first variant's output, rendered by the server on request. */
function Preview({ files, variant }: { files: File[]; variant: Variant | undefined }) {
  const [index, setIndex] = useState(0);
  const [result, setResult] = useState<{ url: string; text: string } | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const file = files[Math.min(index, files.length - 1)];
  const original = useMemo(() => (file ? URL.createObjectURL(file) : undefined), [file]);
  useEffect(() => () => original && URL.revokeObjectURL(original), [original]);
  if (!file || !variant) return null;

  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const form = new FormData();
      form.append('image', file, file.name);
      if (variant.width) form.append('width', String(variant.width));
      if (variant.height) form.append('height', String(variant.height));
      form.append('fit', variant.fit);
      form.append('format', variant.format);
      if (variant.quality) form.append('quality', String(variant.quality));
      form.append('wait', '20');
      const r = await pixmill.resizePreview(form);
      const out = (r as { output?: { width: number; height: number; bytes: number; format: string } }).output;
      if (!r.download_url) throw new Error('the preview is still being made; try again in a moment');
      setResult({
        url: r.download_url,
        text: out ? `${out.width} × ${out.height} ${out.format}, ${bytes(out.bytes)}` : '',
      });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="preview" aria-labelledby="preview-title">
      <h2 id="preview-title">Preview of “{variant.name}”</h2>
      <div class="row">
        <label for="preview-file">Image</label>
        <select id="preview-file" value={String(index)} onChange={(e) => setIndex(Number(e.currentTarget.value))}>
          {files.map((f, i) => (
            <option key={i} value={String(i)}>
              {f.name}
            </option>
          ))}
        </select>
        <button type="button" class="secondary" onClick={run} disabled={busy}>
          {busy ? 'Rendering…' : 'Render preview'}
        </button>
      </div>
      <ErrorNote error={error} />
      <div class="side-by-side">
        <figure>
          <img src={original} alt={`Original: ${file.name}`} />
          <figcaption>Original, {bytes(file.size)}</figcaption>
        </figure>
        {result && (
          <figure>
            <img src={result.url} alt={`Preview of ${file.name} as ${variant.name}`} />
            <figcaption>{result.text}</figcaption>
          </figure>
        )}
      </div>
    </section>
  );
}
