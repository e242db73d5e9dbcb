/**
 * The Konnect state a listener creates and removes (kongctl reference §2): the start-up guard, the
 * destination, the regional webhook binding, and the clean-up, without kongctl's leaks: a retried
 * create adopts what a lost answer created, and clean-up never touches a webhook that is not ours.
 *
 * @example
 * await assertRegionUnconfigured(client);
 * await assertNameFree(client, plan.name);
 * const destination = await createDestination(client, plan);
 * await bindWebhook(client, destination.id);
 * // ... on stop:
 * const report = await releaseListener(client, { destinationId: destination.id, configureWebhook: true });
 */
import { setTimeout as delay } from 'node:timers/promises';
import { KonnectApiError, isTransientError, type KonnectClient } from './client.js';
import type { AuditLogDestination, AuditLogWebhookV2, AuditLogWebhookV3 } from './types.js';

/** What to create: the `POST /v3/audit-log-destinations` body. */
export interface DestinationPlan {
  readonly name: string;
  readonly endpoint: string;
  readonly logFormat: 'cef' | 'json' | 'cps';
  readonly skipSslVerification: boolean;
  readonly authorization: string;
}

/** The start-up guard failed: the region's webhook is in use (by another listener, a SIEM, a person). */
export class WebhookAlreadyConfiguredError extends Error {
  override readonly name = 'WebhookAlreadyConfiguredError';
  constructor(
    readonly enabled: boolean,
    readonly endpoint: string,
    /** The bound destination, when Konnect names one. */
    readonly destinationId: string | undefined,
  ) {
    super(`regional audit-log webhook is already configured (enabled=${enabled} endpoint=${JSON.stringify(endpoint)}); expected enabled=false and endpoint="unconfigured"`);
  }
}

/** Another destination already has the listener's name. */
export class DestinationNameTakenError extends Error {
  override readonly name = 'DestinationNameTakenError';
  constructor(readonly destinationName: string) {
    super(`destination name ${JSON.stringify(destinationName)} already exists`);
  }
}

/** What `releaseListener` managed to remove, and what went wrong. */
export interface ReleaseReport {
  /** True when the region's webhook no longer points at the destination (also when there was nothing to release). */
  readonly webhookReleased: boolean;
  /** True when the destination is gone (deleted now or already absent). */
  readonly destinationDeleted: boolean;
  /** One human-readable line per failure, with Konnect's detail. */
  readonly problems: readonly string[];
  /** Duplicates of the destination (see `duplicatesOf`) that could not be deleted; absent when none. */
  readonly duplicatesLeft?: readonly string[];
  /** Duplicates of the destination that were deleted; absent when none. */
  readonly duplicatesDeleted?: readonly string[];
}

const DEFAULT_BUDGET_MS = 60_000;
const IN_USE_FIRST_WAIT_MS = 250;
const IN_USE_MAX_WAIT_MS = 5000;
const UNCONFIGURED = 'unconfigured';

/**
 * Start-up guard: GET /v2/audit-log-webhook must be enabled=false and endpoint "unconfigured" (case-insensitive).
 * @example await assertRegionUnconfigured(client) // throws WebhookAlreadyConfiguredError
 */
export async function assertRegionUnconfigured(client: KonnectClient): Promise<void> {
  const webhook = await client.request<Partial<AuditLogWebhookV2>>('GET', '/v2/audit-log-webhook');
  // Read absent fields as Go's zero values, as kongctl does.
  const enabled = webhook.enabled === true;
  const endpoint = typeof webhook.endpoint === 'string' ? webhook.endpoint : '';
  if (!enabled && endpoint.toLowerCase() === UNCONFIGURED) return;
  throw new WebhookAlreadyConfiguredError(enabled, endpoint, webhook.audit_log_destination_id || undefined);
}

/**
 * Lists destinations (filter by exact name, all pages) and throws DestinationNameTakenError if the name is used.
 * @example await assertNameFree(client, 'konnect-audit-host-4242')
 */
export async function assertNameFree(client: KonnectClient, name: string): Promise<void> {
  const found = await client.listDestinations({ name });
  // Check the name ourselves too: the filter is the server's, the promise is ours.
  if (found.some((d) => d.name === name)) throw new DestinationNameTakenError(name);
}

