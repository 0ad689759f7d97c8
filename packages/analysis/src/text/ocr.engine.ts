// OCR with tesseract.js (its WASM build, in a worker thread of its own) and the English model shipped on npm,
// read from disk: nothing is fetched. One engine per process, started on first use.
import path from 'node:path';
import { createWorker, OEM, type Page, type Worker } from 'tesseract.js';
import { AnalysisTimeoutError } from '../analysis.error';

/** LSTM "best" model, integer-quantised (2.9 MB): the accuracy of `best` at about the speed of `fast`. */
const MODEL_DIR = '4.0.0_best_int';
/** Words the engine is less sure of (0-100) are left out: on photographs they are texture read as letters. */
const MIN_WORD_CONFIDENCE = 50;
/**
 * Tesseract rates words with "@" and dots low even when it reads them right (a clean rendered e-mail address: 32),
 * so a word shaped like an address is kept from this confidence on.
 */
const MIN_ADDRESS_CONFIDENCE = 20;
const ADDRESS_SHAPED = /^[\w.+-]+@[\w-]+(\.[\w-]+)+$|^(https?:\/\/|www\.)\S+\.\S+$/i;

const keep = (w: { text: string; confidence: number }): boolean => {
  const text = w.text.trim();
  if (text.length < 2 || !/[\p{L}\p{N}]/u.test(text)) return false;
  return w.confidence >= MIN_WORD_CONFIDENCE || (w.confidence >= MIN_ADDRESS_CONFIDENCE && ADDRESS_SHAPED.test(text));
};

export type OcrResult = { text: string; confidence: number | null };

const langPath = () => path.join(path.dirname(require.resolve('@tesseract.js-data/eng/package.json')), MODEL_DIR);

/** Keeps the words worth keeping, line by line. */
function wordsOf(page: Page): { lines: string[]; confidence: number | null } {
  const lines: string[] = [];
  let sum = 0;
  let n = 0;
  for (const block of page.blocks ?? [])
    for (const para of block.paragraphs)
      for (const line of para.lines) {
        const kept = line.words.filter(keep);
        if (kept.length === 0) continue;
        lines.push(kept.map((w) => w.text.trim()).join(' '));
        for (const w of kept) {
          sum += w.confidence;
          n++;
        }
      }
  return { lines, confidence: n ? Math.round((sum / n) * 10) / 10 : null };
}

export class OcrEngine {
  private worker: Promise<Worker> | undefined;

  private start(): Promise<Worker> {
    this.worker ??= createWorker('eng', OEM.LSTM_ONLY, {
      langPath: langPath(),
      gzip: true,
      cacheMethod: 'none',
      logger: () => undefined,
      errorHandler: () => undefined,
    })
      // Our PNGs carry no resolution tesseract believes; 300 dpi is what its models are trained at.
      .then(async (w) => (await w.setParameters({ user_defined_dpi: '300' }), w))
      .catch((err: unknown) => {
        this.worker = undefined;
        throw err;
      });
    return this.worker;
  }

  /** Loads the model now (otherwise the first image pays for it, about a second). */
  async warm(): Promise<void> {
    await this.start();
  }

  /**
   * Text of an encoded image (PNG). A recognition that runs past `timeoutMs` is abandoned with its worker (tesseract
   * cannot be interrupted otherwise); the next call starts a new one.
   */
  async read(image: Buffer, o: { timeoutMs: number; maxChars: number }): Promise<OcrResult & { truncated: boolean }> {
    const worker = await this.start();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new AnalysisTimeoutError('text', o.timeoutMs)), o.timeoutMs);
    });
    try {
      const { data } = await Promise.race([worker.recognize(image, {}, { blocks: true, text: false }), timeout]);
      const { lines, confidence } = wordsOf(data);
      const text = lines.join('\n');
      return { text: text.slice(0, o.maxChars), truncated: text.length > o.maxChars, confidence };
    } catch (err) {
      if (err instanceof AnalysisTimeoutError) {
        this.worker = undefined;
        void worker.terminate().catch(() => undefined);
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await (await w.catch(() => null))?.terminate();
  }
}
