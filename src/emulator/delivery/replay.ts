/**
 * Replay jobs (reference §9): `accepted` on PUT, `pending` when scheduled, `running` while the
 * retained records whose time falls in [start_at, end_at] are re-sent to the webhook configured
 * *now* (in its current format, with the delivery retry rules), then `completed`, or `failed`
 * when no webhook is enabled or a batch is given up.
 */
import type { EmulatorCore } from '../core.js';
import { deliveryTarget, type DeliveryScope } from '../state.js';
import { eventOf } from '../audit/eventStore.js';

/** Nominal time from `accepted` to `pending`, and from `pending` to `running` (scaled). */
export const REPLAY_STEP_MS = 1000;

/** The states during which a new replay PUT is refused with 409. */
export const ACTIVE_REPLAY_STATES = new Set(['accepted', 'pending', 'running']);

export class ReplayRunner {
  private closed = false;

  constructor(private readonly core: EmulatorCore) {}

  /** True while the scope's job is accepted, pending or running. */
  isActive(scope: DeliveryScope): boolean {
    return ACTIVE_REPLAY_STATES.has(scope.replay.status);
  }

  /** Starts a job for the range (validated by the caller). */
  start(scope: DeliveryScope, startAt: number, endAt: number): void {
    const replay = scope.replay;
    replay.startAt = startAt;
    replay.endAt = endAt;
    replay.recordsSent = 0;
    this.setStatus(scope, 'accepted');
    this.core.hub.markBusy();
    void this.run(scope).finally(() => this.core.hub.markDone());
  }

  private async run(scope: DeliveryScope): Promise<void> {
    const scheduler = this.core.scheduler;
    if (!(await scheduler.sleep(REPLAY_STEP_MS)) || this.closed) return;
    this.setStatus(scope, 'pending');
    if (!(await scheduler.sleep(REPLAY_STEP_MS)) || this.closed) return;
    this.setStatus(scope, 'running');
    const target = deliveryTarget(this.core.state, scope);
    if (!target) {
      this.setStatus(scope, 'failed');
      return;
    }
    const { startAt, endAt } = scope.replay;
    const events = this.core
      .store(scope.region)
      .range(startAt!, endAt!, (e) => (scope.portalId ? e.portalId === scope.portalId : e.portalId === undefined));
    const lines = events.map((e) => this.core.render(eventOf(e), target.logFormat));
    for (const batch of this.core.hub.batches(lines)) {
      if (this.closed) return;
      const ok = await this.core.hub.deliver(scope, target, batch, true);
      if (!ok) {
        this.setStatus(scope, 'failed');
        return;
      }
      scope.replay.recordsSent += batch.count;
    }
    this.setStatus(scope, 'completed');
  }

  private setStatus(scope: DeliveryScope, status: DeliveryScope['replay']['status']): void {
    scope.replay.status = status;
    scope.replay.updatedAt = this.core.now();
  }

  close(): void {
    this.closed = true;
  }
}
