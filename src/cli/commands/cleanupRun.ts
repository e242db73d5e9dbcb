/** Runs `konnect-audit cleanup`. */
import { readFile, rm } from 'node:fs/promises';
import { defaultDataDir } from '../../config/paths.js';
import { connectionFor } from '../connection.js';
import { KonnectClient } from '../../konnect/client.js';
import { leftoverCommands, releaseListener } from '../../konnect/listenerSetup.js';
import { acquireProfileLock, ProfileLockedError } from '../../store/lock.js';
import { profilePaths } from '../../store/paths.js';
import { VERSION } from '../../version.js';
import { RuntimeError } from '../errors.js';
import { renderStructured, type OutputFormat } from '../output/structured.js';
import type { CleanupFlags } from './cleanup.js';

interface RecordedDestination {
  readonly destination_id?: string;
  readonly webhook_configured?: boolean;
  readonly base_url?: string;
  readonly global_base_url?: string;
  readonly destination_name?: string;
  readonly destination_endpoint?: string;
}

async function readRecorded(file: string): Promise<RecordedDestination | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as RecordedDestination;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RuntimeError(`cannot read ${file}: ${(error as Error).message}`);
  }
}

export async function runCleanup(flags: CleanupFlags): Promise<void> {
  const profile = flags.profile ?? 'default';
  const preliminary = await connectionFor({ ...flags, profile });
  const dataDir = flags.dataDir ?? (typeof preliminary.profileSettings['data-dir'] === 'string' ? preliminary.profileSettings['data-dir'] : undefined) ?? defaultDataDir();
  const paths = profilePaths(dataDir, profile);
  const recorded = await readRecorded(paths.destinationFile);
  const destinationId = flags.destinationId ?? recorded?.destination_id;
  if (!destinationId) {
    throw new RuntimeError(`nothing to clean up for profile "${profile}": no ${paths.destinationFile} (give --destination-id to remove a destination by id)`);
  }
  // A destination recorded by a listener lives where that listener created it, unless flags say otherwise.
  const connection =
    !flags.baseUrl && !flags.region && recorded?.base_url && recorded.destination_id === destinationId
      ? { ...preliminary, baseUrl: recorded.base_url, globalBaseUrl: flags.globalBaseUrl ?? recorded.global_base_url ?? recorded.base_url }
      : preliminary;

  let lock;
  try {
    lock = await acquireProfileLock(paths.lockFile);
  } catch (error) {
    if (error instanceof ProfileLockedError) {
      throw new RuntimeError(`a listener (pid ${error.pid}) is running for profile "${profile}"; stop it (Ctrl+C or kill -TERM ${error.pid}) and it removes its own Konnect state`);
    }
    throw error;
  }
  try {
    const client = new KonnectClient({ baseUrl: connection.baseUrl, globalBaseUrl: connection.globalBaseUrl, token: connection.token, userAgent: `konnect-audit/${VERSION}` });
    const configureWebhook = flags.configureWebhook ?? recorded?.webhook_configured ?? true;
    // A create whose POST timed out may have landed later as a second destination with the same
    // name and endpoint (the listener's own clean-up removes those; after a kill -9 this is the only chance).
    const duplicatesOf =
      recorded?.destination_id === destinationId && recorded.destination_name && recorded.destination_endpoint
        ? { name: recorded.destination_name, endpoint: recorded.destination_endpoint }
        : undefined;
    const report = await releaseListener(client, { destinationId, configureWebhook, ...(duplicatesOf ? { duplicatesOf } : {}) });
    const result = {
      destination_id: destinationId,
      webhook_released: report.webhookReleased,
      destination_deleted: report.destinationDeleted,
      problems: report.problems,
      ...(report.duplicatesDeleted && report.duplicatesDeleted.length > 0 ? { duplicates_deleted: report.duplicatesDeleted } : {}),
    };
    if (report.problems.length > 0) {
      const commands = leftoverCommands(connection, report, { destinationId, configureWebhook });
      throw new RuntimeError([`clean-up incomplete: ${report.problems.join('; ')}`, 'What is left can be removed with:', ...commands.map((c) => `  ${c}`)].join('\n'));
    }
    if (recorded?.destination_id === destinationId) await rm(paths.destinationFile, { force: true });
    process.stdout.write(
      renderStructured((flags.output ?? 'text') as OutputFormat, result, () =>
        `${configureWebhook ? 'Released the regional webhook (if bound to it) and deleted' : 'Deleted'} audit-log destination: ${destinationId}\n` +
        (report.duplicatesDeleted?.length ? `Also deleted ${report.duplicatesDeleted.length} duplicate(s) with its name and endpoint that a timed-out create left: ${report.duplicatesDeleted.join(', ')}\n` : ''),
      ),
    );
  } finally {
    await lock.release();
  }
}
