/**
 * Webhook delivery for every scope (region org webhook, Dev Portal webhook): records are batched
 * (by count, by decoded size and by a flush interval), joined with `\n`, gzip-compressed and
 * POSTed with Konnect's retry rules; each attempt updates the scope's `/status`.
 */
import type { Scheduler } from '../clock.js';
import { deliveryTarget, type DeliveryScope, type DeliveryTarget, type OrgState } from '../state.js';
import { RETRY_MAX, retryWaitMs, type AttemptResult } from './retry.js';
import type { Sender } from './sender.js';
import { BatchBuilder, batchesOf, compress, encodeLines, type Batch } from './batch.js';

/** Batching knobs. */
export interface BatchOptions {
  /** Most records in one POST. */
  readonly batchMax: number;
  /** Most decoded bytes in one POST (records plus newlines); kongctl's listener refuses more than 1 MiB. */
  readonly batchMaxBytes: number;
  /** Nominal wait before a partial batch is sent (scaled by the time scale). */
  readonly flushMs: number;
  /** When true, a scope whose status is `inactive` sends nothing until its webhook is patched again. */
  readonly suspendOnInactive: boolean;
  /** Most records waiting per scope; beyond it the oldest waiting batches are dropped. */
  readonly maxQueuedRecords: number;
}

/** Delivery counters of one scope. */
export interface DeliveryStats {
  attempts: number;
  batchesDelivered: number;
  recordsDelivered: number;
  batchesFailed: number;
  recordsFailed: number;
  /** Records never sent: no enabled webhook when the batch was due, suspended, or queue overflow. */
  recordsDropped: number;
}

/** One attempt, as reported to observers (tests, logs). */
export interface AttemptEvent {
  readonly scope: string;
  readonly endpoint: string;
  readonly records: number;
  readonly attempt: number;
  readonly result: AttemptResult;
  readonly replay: boolean;
}

/** A cut batch; compression starts when it is cut, so it overlaps the sending of earlier batches. */
interface QueuedBatch {
  readonly batch: Batch;
  readonly body: Promise<Buffer>;
}

interface ScopeQueue {
  readonly builder: BatchBuilder;
  timer: NodeJS.Timeout | undefined;
  batches: QueuedBatch[];
  queuedRecords: number;
  sending: boolean;
}

