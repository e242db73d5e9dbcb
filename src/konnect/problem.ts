/**
 * Konnect's RFC 7807 problem+json errors (reference §1.3), shared by the emulator, which produces
 * them, and the API client, which parses and shows them.
 */

/** One entry of `invalid_parameters` on a 400. */
export interface InvalidParameter {
  readonly field: string;
  readonly reason: string;
  readonly rule?: string | null;
  readonly source?: string;
  readonly choices?: readonly unknown[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly dependents?: readonly unknown[] | null;
}

/** Konnect's error body. */
export interface Problem {
  readonly status: number;
  readonly title: string;
  readonly type?: string;
  readonly instance: string;
  readonly detail: string;
  readonly invalid_parameters?: readonly InvalidParameter[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Standard titles Konnect uses per status. */
export const PROBLEM_TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** True when a parsed body looks like a Konnect problem. */
export function isProblem(value: unknown): value is Problem {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.status === 'number' && typeof v.detail === 'string';
}

/**
 * One line that says what went wrong, with every invalid parameter.
 * @example describeProblem(p) // 'Bad Request: Invalid endpoint (endpoint: must be a valid URL)'
 */
export function describeProblem(problem: Problem): string {
  const params = (problem.invalid_parameters ?? []).map((p) => `${p.field}: ${p.reason}`);
  const base = `${problem.title}: ${problem.detail}`;
  return params.length > 0 ? `${base} (${params.join('; ')})` : base;
}
