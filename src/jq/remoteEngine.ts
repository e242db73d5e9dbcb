/**
 * jq on its own thread, with a deadline. The listener's main thread keeps receiving and
 * acknowledging while jq works; a program that runs too long (an endless recursion, a huge
 * `range`) is stopped by replacing the thread, and only the record it was stuck on is skipped:
 * the others of its batch are run again one by one.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { JqCompileError, type JqArgs, type JqOutcome } from './engine.js';
import type { JqRequest } from './engineWorker.js';

/** Longest one batch may take before jq is stopped (records/s never get near it). */
export const DEFAULT_JQ_DEADLINE_MS = 10_000;

/** A request without its id (Omit that distributes over the union). */
type Unnumbered<T> = T extends unknown ? Omit<T, 'id'> : never;

type Reply = { id: number; ok: true; outcomes?: JqOutcome[] } | { id: number; ok: false; compile: boolean; message: string };

/** Starts the jq thread: the bundled script in dist/, or the TypeScript source through tsx. */
function startWorker(): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const source = new URL('./engineWorker.ts', here).href;
    return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`, { eval: true });
  }
  for (const candidate of ['./jq-worker.mjs', '../jq-worker.mjs']) {
    const file = fileURLToPath(new URL(candidate, here));
    if (existsSync(file)) return new Worker(file);
  }
  throw new Error('jq worker script not found next to the bundle');
}

class DeadlineExceeded extends Error {}

export class RemoteJqEngine {
  private worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();

  constructor(private readonly deadlineMs = DEFAULT_JQ_DEADLINE_MS) {
    this.worker = this.spawn();
  }

  private spawn(): Worker {
    const worker = startWorker();
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      waiter?.resolve(reply);
    });
    // A replaced (stuck) thread's end concerns nobody: its request was already answered with the deadline error.
    worker.on('error', (error) => {
      if (worker === this.worker) this.failAll(error);
    });
    worker.on('exit', () => {
      if (worker === this.worker) this.failAll(new Error('jq thread exited'));
    });
    return worker;
  }

  private failAll(error: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }

  private request(message: Unnumbered<JqRequest>): Promise<Reply> {
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        // The thread is stuck in jq: replace it.
        const stuck = this.worker;
        this.worker = this.spawn();
        void stuck.terminate();
        reject(new DeadlineExceeded(`jq did not finish within ${this.deadlineMs} ms`));
      }, this.deadlineMs);
      timer.unref();
      this.pending.set(id, {
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.worker.postMessage({ ...message, id });
    });
  }

  /** Throws JqCompileError when the program does not compile. */
  async check(program: string, args?: JqArgs): Promise<void> {
    const reply = await this.request({ op: 'check', program, ...(args ? { args } : {}) });
    if (!reply.ok) throw reply.compile ? new JqCompileError(reply.message) : new Error(reply.message);
  }

  /** As JqEngine.run, on the jq thread; a batch past the deadline is redone record by record. */
  async run(program: string, inputs: readonly string[], args?: JqArgs): Promise<JqOutcome[]> {
    try {
      return await this.runOnce(program, inputs, args);
    } catch (error) {
      if (!(error instanceof DeadlineExceeded) && !(error instanceof Error && /thread exited/.test(error.message))) throw error;
      if (inputs.length === 1) return [{ outputs: [], error: error.message }];
      const outcomes: JqOutcome[] = [];
      for (const input of inputs) {
        try {
          outcomes.push(...(await this.runOnce(program, [input], args)));
        } catch (single) {
          outcomes.push({ outputs: [], error: (single as Error).message });
        }
      }
      return outcomes;
    }
  }

  private async runOnce(program: string, inputs: readonly string[], args?: JqArgs): Promise<JqOutcome[]> {
    const reply = await this.request({ op: 'run', program, inputs, ...(args ? { args } : {}) });
    if (!reply.ok) throw new Error(reply.message);
    return reply.outcomes ?? [];
  }

  /** Stops the jq thread. */
  close(): Promise<number> {
    return this.worker.terminate();
  }
}
