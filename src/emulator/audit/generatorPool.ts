/**
 * Generator threads: slices of a large generation are produced on worker threads, so generating,
 * rendering and signing use every core while the main thread keeps serving the API and delivering.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SliceJob, SliceResult } from './slices.js';

/** Starts one generator thread: the bundled script in dist/, or the TypeScript source through tsx (tests, benchmarks). */
function workerFactory(): (() => Worker) | undefined {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    // Workers do not inherit the tsx loader: register it inside the thread, then load the source.
    const source = new URL('./generatorWorker.ts', here).href;
    const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`;
    return () => new Worker(bootstrap, { eval: true });
  }
  for (const candidate of ['./generator-worker.mjs', '../generator-worker.mjs']) {
    const file = fileURLToPath(new URL(candidate, here));
    if (existsSync(file)) return () => new Worker(file);
  }
  return undefined;
}

interface Task {
  readonly job: SliceJob;
  readonly resolve: (result: SliceResult) => void;
  readonly reject: (error: Error) => void;
}

/** A fixed set of generator threads with a job queue. */
export class GeneratorPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Task>();
  private readonly queue: Task[] = [];
  private closed = false;

  private constructor(private readonly workers: Worker[]) {
    for (const worker of workers) {
      worker.unref();
      worker.on('message', (result: SliceResult) => this.finish(worker, result));
      worker.on('error', (error) => this.fail(worker, error));
      this.idle.push(worker);
    }
  }

  /** Starts `size` threads (default: one per core); undefined when the worker script cannot be found. */
  static start(size = availableParallelism()): GeneratorPool | undefined {
    const start = workerFactory();
    if (!start || size < 1) return undefined;
    return new GeneratorPool(Array.from({ length: size }, start));
  }

  get size(): number {
    return this.workers.length;
  }

  /** Produces a slice on the next free thread. */
  run(job: SliceJob): Promise<SliceResult> {
    if (this.closed) return Promise.reject(new Error('generator pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop()!;
      const task = this.queue.shift()!;
      this.busy.set(worker, task);
      worker.postMessage(task.job);
    }
  }

  private finish(worker: Worker, result: SliceResult): void {
    const task = this.busy.get(worker);
    this.busy.delete(worker);
    this.idle.push(worker);
    task?.resolve(result);
    this.dispatch();
  }

  /** A thread that dies takes the pool with it: every waiting slice fails, and callers fall back to the main thread. */
  private fail(worker: Worker, error: Error): void {
    this.closed = true;
    this.busy.get(worker)?.reject(error);
    this.busy.delete(worker);
    for (const task of this.queue.splice(0)) task.reject(error);
    void this.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.queue.splice(0)) task.reject(new Error('generator pool is closed'));
    for (const task of this.busy.values()) task.reject(new Error('generator pool is closed'));
    this.busy.clear();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
