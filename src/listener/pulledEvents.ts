/**
 * Events the store holds as pull API records (`konnect-audit pull --store`): a webhook record of
 * the same event (a replay or back-fill re-sending a range that was pulled) has another signature,
 * so the sig-based de-duplication lets it through. The event keys of the pulled records (from
 * store/sameEvent.ts) catch it. Costs nothing while the store holds no pulled record.
 */
import { recordToJson } from '../records/parse.js';
import { isPullLine, pulledEventKey, webhookEventKey } from '../store/sameEvent.js';

export class PulledEvents {
  readonly #keys = new Set<string>();

  /** Notes a stored line if it is a pull record. */
  consider(line: string): void {
    if (!isPullLine(line)) return;
    try {
      const key = pulledEventKey(JSON.parse(line) as Record<string, unknown>);
      if (key !== undefined) this.#keys.add(key);
    } catch {
      // not JSON: not a pulled record
    }
  }

  get size(): number {
    return this.#keys.size;
  }

  /** True when `record`, a webhook record, is an event already stored as a pulled record. */
  holds(record: Buffer): boolean {
    if (this.#keys.size === 0) return false;
    try {
      const key = webhookEventKey(recordToJson(record.toString('utf8')));
      return key !== undefined && this.#keys.has(key);
    } catch {
      return false; // not a record we can read: nothing it could be the same event as
    }
  }
}
