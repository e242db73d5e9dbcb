/** How a streaming command (`events`, `pull`) learns to stop quietly. */

/**
 * Aborts on SIGINT/SIGTERM (exit 0, as `tail -f`) and on a closed stdout (`events | head`): no
 * error, no more output. dispose() removes the signal handlers; the stdout one stays on, since a
 * write still queued may yet fail with EPIPE after the command is done.
 * @example const stop = stopSignal(); try { for await (...) if (stop.signal.aborted) break; } finally { stop.dispose(); }
 */
export function stopSignal(): { signal: AbortSignal; stdoutClosed: () => boolean; dispose(): void } {
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
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
