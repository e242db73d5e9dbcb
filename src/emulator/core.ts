/**
 * The emulator's moving parts wired together: org state, ids, signing keys, per-region event
 * stores, delivery, replay jobs and fault injection. The HTTP layer (server.ts) and the
 * in-process API (index.ts) both drive this object.
 */
import { randomBytes } from 'node:crypto';
import type { AuditEvent } from '../records/event.js';
import { eventKind, eventTimeMs } from '../records/event.js';
import type { LogFormat } from '../records/render.js';
import { renderSigned } from '../records/signing.js';
import { REGIONS, isRegion, type Region } from '../konnect/regions.js';
import { EventStore, eventOf, type EventRecipe, type StoredEvent } from './audit/eventStore.js';
import { planGeneration, rebuildEvent, sliceCount, type GenerateRequest, type GeneratorPlan } from './audit/generator.js';
import { GeneratorPool } from './audit/generatorPool.js';
import { KIND_CODES, runSlice, type SliceJob, type SliceResult } from './audit/slices.js';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { Scheduler, systemClock } from './clock.js';
import { DeliveryHub } from './delivery/hub.js';
import { ReplayRunner } from './delivery/replay.js';
import { Sender } from './delivery/sender.js';
import { Faults } from './faults.js';
import { IdSource, nameUuid } from './ids.js';
import { KeyRing } from './keyring.js';
import { DEFAULTS, parseSeed, type EmulatorOptions } from './options.js';
import { OrgState, deliveryTarget, type DeliveryScope } from './state.js';
import { VERSION } from '../version.js';

/** A generated event kept as its recipe: rebuilt on demand for replay and the pull API. */
class GeneratedEvent implements EventRecipe {
  constructor(
    private readonly plan: GeneratorPlan,
    private readonly index: number,
    private readonly state: number,
  ) {}

  rebuild(): AuditEvent {
    return rebuildEvent(this.plan, this.index, this.state);
  }
}

/** Who a bearer token belongs to. */
export interface Principal {
  readonly token: string;
  readonly principalId: string;
  readonly readOnly: boolean;
}

export class EmulatorCore {
  readonly ids: IdSource;
  readonly state: OrgState;
  readonly keys: KeyRing;
  readonly scheduler: Scheduler;
  readonly faults = new Faults();
  readonly hub: DeliveryHub;
  readonly replays: ReplayRunner;
  readonly tokens: readonly string[];
  readonly sign: boolean;
  private readonly principals = new Map<string, Principal>();
  private readonly stores = new Map<Region, EventStore>();
  private readonly sender: Sender;
  private seq = 0;
  /** Generator threads, started on the first generation that needs them (null: unavailable). */
  private pool: GeneratorPool | null | undefined;

  constructor(readonly options: EmulatorOptions) {
    const seed = options.seed !== undefined ? parseSeed(options.seed) : undefined;
    this.ids = new IdSource(seed);
    this.keys = new KeyRing(seed ?? randomBytes(32));
    this.sign = options.sign ?? true;
    this.state = new OrgState(this.ids.uuid());
    this.tokens = options.tokens && options.tokens.length > 0 ? [...options.tokens] : [this.ids.token()];
    for (const token of this.tokens) this.addPrincipal(token, false);
    for (const token of options.readOnlyTokens ?? []) this.addPrincipal(token, true);
    const clock = options.clock ?? systemClock;
    this.scheduler = new Scheduler(clock, options.timeScale ?? DEFAULTS.timeScale);
    for (const region of REGIONS) this.stores.set(region, new EventStore(options.retainMax ?? DEFAULTS.retainMax));
    this.state.addPortal(this.ids.uuid(), 'default', 'us');
    for (const portal of options.portals ?? []) {
      const region = portal.region ?? 'us';
      if (!isRegion(region)) throw new RangeError(`unknown region "${region}" for portal`);
      this.state.addPortal(portal.id ?? this.ids.uuid(), portal.name ?? 'portal', region);
    }
    this.sender = new Sender({
      attemptTimeoutMs: options.attemptTimeoutMs ?? DEFAULTS.attemptTimeoutMs,
      contentEncoding: options.contentEncoding ?? DEFAULTS.contentEncoding,
      userAgent: `konnect-audit-emulator/${VERSION}`,
      now: () => clock.now(),
    });
    this.hub = new DeliveryHub(
      this.state,
      this.scheduler,
      this.sender,
      {
        batchMax: options.batchMax ?? DEFAULTS.batchMax,
        batchMaxBytes: options.batchMaxBytes ?? DEFAULTS.batchMaxBytes,
        flushMs: options.flushMs ?? DEFAULTS.flushMs,
        suspendOnInactive: options.suspendOnInactive ?? false,
        maxQueuedRecords: options.maxQueuedRecords ?? DEFAULTS.maxQueuedRecords,
      },
      options.onAttempt,
    );
    this.replays = new ReplayRunner(this);
  }

  /** Current time (epoch ms) from the configured clock. */
  now(): number {
    return this.scheduler.clock.now();
  }

  private addPrincipal(token: string, readOnly: boolean): void {
    this.principals.set(token, { token, principalId: nameUuid(this.state.orgId, token), readOnly });
  }