/** A destination with the plan's exact name and endpoint, e.g. one a POST created before its answer was lost. */
async function findCreated(client: KonnectClient, plan: DestinationPlan): Promise<AuditLogDestination | undefined> {
  const found = await client.listDestinations({ name: plan.name });
  return found.find((d) => d.name === plan.name && d.endpoint === plan.endpoint);
}

/**
 * POST /v3/audit-log-destinations on the global host. Idempotent against retries: if the POST fails
 * with a connection error, 429 or 5xx, it lists by name and adopts a destination with this exact name
 * and endpoint created meanwhile, else retries the POST (bounded by the client's retry count).
 * @example const destination = await createDestination(client, { name, endpoint, logFormat: 'json', skipSslVerification: false, authorization: 'Bearer s3cret' });
 */
export async function createDestination(client: KonnectClient, plan: DestinationPlan): Promise<AuditLogDestination> {
  const body = {
    name: plan.name,
    endpoint: plan.endpoint,
    log_format: plan.logFormat,
    skip_ssl_verification: plan.skipSslVerification,
    authorization: plan.authorization,
  };
  for (let attempt = 0; ; attempt++) {
    try {
      // Never let the client repeat a POST blindly: each repeat is decided here, after a look.
      return await client.request<AuditLogDestination>('POST', '/v3/audit-log-destinations', { body, global: true, retry: false });
    } catch (error) {
      if (!isTransientError(error)) throw error;
      // The POST may have created the destination before its answer was lost; give it a moment, then look.
      await client.backoff(attempt, error instanceof KonnectApiError ? error.retryAfter : undefined);
      let adopted: AuditLogDestination | undefined;
      try {
        adopted = await findCreated(client, plan);
      } catch (listError) {
        throw new Error(
          `creating destination ${JSON.stringify(plan.name)} failed (${(error as Error).message}) and listing destinations to see whether it was created anyway failed too (${(listError as Error).message}); check for a destination with that name before trying again`,
          { cause: error },
        );
      }
      if (adopted) return adopted;
      if (attempt >= client.retryPolicy.retries) throw error;
    }
  }
}

/**
 * PATCH /v3/audit-log-webhook {audit_log_destination_id, enabled:true}.
 * @example await bindWebhook(client, destination.id)
 */
export function bindWebhook(client: KonnectClient, destinationId: string): Promise<AuditLogWebhookV3> {
  return client.request<AuditLogWebhookV3>('PATCH', '/v3/audit-log-webhook', { body: { audit_log_destination_id: destinationId, enabled: true } });
}

/** The clean-up's time budget: wall time, or the sum of waits when an injected sleep does not advance the clock. */
class Budget {
  private readonly started = Date.now();
  private waited = 0;
  /** Aborts requests (and the client's own retry waits) when the budget ends. */
  readonly signal: AbortSignal;

  constructor(
    readonly ms: number,
    private readonly sleep: ((ms: number) => Promise<void>) | undefined,
  ) {
    this.signal = AbortSignal.timeout(ms);
  }

  /** Waits `ms` if that still fits in the budget; false when it does not. */
  async wait(ms: number): Promise<boolean> {
    if (Math.max(Date.now() - this.started, this.waited) + ms > this.ms) return false;
    this.waited += ms;
    if (this.sleep) await this.sleep(ms);
    else await delay(ms, undefined, { signal: this.signal }).catch(() => undefined);
    return !this.signal.aborted;
  }

  /** A failure's message, saying so when it is the budget that ran out. */
  explain(error: unknown): string {
    const message = error instanceof Error ? error.message : String(error);
    return this.signal.aborted ? `${message} (the ${this.ms / 1000} s clean-up budget ran out)` : message;
  }
}

function isStatus(error: unknown, status: number): boolean {
  return error instanceof KonnectApiError && error.status === status;
}

/** kongctl retries a 409 whose body says, in any case, "destination is in use" (the webhook unbinding may not have landed yet). */
function isInUse(error: unknown): boolean {
  return isStatus(error, 409) && (error as KonnectApiError).bodyText.toLowerCase().includes('destination is in use');
}

