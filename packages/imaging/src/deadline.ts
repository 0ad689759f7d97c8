// One time budget for all the work on one image: sharp's own timeout plus a guard that always fires.
import { ImageError } from './image.error';

export class Deadline {
  private readonly end: number;

  constructor(private readonly budgetMs: number) {
    this.end = Date.now() + budgetMs;
  }

  remainingMs(): number {
    return this.end - Date.now();
  }

  /** For sharp's `.timeout()`: whole seconds, never 0 (which would mean no limit). */
  sharpSeconds(): number {
    return Math.min(3600, Math.max(1, Math.ceil(this.remainingMs() / 1000)));
  }

  expired(): ImageError {
    return new ImageError('timeout', `image processing took longer than ${this.budgetMs} ms`);
  }

  /**
   * Awaits `work`, or rejects with a timeout when the budget runs out. sharp's timeout only fires from libvips
   * progress callbacks, which some encoders (AVIF) never call, so this guard is what bounds the caller's wait;
   * the abandoned libvips work still finishes (or hits sharp's timeout) on its own thread.
   */
  async run<T>(work: Promise<T>): Promise<T> {
    const left = this.remainingMs();
    if (left <= 0) {
      work.catch(() => undefined);
      throw this.expired();
    }
    let timer: NodeJS.Timeout | undefined;
    const guard = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.expired()), left);
    });
    try {
      return await Promise.race([work, guard]);
    } finally {
      clearTimeout(timer);
    }
  }
}
