/**
 * Showing a replay job's states: on a terminal one spinner line redrawn in place (state and time
 * elapsed), ending in a final line; elsewhere (a pipe, a log file) one plain line per state change,
 * each with its time.
 *
 * @example
 * const progress = replayProgress({ out: process.stderr, tty: process.stderr.isTTY === true, label: rangeLabel(range) });
 * progress.state('accepted'); progress.state('running');
 * progress.done('completed');
 */
import type { TimeRange } from '../konnect/replayJob.js';
import { apiTime } from '../konnect/replayJob.js';

/** Where the lines go. */
export interface ProgressOutput {
  write(chunk: string): unknown;
}

export interface ProgressOptions {
  readonly out: ProgressOutput;
  /** Redraw one line in place (a terminal) instead of writing a line per change. */
  readonly tty: boolean;
  /** What is being replayed, e.g. `replay 2026-11-27T06:00:00Z → 12:00:00Z`. */
  readonly label: string;
  /** Current time (tests fix it). */
  readonly now?: () => number;
  /** Spinner frame interval in ms (default 100). */
  readonly frameMs?: number;
}

export interface ReplayProgress {
  /** A new state of the job (repeats of the current one are ignored). */
  state(status: string): void;
  /** The final state: the spinner line is replaced by a last line ending in a newline. */
  done(status: string, note?: string): void;
  /** Stops drawing without a final state (an error is about to be printed). */
  stop(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const CLEAR_LINE = '\r\x1b[K';

/**
 * `replay <start> → <end>`, the end shortened to its time when both are on the same day.
 * @example rangeLabel({ startMs: Date.parse('2026-11-27T06:00:00Z'), endMs: Date.parse('2026-11-27T12:00:00Z') }) // 'replay 2026-11-27T06:00:00Z → 12:00:00Z'
 */
export function rangeLabel(range: TimeRange): string {
  const start = apiTime(range.startMs);
  const end = apiTime(range.endMs);
  const sameDay = start.slice(0, 10) === end.slice(0, 10);
  return `replay ${start} → ${sameDay ? end.slice(11) : end}`;
}

/** `12 s`, `3 min 05 s`, `1 h 02 min`. */
export function elapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** Creates the printer for the output's kind (spinner or plain lines). */
export function replayProgress(options: ProgressOptions): ReplayProgress {
  return options.tty ? spinner(options) : plainLines(options);
}

function plainLines({ out, label, now = Date.now }: ProgressOptions): ReplayProgress {
  const started = now();
  let current: string | undefined;
  const line = (status: string, note?: string) => out.write(`${new Date(now()).toISOString()} ${label}: ${status} (${elapsed(now() - started)})${note ? `: ${note}` : ''}\n`);
  return {
    state: (status) => {
      if (status === current) return;
      current = status;
      line(status);
    },
    done: (status, note) => {
      if (status !== current || note) line(status, note);
      current = status;
    },
    stop: () => {},
  };
}

function spinner({ out, label, now = Date.now, frameMs = 100 }: ProgressOptions): ReplayProgress {
  const started = now();
  let frame = 0;
  let current = 'requested';
  let timer: NodeJS.Timeout | undefined;
  const draw = () => {
    out.write(`${CLEAR_LINE}${FRAMES[frame++ % FRAMES.length]} ${label}: ${current} (${elapsed(now() - started)})`);
  };
  const halt = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };
  return {
    state: (status) => {
      current = status;
      if (!timer) {
        timer = setInterval(draw, frameMs);
        timer.unref();
      }
      draw();
    },
    done: (status, note) => {
      halt();
      const mark = status === 'completed' ? '✔' : status === 'failed' ? '✖' : '•';
      out.write(`${CLEAR_LINE}${mark} ${label}: ${status} (${elapsed(now() - started)})${note ? `: ${note}` : ''}\n`);
    },
    stop: () => {
      if (!timer) return;
      halt();
      out.write(CLEAR_LINE);
    },
  };
}