/** Disables and unbinds the region's webhook if, and only if, it is bound to this destination. */
async function releaseWebhook(client: KonnectClient, destinationId: string, budget: Budget, problems: string[]): Promise<boolean> {
  let current: AuditLogWebhookV3;
  try {
    current = await client.request<AuditLogWebhookV3>('GET', '/v3/audit-log-webhook', { signal: budget.signal });
  } catch (error) {
    if (isStatus(error, 404)) return true;
    problems.push(`could not read the regional audit-log webhook to release it: ${budget.explain(error)}`);
    return false;
  }
  // Someone else configured it (or nobody did): not ours to touch.
  if (current.audit_log_destination_id !== destinationId) return true;
  let disableFailure: string | undefined;
  try {
    await client.request('PATCH', '/v2/audit-log-webhook', { body: { enabled: false }, signal: budget.signal });
  } catch (error) {
    if (!isStatus(error, 404)) disableFailure = budget.explain(error);
  }
  for (let attempt = 0; ; attempt++) {
    try {
      await client.request('DELETE', '/v3/audit-log-webhook', { signal: budget.signal });
      return true; // the DELETE also disables, so a failed PATCH no longer matters
    } catch (error) {
      if (isStatus(error, 404)) return true;
      // Konnect refuses to remove a webhook while its replay job runs (409): wait for the job to end.
      const wait = Math.min(IN_USE_FIRST_WAIT_MS * 2 ** attempt, IN_USE_MAX_WAIT_MS);
      if (isStatus(error, 409) && (await budget.wait(wait))) continue;
      if (disableFailure !== undefined) problems.push(`could not disable the regional audit-log webhook: ${disableFailure}`);
      const tries = attempt > 0 ? ` (${attempt + 1} attempts within the ${budget.ms / 1000} s clean-up budget)` : '';
      problems.push(`could not unbind the regional audit-log webhook from destination ${destinationId}${tries}: ${budget.explain(error)}`);
      return false;
    }
  }
}

/** DELETE {regional}/v2/audit-log-destinations/{id} as kongctl does, retrying "in use" while the budget lasts. */
async function deleteDestination(client: KonnectClient, destinationId: string, retryInUse: boolean, budget: Budget, problems: string[]): Promise<boolean> {
  const path = `/v2/audit-log-destinations/${encodeURIComponent(destinationId)}`;
  for (let attempt = 0; ; attempt++) {
    try {
      await client.request('DELETE', path, { signal: budget.signal });
      return true;
    } catch (error) {
      if (isStatus(error, 404)) return true;
      const wait = Math.min(IN_USE_FIRST_WAIT_MS * 2 ** attempt, IN_USE_MAX_WAIT_MS);
      if (isInUse(error) && retryInUse && (await budget.wait(wait))) continue;
      const tries = attempt > 0 ? ` (${attempt + 1} attempts within the ${budget.ms / 1000} s clean-up budget)` : '';
      problems.push(`could not delete audit-log destination ${destinationId}${tries}: ${budget.explain(error)}`);
      return false;
    }
  }
}

/**
 * Deletes destinations with the listener's exact name and endpoint other than its own: a create
 * whose POST timed out may land on Konnect after the retried POST made the destination in use, and
 * nothing else would ever delete it (the name was checked free at start-up, so they are ours).
 * Best effort: if the list fails there is nothing to report, since usually there is no duplicate.
 * Returns the ids deleted and the ids that are still there.
 */
async function deleteDuplicates(
  client: KonnectClient,
  destinationId: string,
  of: { readonly name: string; readonly endpoint: string },
  budget: Budget,
  problems: string[],
): Promise<{ deleted: string[]; left: string[] }> {
  const deleted: string[] = [];
  const left: string[] = [];
  let found: AuditLogDestination[];
  try {
    found = await client.listDestinations({ name: of.name }, { signal: budget.signal });
  } catch {
    return { deleted, left };
  }
  for (const d of found) {
    if (d.id === destinationId || d.name !== of.name || d.endpoint !== of.endpoint) continue;
    if (await deleteDestination(client, d.id, true, budget, problems)) deleted.push(d.id);
    else left.push(d.id);
  }
  return { deleted, left };
}

