/** Generator thread: produces slices on request (see slices.ts), sending typed arrays back without copies. */
import { parentPort } from 'node:worker_threads';
import { runSlice, type SliceJob } from './slices.js';

parentPort?.on('message', (job: SliceJob) => {
  // The records' buffer owns its memory (see encodeLines), so it moves to the main thread without a copy.
  const result = runSlice(job);
  const transfer = [result.rts.buffer, result.states.buffer, result.kinds.buffer] as ArrayBuffer[];
  if (result.bytes && result.ends) transfer.push(result.bytes.buffer as ArrayBuffer, result.ends.buffer as ArrayBuffer);
  parentPort!.postMessage(result, transfer);
});
