/** Runs `konnect-audit status`: gathers Konnect, the local listeners and the store in parallel, then prints one report. */
import { configDir, dataDirOf } from '../../config/paths.js';
import type { Connection } from '../../config/resolve.js';
import { KonnectClient } from '../../konnect/client.js';
import { advice } from '../../status/advice.js';
import { failed, gatherKonnect, konnectUnreachable, type KonnectSnapshot } from '../../status/konnect.js';
import { detachedListeners, matchEndpoint, profileListener } from '../../status/listeners.js';
import { renderStatusText, type StatusReport } from '../../status/render.js';
import { storeSummary } from '../../status/store.js';
import { profilePaths } from '../../store/paths.js';
import { VERSION } from '../../version.js';
import { connectionFor } from '../connection.js';
import { UsageError } from '../errors.js';
import { renderStructured, type OutputFormat } from '../output/structured.js';
import type { StatusFlags } from './status.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Reading the config file for its data-dir needs no token.
const NO_TOKEN = 'unused-status-needs-no-token';
/** One quick retry: a status screen should answer in seconds even when Konnect does not. */
const STATUS_RETRIES = 1;

async function resolve(flags: StatusFlags): Promise<{ connection?: Connection; error?: string; dataDir: string }> {
  try {
    const connection = await connectionFor(flags);
    return { connection, dataDir: dataDirOf(flags.dataDir, connection.profileSettings['data-dir']) };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // No token (or a config the connection cannot use): the local sections are still worth showing.
    const local = await connectionFor({ profile: flags.profile, configFile: flags.configFile, pat: NO_TOKEN }).catch(() => undefined);
    return { error: (error as Error).message, dataDir: dataDirOf(flags.dataDir, local?.profileSettings['data-dir']) };
  }
}

async function gather(flags: StatusFlags, connection: Connection | undefined, connectionError: string | undefined): Promise<StatusReport['konnect']> {
  if (!connection) {
    const error = connectionError ?? 'no connection';
    const none: KonnectSnapshot = { base_url: flags.baseUrl ?? '-', ...(flags.portalId ? { portal_id: flags.portalId } : {}), webhook: { error }, status: { error }, replay_job: { error } };
    return { ...none, error };
  }
  const client = new KonnectClient({ baseUrl: connection.baseUrl, globalBaseUrl: connection.globalBaseUrl, token: connection.token, userAgent: `konnect-audit/${VERSION}`, retries: STATUS_RETRIES });
  const k = await gatherKonnect(client, connection.baseUrl, flags.portalId);
  // Every call failed the same way (unreachable, 401, unknown portal): one line says it.
  if (failed(k.webhook) && failed(k.status) && failed(k.replay_job) && k.webhook.error === k.status.error) return { ...k, error: k.webhook.error };
  return k;
}

export async function runStatus(flags: StatusFlags): Promise<void> {
  if (flags.portalId !== undefined && !UUID.test(flags.portalId)) throw new UsageError(`invalid argument "${flags.portalId}" for "--portal-id" flag: expected a portal UUID`, 'status');
  const profile = flags.profile?.trim() || 'default';
  const { connection, error, dataDir } = await resolve({ ...flags, profile });
  const paths = profilePaths(dataDir, profile);
  const [konnect, listener, detached, store] = await Promise.all([
    gather(flags, connection, error),
    profileListener(paths),
    detachedListeners(configDir()).catch(() => []),
    storeSummary(paths).catch((e: unknown) => ({ error: (e as Error).message })),
  ]);
  const now = Date.now();
  const running = [
    ...(listener.state === 'running' ? [listener] : []),
    ...detached.filter((d) => d.status === 'running' || d.status === 'starting').filter((d) => !(listener.state === 'running' && d.pid === listener.pid)),
  ];
  const webhookTarget = !failed(konnect.webhook) && konnect.webhook.endpoint !== 'unconfigured' ? matchEndpoint(konnect.webhook, running) : undefined;
  const newest = 'error' in store || store.newest_record_at === null ? undefined : Date.parse(store.newest_record_at);
  const report: StatusReport = {
    generated_at: new Date(now).toISOString(),
    konnect,
    local: { profile, data_dir: dataDir, listener, detached, ...(webhookTarget ? { webhook_target: webhookTarget } : {}) },
    store,
    advice: advice(konnect, { now, ...(newest !== undefined ? { newestStoredMs: newest } : {}), ...(webhookTarget ? { match: webhookTarget } : {}) }),
  };
  process.stdout.write(renderStructured((flags.output ?? 'text') as OutputFormat, report, () => renderStatusText(report, now)));
  if (konnectUnreachable(konnect)) process.exitCode = 1;
}
