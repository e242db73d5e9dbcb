/**
 * Producing one slice of a generation: the events' times, kinds and recipes, and (when a webhook
 * will receive them) the records rendered and signed, back to back as UTF-8. The same function
 * runs inline and on generator threads, so both give identical bytes.
 */
import { eventKind, type EventKind } from '../../records/event.js';
import type { LogFormat } from '../../records/render.js';
import { renderSigned, signingKeyFromSeed, type SigningKey } from '../../records/signing.js';
import { encodeLines } from '../delivery/batch.js';
import { SLICE_SIZE, eventTime, generateSlice, type GeneratorPlan } from './generator.js';

/** Event kinds by code, as slices carry them in a byte array. */
export const KIND_CODES: readonly EventKind[] = ['authentication', 'authorization', 'access'];

/** One slice to produce. */
export interface SliceJob {
  readonly plan: GeneratorPlan;
  readonly slice: number;
  /** Render the records in this format; undefined when no webhook will receive them. */
  readonly format: LogFormat | undefined;
  /** Seed of the active signing key; undefined to leave records unsigned. */
  readonly signingSeed: Uint8Array | undefined;
  readonly cefVersionAsString: boolean;
}

/** A produced slice. Typed arrays keep it cheap to pass between threads. */
export interface SliceResult {
  readonly slice: number;
  /** Index of the slice's first event in the generation. */
  readonly first: number;
  readonly rts: Float64Array;
  /** Random-stream state before each event: its recipe. */
  readonly states: Uint32Array;
  /** Index into KIND_CODES. */
  readonly kinds: Uint8Array;
  /** Rendered records joined by `\n`, when a format was asked for. */
  readonly bytes: Uint8Array | undefined;
  /** Offset just past each record in `bytes`. */
  readonly ends: Uint32Array | undefined;
}

const keys = new Map<string, SigningKey>();

function keyFor(seed: Uint8Array): SigningKey {
  const hex = Buffer.from(seed).toString('hex');
  let key = keys.get(hex);
  if (!key) {
    key = signingKeyFromSeed(Buffer.from(seed));
    keys.set(hex, key);
  }
  return key;
}

/** Produces a slice. */
export function runSlice(job: SliceJob): SliceResult {
  const { plan, slice } = job;
  const first = slice * SLICE_SIZE;
  const size = Math.max(0, Math.min(plan.count, first + SLICE_SIZE) - first);
  const rts = new Float64Array(size);
  const states = new Uint32Array(size);
  const kinds = new Uint8Array(size);
  const lines: string[] = [];
  const key = job.signingSeed ? keyFor(job.signingSeed) : undefined;
  const options = { cefVersionAsString: job.cefVersionAsString };
  generateSlice(plan, slice, (index, state, event) => {
    const i = index - first;
    rts[i] = eventTime(plan, index);
    states[i] = state;
    kinds[i] = KIND_CODES.indexOf(eventKind(event.name)!);
    if (job.format) lines.push(renderSigned(event, job.format, key, options));
  });
  const encoded = job.format ? encodeLines(lines) : undefined;
  return { slice, first, rts, states, kinds, bytes: encoded?.bytes, ends: encoded?.ends };
}