/**
 * Clean-up in kongctl's order with a time budget (default 60 s): if configureWebhook, and only if the
 * region's webhook is bound to this destination, PATCH /v2/audit-log-webhook {"enabled":false} then
 * DELETE /v3/audit-log-webhook (404s ok); then DELETE the destination (404 ok; "destination is in use"
 * retried with back-off 250 ms doubling to 5 s); with `duplicatesOf`, then also deletes destinations
 * with that exact name and endpoint (late-landing creates). Never throws: every failure lands in `problems`.
 * @example const { problems } = await releaseListener(client, { destinationId, configureWebhook: true });
 */
export async function releaseListener(
  client: KonnectClient,
  target: {
    readonly destinationId: string;
    readonly configureWebhook: boolean;
    readonly budgetMs?: number;
    readonly sleep?: (ms: number) => Promise<void>;
    /** The listener's destination name and endpoint, to also delete duplicates a retried create left. */
    readonly duplicatesOf?: { readonly name: string; readonly endpoint: string };
  },
): Promise<ReleaseReport> {
  const budget = new Budget(target.budgetMs ?? DEFAULT_BUDGET_MS, target.sleep);
  const problems: string[] = [];
  let webhookReleased = !target.configureWebhook;
  let destinationDeleted = false;
  let duplicates: { deleted: string[]; left: string[] } = { deleted: [], left: [] };
  try {
    if (target.configureWebhook) webhookReleased = await releaseWebhook(client, target.destinationId, budget, problems);
    // While our webhook still holds the destination, "in use" will not pass: one try, no waiting out the budget.
    destinationDeleted = await deleteDestination(client, target.destinationId, webhookReleased, budget, problems);
    if (target.duplicatesOf) duplicates = await deleteDuplicates(client, target.destinationId, target.duplicatesOf, budget, problems);
  } catch (error) {
    problems.push(`clean-up failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`);
  }
  return {
    webhookReleased,
    destinationDeleted,
    problems,
    ...(duplicates.left.length > 0 ? { duplicatesLeft: duplicates.left } : {}),
    ...(duplicates.deleted.length > 0 ? { duplicatesDeleted: duplicates.deleted } : {}),
  };
}

/** Quotes a value for use inside double quotes in a POSIX shell. */
function dq(value: string): string {
  return `"${value.replace(/["\\$`]/g, '\\$&')}"`;
}

/**
 * The shell commands that remove what a failed release left (curl against the base URLs; the token
 * stays in "$KONNECT_TOKEN"), for messages. Destinations are deleted on the regional host as kongctl
 * does; `globalBaseUrl` is accepted for callers that hold a whole connection.
 * @example leftoverCommands(connection, report, { destinationId, configureWebhook: true })
 */
export function leftoverCommands(
  connection: { readonly baseUrl: string; readonly globalBaseUrl: string },
  report: ReleaseReport,
  target: { readonly destinationId: string; readonly configureWebhook: boolean },
): string[] {
  const base = connection.baseUrl.replace(/\/+$/, '');
  const auth = '-H "Authorization: Bearer $KONNECT_TOKEN"';
  const commands: string[] = [];
  if (target.configureWebhook && !report.webhookReleased) {
    commands.push(
      `curl -sS ${auth} ${dq(`${base}/v3/audit-log-webhook`)}   # go on only if it still shows "audit_log_destination_id":${dq(target.destinationId)}`,
      `curl -sS -X PATCH ${auth} -H "Content-Type: application/json" -d '{"enabled":false}' ${dq(`${base}/v2/audit-log-webhook`)}`,
      `curl -sS -X DELETE ${auth} ${dq(`${base}/v3/audit-log-webhook`)}`,
    );
  }
  const destinations = [...(report.destinationDeleted ? [] : [target.destinationId]), ...(report.duplicatesLeft ?? [])];
  for (const id of destinations) commands.push(`curl -sS -X DELETE ${auth} ${dq(`${base}/v2/audit-log-destinations/${encodeURIComponent(id)}`)}`);
  return commands;
}
