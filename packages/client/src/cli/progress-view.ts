// How the CLI shows batches being processed: one bar each (rate and ETA) on a terminal; plain lines otherwise
// (a log or a pipe gets no escape codes); nothing with --json, which prints only the result.
import cliProgress from 'cli-progress';
import type { BatchProgress } from '../batches';

export type ProgressView = {
  update(id: string, p: BatchProgress): void;
  stop(): void;
};

export function progressView(o: { json: boolean; tty: boolean; err: NodeJS.WritableStream }): ProgressView {
  if (o.json) return { update: () => undefined, stop: () => undefined };
  if (!o.tty) {
    const last = new Map<string, string>();
    return {
      update(id, p) {
        const line = `${id} ${p.status} ${p.processed_images}/${p.total_images} processed, ${p.failed_count} failed`;
        if (last.get(id) === line) return;
        last.set(id, line);
        o.err.write(`${line}\n`);
      },
      stop: () => undefined,
    };
  }
  const bars = new cliProgress.MultiBar(
    {
      format: ' {id} |{bar}| {value}/{total} images | {rate}/s | ETA {eta_formatted} | {status}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      barsize: 24,
    },
    cliProgress.Presets.shades_classic,
  );
  // The rate counts images finished while watching (a batch followed late does not show its whole past as a burst).
  const started = new Map<string, { bar: cliProgress.SingleBar; at: number; from: number }>();
  return {
    update(id, p) {
      let b = started.get(id);
      if (!b) {
        b = {
          bar: bars.create(Math.max(1, p.total_images), 0, { id: id.slice(0, 8), rate: '0.0', status: p.status }),
          at: Date.now(),
          from: p.processed_images,
        };
        started.set(id, b);
      }
      const seconds = Math.max(0.001, (Date.now() - b.at) / 1000);
      b.bar.setTotal(Math.max(1, p.total_images));
      b.bar.update(p.processed_images, {
        rate: ((p.processed_images - b.from) / seconds).toFixed(1),
        status: p.status,
      });
    },
    stop: () => bars.stop(),
  };
}

/** Upload progress in bytes: a bar on a terminal; otherwise a line at each quarter (and at the end). */
export function uploadView(o: { json: boolean; tty: boolean; err: NodeJS.WritableStream }): {
  update(sent: number, total: number): void;
  stop(): void;
} {
  if (o.json) return { update: () => undefined, stop: () => undefined };
  if (!o.tty) {
    let quarter = -1;
    return {
      update(sent, total) {
        const q = Math.floor((sent / Math.max(1, total)) * 4);
        if (q === quarter) return;
        quarter = q;
        o.err.write(`uploaded ${sent}/${total} bytes\n`);
      },
      stop: () => undefined,
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: ' upload |{bar}| {percentage}% | {value}/{total} bytes | ETA {eta_formatted}', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(sent, total) {
      if (!started) {
        started = true;
        bar.start(total, 0);
      }
      bar.update(sent);
    },
    stop: () => bar.stop(),
  };
}