  /** The principal a bearer token belongs to, if any. */
  principal(token: string): Principal | undefined {
    return this.principals.get(token);
  }

  /** A region's retained events. */
  store(region: Region): EventStore {
    return this.stores.get(region)!;
  }

  /** Renders (and, unless signing is off, signs) an event in a wire format. */
  render(event: AuditEvent, format: LogFormat): string {
    return renderSigned(event, format, this.sign ? this.keys.active : undefined, { cefVersionAsString: this.options.cefVersionAsString ?? false });
  }

  /**
   * Records events: retains them in the region's store and queues them for the scope's webhook
   * (the region's org webhook, or the portal's webhook for Dev Portal events).
   */
  record(region: Region, events: readonly AuditEvent[], portalId?: string): StoredEvent[] {
    const stored = events.map((event): StoredEvent => ({ seq: ++this.seq, rt: eventTimeMs(event), portalId, kind: eventKind(event.name) ?? 'authorization', event }));
    const store = this.store(region);
    store.add(stored);
    store.prune(this.now());
    const scope = portalId ? this.state.portals.get(portalId)?.scope : this.state.region(region);
    if (scope) this.deliverLive(scope, stored);
    return stored;
  }

  private deliverLive(scope: DeliveryScope, stored: readonly StoredEvent[]): void {
    const target = deliveryTarget(this.state, scope);
    if (!target) {
      this.hub.stats(scope.key).recordsDropped += stored.length;
      return;
    }
    this.hub.enqueue(
      scope,
      stored.map((s) => this.render(eventOf(s), target.logFormat)),
    );
  }

  /** Generates synthetic events (see `GenerateRequest`) and records them; resolves with how many. */
  async generate(request: GenerateRequest): Promise<number> {
    let region = request.region ?? 'us';
    let scope = this.state.region(region);
    if (request.portalId !== undefined) {
      const portal = this.state.portals.get(request.portalId);
      if (!portal) throw new RangeError(`unknown portal "${request.portalId}"`);
      if (portal.region !== region && request.region !== undefined) throw new RangeError(`portal "${request.portalId}" is in region ${portal.region}`);
      region = portal.region;
      scope = portal.scope;
    }
    const plan = planGeneration(request, { ids: this.ids, orgId: this.state.orgId, now: this.now() });
    const target = deliveryTarget(this.state, scope);
    const job = (slice: number): SliceJob => ({
      plan,
      slice,
      format: target?.logFormat,
      signingSeed: this.sign ? this.keys.activeSeed : undefined,
      cefVersionAsString: this.options.cefVersionAsString ?? false,
    });
    const slices = sliceCount(plan);
    let pool = slices > 1 ? this.generatorPool() : undefined;
    // Threads work ahead (bounded); slices are recorded in order, so sequence numbers stay deterministic.
    const pending = new Array<Promise<SliceResult> | undefined>(slices);
    let dispatched = 0;
    for (let slice = 0; slice < slices; slice++) {
      let result: SliceResult | undefined;
      if (pool) {
        for (; dispatched < slices && dispatched <= slice + pool.size * 2; dispatched++) {
          const running = pool.run(job(dispatched));
          running.catch(() => {}); // a failure surfaces when its slice is awaited
          pending[dispatched] = running;
        }
        try {
          result = await pending[slice]!;
        } catch (error) {
          process.stderr.write(`emulator: generator threads failed (${(error as Error).message}); generating on the main thread\n`);
          this.pool = null;
          pool = undefined;
        }
        pending[slice] = undefined;
      }
      if (!result) {
        result = runSlice(job(slice));
        if (slice + 1 < slices) await yieldToLoop();
      }
      this.recordSlice(region, scope, plan, result, target !== undefined);
    }
    return plan.count;
  }

  private generatorPool(): GeneratorPool | undefined {
    if (this.pool === undefined && this.options.generatorThreads !== 0) this.pool = GeneratorPool.start(this.options.generatorThreads) ?? null;
    return this.pool ?? undefined;
  }

  /** Retains a produced slice (as recipes) and queues its rendered records. */
  private recordSlice(region: Region, scope: DeliveryScope, plan: GeneratorPlan, result: SliceResult, deliver: boolean): void {
    const stored = new Array<StoredEvent>(result.rts.length);
    for (let i = 0; i < stored.length; i++) {
      stored[i] = { seq: ++this.seq, rt: result.rts[i]!, portalId: plan.portalId, kind: KIND_CODES[result.kinds[i]!]!, event: new GeneratedEvent(plan, result.first + i, result.states[i]!) };
    }
    const store = this.store(region);
    store.add(stored);
    store.prune(this.now());
    if (deliver && result.bytes && result.ends) {
      this.hub.enqueueEncoded(scope, Buffer.from(result.bytes.buffer, result.bytes.byteOffset, result.bytes.length), result.ends);
    } else {
      this.hub.stats(scope.key).recordsDropped += stored.length;
    }
  }

  /** Stops timers, sockets, generator threads and pending work. */
  close(): void {
    void this.pool?.close();
    this.replays.close();
    this.hub.close();
    this.scheduler.close();
    this.sender.close();
  }
}
