/** Building emulator responses: JSON bodies and Konnect problem+json errors. */
import { PROBLEM_CONTENT_TYPE, PROBLEM_TITLES, type InvalidParameter, type Problem } from '../../konnect/problem.js';

/** A response before it is written; handlers return these so the audit recorder can see the status. */
export interface ApiResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A JSON response. */
export function json(status: number, body: unknown): ApiResponse {
  return { status, body, contentType: 'application/json' };
}

/** An empty response (204). */
export function noContent(): ApiResponse {
  return { status: 204 };
}

/** Thrown by handlers to answer with a problem+json error. */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly invalidParameters?: readonly InvalidParameter[],
    readonly title: string = PROBLEM_TITLES[status] ?? 'Error',
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(detail);
  }
}

/** Renders a ProblemError with a trace instance as Konnect does (`konnect:trace:` on 400/409, `kong:trace:` otherwise). */
export function problemResponse(error: ProblemError, traceId: bigint): ApiResponse {
  const instance = `${error.status === 400 || error.status === 409 ? 'konnect' : 'kong'}:trace:${traceId}`;
  const body: Problem = {
    status: error.status,
    title: error.title,
    instance,
    detail: error.detail,
    ...(error.invalidParameters ? { invalid_parameters: error.invalidParameters } : {}),
  };
  return { status: error.status, body, contentType: PROBLEM_CONTENT_TYPE, ...(error.headers ? { headers: error.headers } : {}) };
}

/** 400 "Could not parse request body". */
export function unparsableBody(): ProblemError {
  return new ProblemError(400, 'Could not parse request body', [{ field: 'body', reason: 'request format is invalid' }]);
}

/** 400 for one or more invalid fields. */
export function invalid(detail: string, ...params: InvalidParameter[]): ProblemError {
  return new ProblemError(400, detail, params);
}

/** 404 "Not Found". */
export function notFound(detail = 'Not Found'): ProblemError {
  return new ProblemError(404, detail);
}
