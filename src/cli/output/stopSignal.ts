/** How a streaming command (`events`, `pull`) writes to stdout and learns to stop quietly. */
import { once } from 'node:events';

/**
 * Aborts on SIGINT/SIGTERM (exit 0, as `tail -f`) and on a closed stdout (`events | head`): no
 * error, no more output. dispose() removes the signal handlers; the stdout one stays on, since a
 * write still queued may yet fail with EPIPE after the command is done.
 * @example const stop = stopSignal(); try { for await (...) if (stop.signal.aborted) break; } finally { stop.dispose(); }
 */
export interface StopSignal {
  readonly signal: AbortSignal;
  readonly stdoutClosed: () => boolean;
  /** Writes to stdout, waiting for it to drain (or the stop); nothing once stdout is closed. */
  readonly write: (chunk: string | Buffer) => Promise<void>;
  readonly dispose: () => void;
}

export function stopSignal(): StopSignal {
  const controller = new AbortController();
  let closed = false;
  const onSignal = () => controller.abort(new Error('signal'));
  const onStdoutError = (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
    closed = true;
    controller.abort(new Error('stdout closed'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.stdout.on('error', onStdoutError);
  return {
    signal: controller.signal,
    stdoutClosed: () => closed,
    write: async (chunk) => {
      if (chunk.length === 0 || closed) return;
      if (!process.stdout.write(chunk)) {
        try {
          await once(process.stdout, 'drain', { signal: controller.signal });
        } catch {
          // Stopped while waiting: the caller sees the signal.
        }
      }
    },
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
