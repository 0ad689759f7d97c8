// Image analysis: what the cheap analyses add to the resize worker's time per image (the same photographs and
// recipes, with and without them, interleaved in one run), and how many images a second OCR and face detection take.
// One image at a time. The added cost is measured in CPU time (process.cpuUsage: every thread of the process, libvips'
// included), which a loaded machine stretches far less than wall time; wall time is reported beside it.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { FaceEngine, OcrEngine, runCheapAnalyses, runSlowAnalyses } from '@pixmill/analysis';
import { cheapAnalysisKinds } from '@pixmill/contracts';
import { parseRecipe, processImage, type Recipe } from '@pixmill/imaging';
import { astronaut, photoWithContact } from '@pixmill/analysis/testing';
import { findPhotos } from '@pixmill/imaging/testing';

const PHOTOS = 12;
const ROUNDS = 3;
const LIMITS = { maxInputPixels: 50_000_000, timeoutMs: 120_000 };

const RECIPES: Record<string, Recipe> = {
  thumbnail: parseRecipe({ variants: [{ name: 'thumb', width: 300, height: 300, fit: 'cover', format: 'webp' }] }),
  web: parseRecipe({ variants: [{ name: 'web', width: 1024, fit: 'inside', format: 'jpeg', quality: 80 }] }),
  'thumbnail+web': parseRecipe({
    variants: [
      { name: 'thumb', width: 300, height: 300, fit: 'cover', format: 'webp' },
      { name: 'web', width: 1024, fit: 'inside', format: 'jpeg', quality: 80 },
    ],
  }),
};

const round = (v: number, places = 2) => Math.round(v * 10 ** places) / 10 ** places;

/** JPEG and WebP decode the sample with shrink-on-load; PNG has none, so its sample costs a second full decode. */
const formatOf = (img: Buffer) => (img[0] === 0xff && img[1] === 0xd8 ? 'jpeg' : img[0] === 0x89 ? 'png' : 'other');

async function cheapCost(photos: Buffer[], recipe: Recipe) {
  let plain = 0;
  let withAnalyses = 0;
  let plainCpu = 0;
  let withCpu = 0;
  const byFormat: Record<string, { plain: number; with: number; n: number }> = {};
  let cpuOfLast = 0;
  const perKind: Record<string, number> = {};
  const time = async (work: () => Promise<unknown>) => {
    const t = performance.now();
    const c = process.cpuUsage();
    await work();
    const d = process.cpuUsage(c);
    cpuOfLast = (d.user + d.system) / 1000;
    return performance.now() - t;
  };
  for (let r = 0; r < ROUNDS; r++)
    for (const [i, img] of photos.entries()) {
      const a = () => processImage(img, recipe, LIMITS);
      const b = async () => {
        const out = await processImage(img, recipe, { ...LIMITS, sample: true });
        const found = await runCheapAnalyses(out.sample!, cheapAnalysisKinds, { blurThreshold: 25 });
        for (const [k, ms] of Object.entries(found.timings_ms ?? {})) perKind[k] = (perKind[k] ?? 0) + (ms ?? 0);
      };
      // Alternate which goes first, so neither always meets a warm cache or a busier moment.
      let pa: number;
      let pb: number;
      let ca: number;
      let cb: number;
      if ((r + i) % 2 === 0) {
        pa = await time(a);
        ca = cpuOfLast;
        pb = await time(b);
        cb = cpuOfLast;
      } else {
        pb = await time(b);
        cb = cpuOfLast;
        pa = await time(a);
        ca = cpuOfLast;
      }
      plainCpu += ca;
      withCpu += cb;
      plain += pa;
      withAnalyses += pb;
      const f = (byFormat[formatOf(img)] ??= { plain: 0, with: 0, n: 0 });
      f.plain += ca;
      f.with += cb;
      f.n++;
    }
  const n = ROUNDS * photos.length;
  return {
    resize_cpu_ms_per_image: round(plainCpu / n),
    resize_with_cheap_analyses_cpu_ms_per_image: round(withCpu / n),
    added_cost_percent: round(((withCpu - plainCpu) / plainCpu) * 100, 1),
    wall_ms_per_image: { resize: round(plain / n), with_cheap_analyses: round(withAnalyses / n) },
    added_cost_percent_by_input_format: Object.fromEntries(
      Object.entries(byFormat).map(([k, v]) => [
        k,
        { images: v.n / ROUNDS, percent: round(((v.with - v.plain) / v.plain) * 100, 1) },
      ]),
    ),
    /** Wall time of each analysis alone (they are plain JS on the sample, so close to their CPU time). */
    per_analysis_ms: Object.fromEntries(Object.entries(perKind).map(([k, v]) => [k, round(v / n, 3)])),
  };
}

export async function runAnalysisBench(): Promise<Record<string, unknown>> {
  const paths = findPhotos(PHOTOS);
  // Every few-th photograph, so the set spans the packages and sizes (1-20 Mpx).
  const step = Math.max(1, Math.floor(paths.length / PHOTOS));
  const photos = paths
    .filter((_, i) => i % step === 0)
    .slice(0, PHOTOS)
    .map((p) => readFileSync(p));
  const loadBefore = os.loadavg()[0]!;

  const cheap: Record<string, unknown> = {};
  for (const [name, recipe] of Object.entries(RECIPES)) {
    cheap[name] = await cheapCost(photos, recipe);
    console.log(name, cheap[name]);
  }

  const ocr = new OcrEngine();
  const faces = new FaceEngine();
  const t0 = performance.now();
  await Promise.all([ocr.warm(), faces.warm()]);
  const modelLoadMs = performance.now() - t0;
  const deps = {
    ocr,
    faces,
    limits: { maxInputPixels: LIMITS.maxInputPixels, timeoutMs: 60_000, maxTextChars: 10_000, ocrMaxSide: 1600 },
  };
  const slowSet = [await photoWithContact(), astronaut(), ...photos.slice(0, 6)];
  const rate = async (kind: 'text' | 'faces') => {
    const t = performance.now();
    let errors = 0;
    for (const img of slowSet) {
      const r = await runSlowAnalyses(img, 'bench', [kind], deps);
      if (r.errors) errors++;
    }
    const s = (performance.now() - t) / 1000;
    return { images: slowSet.length, seconds: round(s), images_per_second: round(slowSet.length / s, 3), errors };
  };
  const text = await rate('text');
  const face = await rate('faces');
  await Promise.all([ocr.close(), faces.close()]);

  return {
    photos: photos.length,
    rounds: ROUNDS,
    load_average_before: round(loadBefore),
    load_average_after: round(os.loadavg()[0]!),
    cheap_analyses_on_resize: cheap,
    target_added_cost_percent: 10,
    model_load_ms: Math.round(modelLoadMs),
    ocr: text,
    faces: face,
  };
}
