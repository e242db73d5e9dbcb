/**
 * Fault injection for tests of API clients: make a chosen endpoint answer a chosen status the next
 * N times (optionally with `Retry-After`), reset the connection, or delay the real answer.
 */
import type { Region } from '../konnect/regions.js';

/** A fault as requested through `POST /_emulator/faults` or `emulator.faults.add()`. */
export interface FaultSpec {
  /** HTTP method to match; any when omitted. */
  readonly method?: string;
  /** API path below the region prefix, e.g. `/v2/audit-log-webhook`; a trailing `*` matches a prefix. */
  readonly path: string;
  /** Region to match; any when omitted. */
  readonly region?: Region;
  /** Answer this status with a problem+json body instead of the real answer. */
  readonly status?: number;
  /** `Retry-After` header value to send with `status`. */
  readonly retryAfter?: string;
  /** Destroy the connection without answering. */
  readonly reset?: boolean;
  /** Wait this many (real) milliseconds before answering. */
  readonly delayMs?: number;
  /** How many matching requests the fault applies to (default 1). */
  readonly times?: number;
}

/** An armed fault. */
export interface Fault extends FaultSpec {
  readonly id: number;
  remaining: number;
  hits: number;
}

export class Faults {
  private readonly armed: Fault[] = [];
  private nextId = 1;

  /** Arms a fault; returns it (its `hits` counts the requests it answered). */
  add(spec: FaultSpec): Fault {
    if (spec.status === undefined && !spec.reset && spec.delayMs === undefined) {
      throw new Error('a fault needs status, reset or delayMs');
    }
    const fault: Fault = { ...spec, id: this.nextId++, remaining: spec.times ?? 1, hits: 0 };
    this.armed.push(fault);
    return fault;
  }

  clear(): void {
    this.armed.length = 0;
  }

  list(): readonly Fault[] {
    return this.armed;
  }

  /** The first armed fault matching the request; consumes one of its uses. */
  take(method: string, region: Region, path: string): Fault | undefined {
    const index = this.armed.findIndex((f) => matches(f, method, region, path));
    if (index < 0) return undefined;
    const fault = this.armed[index]!;
    fault.hits++;
    if (--fault.remaining <= 0) this.armed.splice(index, 1);
    return fault;
  }
}

function matches(fault: Fault, method: string, region: Region, path: string): boolean {
  if (fault.method && fault.method.toUpperCase() !== method) return false;
  if (fault.region && fault.region !== region) return false;
  return fault.path.endsWith('*') ? path.startsWith(fault.path.slice(0, -1)) : path === fault.path;
}
