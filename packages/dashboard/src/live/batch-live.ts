// Live progress of a batch: Server-Sent Events from /api/v1/batches/{id}/events while it runs, or, when the stream
// can't be had (too many open already, a proxy that buffers, an error), polling /progress every two seconds. A
// browser allows only a few connections to one host, so a page keeps at most MAX_STREAMS streams open and polls the rest.
import { useEffect, useState } from 'preact/hooks';
import { get } from '../api/client';
import type { BatchSummary } from '../api/types';

const MAX_STREAMS = 3;
const POLL_MS = 2000;
let openStreams = 0;

export const isFinal = (status: string) => status === 'completed' || status === 'failed' || status === 'cancelled';
const isRunning = (status: string) => status === 'queued' || status === 'processing';

/** Follows one batch while it is queued or processing; answers the latest summary (initially `initial`). */
export function useBatchLive<T extends BatchSummary>(initial: T, onFinal?: () => void): T {
  const [state, setState] = useState<T>(initial);
  useEffect(() => setState(initial), [initial]);
  const running = isRunning(state.status);
  const id = state.batch_id;

  useEffect(() => {
    if (!running) return;
    let stopped = false;
    let timer: number | undefined;
    let stream: EventSource | undefined;
    const apply = (summary: BatchSummary) => {
      if (stopped) return;
      setState((prev) => ({ ...prev, ...summary }));
      if (isFinal(summary.status)) {
        stop();
        onFinal?.();
      }
    };
    const poll = async () => {
      try {
        apply(await get<BatchSummary>(`/api/v1/batches/${encodeURIComponent(id)}/progress`));
      } catch {
        // The next round tries again; a lost session sends the user to sign in (api/client.ts).
      }
      if (!stopped) timer = window.setTimeout(poll, POLL_MS);
    };
    const closeStream = () => {
      if (!stream) return;
      stream.close();
      stream = undefined;
      openStreams--;
    };
    const stop = () => {
      stopped = true;
      closeStream();
      window.clearTimeout(timer);
    };

    if (typeof EventSource !== 'undefined' && openStreams < MAX_STREAMS) {
      openStreams++;
      stream = new EventSource(`/api/v1/batches/${encodeURIComponent(id)}/events`);
      const onEvent = (e: MessageEvent<string>) => apply(JSON.parse(e.data) as BatchSummary);
      stream.addEventListener('progress', onEvent);
      stream.addEventListener('end', (e) => {
        onEvent(e);
        stop();
      });
      stream.onerror = () => {
        // A stream the server refused or that keeps failing: poll instead.
        if (stream?.readyState === EventSource.CLOSED && !stopped) {
          closeStream();
          void poll();
        }
      };
    } else {
      void poll();
    }
    return stop;
  }, [id, running]);

  return state;
}