/** Delivers batches for all scopes and tracks when everything has been sent. */
export class DeliveryHub {
  private readonly queues = new Map<string, ScopeQueue>();
  private readonly statsByScope = new Map<string, DeliveryStats>();
  private busy = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly state: OrgState,
    private readonly scheduler: Scheduler,
    private readonly sender: Sender,
    private readonly options: BatchOptions,
    private readonly onAttempt: (event: AttemptEvent) => void = () => {},
  ) {}

  /** Counters for a scope key (`org:us`, `portal:<id>`). */
  stats(scopeKey: string): DeliveryStats {
    let stats = this.statsByScope.get(scopeKey);
    if (!stats) {
      stats = { attempts: 0, batchesDelivered: 0, recordsDelivered: 0, batchesFailed: 0, recordsFailed: 0, recordsDropped: 0 };
      this.statsByScope.set(scopeKey, stats);
    }
    return stats;
  }

  /** Queues rendered records for a scope's webhook. */
  enqueue(scope: DeliveryScope, lines: readonly string[]): void {
    const { bytes, ends } = encodeLines(lines);
    this.enqueueEncoded(scope, bytes, ends);
  }

  /** Queues records already encoded back to back, joined by `\n` (`ends[i]` is the offset past record i). */
  enqueueEncoded(scope: DeliveryScope, bytes: Buffer, ends: ArrayLike<number>): void {
    const queue = this.queue(scope);
    queue.builder.addRecords(bytes, ends);
    if (queue.builder.pending > 0 && queue.timer === undefined) {
      this.markBusy();
      queue.timer = this.scheduler.after(this.options.flushMs, () => {
        queue.timer = undefined;
        queue.builder.cut();
        this.markDone();
      });
    }
  }

  /** Sends whatever is waiting now, without waiting for the flush interval. */
  flushAll(): void {
    for (const queue of this.queues.values()) {
      if (queue.timer !== undefined) {
        this.scheduler.cancel(queue.timer);
        queue.timer = undefined;
        this.markDone();
      }
      queue.builder.cut();
    }
  }

  /**
   * Sends one batch with Konnect's retry rules and records each attempt in the scope's status.
   * Resolves true when a 2xx arrived. Also used by replay jobs.
   */
  async deliver(scope: DeliveryScope, target: DeliveryTarget, batch: Batch, replay = false, compressed?: Promise<Buffer>): Promise<boolean> {
    this.markBusy();
    try {
      const stats = this.stats(scope.key);
      const body = await (compressed ?? compress(batch));
      for (let attempt = 0; ; attempt++) {
        if (this.scheduler.isClosed) return false;
        const result = await this.sender.send(target, body);
        stats.attempts++;
        scope.status.lastAttemptAt = this.scheduler.clock.now();
        scope.status.lastResponseCode = result.statusCode;
        scope.status.lastResponseMessage = result.message;
        this.onAttempt({ scope: scope.key, endpoint: target.endpoint, records: batch.count, attempt, result, replay });
        if (result.ok) {
          scope.status.inactive = false;
          stats.batchesDelivered++;
          stats.recordsDelivered += batch.count;
          return true;
        }
        if (!result.retryable || attempt >= RETRY_MAX) {
          scope.status.inactive = true;
          stats.batchesFailed++;
          stats.recordsFailed += batch.count;
          return false;
        }
        if (!(await this.scheduler.sleep(retryWaitMs(attempt, result)))) return false;
      }
    } finally {
      this.markDone();
    }
  }

  /** Splits records into batches by the count and size limits (used by replay jobs). */
  batches(lines: readonly string[]): Batch[] {
    return batchesOf(lines, this.options.batchMax, this.options.batchMaxBytes);
  }

  /** Resolves when no batch is waiting, being sent or being retried. */
  idle(): Promise<void> {
    if (this.busy === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Counts outside work (replay jobs) towards `idle()`. */
  markBusy(): void {
    this.busy++;
  }

  markDone(): void {
    // Work finishing after close() (which zeroes the count) must not drive it negative.
    this.busy = Math.max(0, this.busy - 1);
    if (this.busy === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private queue(scope: DeliveryScope): ScopeQueue {
    let queue = this.queues.get(scope.key);
    if (!queue) {
      const created: ScopeQueue = {
        builder: new BatchBuilder(this.options.batchMax, this.options.batchMaxBytes, (batch) => this.queueBatch(scope, created, batch)),
        timer: undefined,
        batches: [],
        queuedRecords: 0,
        sending: false,
      };
      this.queues.set(scope.key, created);
      queue = created;
    }
    return queue;
  }

  /** Takes a cut batch: starts compressing it, bounds the queue, and makes sure a sender runs. */
  private queueBatch(scope: DeliveryScope, queue: ScopeQueue, batch: Batch): void {
    queue.batches.push({ batch, body: compress(batch) });
    queue.queuedRecords += batch.count;
    while (queue.queuedRecords > this.options.maxQueuedRecords && queue.batches.length > 1) {
      const dropped = queue.batches.shift()!;
      queue.queuedRecords -= dropped.batch.count;
      this.stats(scope.key).recordsDropped += dropped.batch.count;
    }
    if (!queue.sending) void this.drain(scope, queue);
  }

  private async drain(scope: DeliveryScope, queue: ScopeQueue): Promise<void> {
    queue.sending = true;
    this.markBusy();
    try {
      while (queue.batches.length > 0 && !this.scheduler.isClosed) {
        const { batch, body } = queue.batches.shift()!;
        queue.queuedRecords -= batch.count;
        // The target is resolved when the batch is due: a webhook disabled meanwhile receives nothing.
        const target = deliveryTarget(this.state, scope);
        if (!target || (this.options.suspendOnInactive && scope.status.inactive)) {
          this.stats(scope.key).recordsDropped += batch.count;
          continue;
        }
        await this.deliver(scope, target, batch, false, body);
      }
    } finally {
      queue.sending = false;
      this.markDone();
    }
  }

  /** Cancels pending flush timers (the scheduler's close stops sleeps). */
  close(): void {
    for (const queue of this.queues.values()) {
      if (queue.timer !== undefined) this.scheduler.cancel(queue.timer);
      queue.timer = undefined;
      queue.batches = [];
    }
    this.queues.clear();
    this.busy = 0;
    for (const resolve of this.idleWaiters) resolve();
    this.idleWaiters = [];
  }
}
