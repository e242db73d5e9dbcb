/** Runs `konnect-audit destinations list|get|delete`. */
import { KonnectApiError, KonnectClient } from '../../konnect/client.js';
import type { AuditLogDestination } from '../../konnect/types.js';
import { VERSION } from '../../version.js';
import { connectionFor } from '../connection.js';
import { RuntimeError } from '../errors.js';
import { renderStructured, type OutputFormat } from '../output/structured.js';
import type { DestinationsFlags } from './destinations.js';

async function clientFor(flags: DestinationsFlags): Promise<KonnectClient> {
  const connection = await connectionFor(flags);
  return new KonnectClient({ baseUrl: connection.baseUrl, globalBaseUrl: connection.globalBaseUrl, token: connection.token, userAgent: `konnect-audit/${VERSION}` });
}

function print(flags: DestinationsFlags, value: unknown, text: () => string): void {
  process.stdout.write(renderStructured((flags.output ?? 'text') as OutputFormat, value, text));
}

/** Only the documented fields: the authorization is write-only, and nothing else is echoed. */
function view(d: AuditLogDestination): AuditLogDestination {
  return { id: d.id, name: d.name, endpoint: d.endpoint, log_format: d.log_format, skip_ssl_verification: d.skip_ssl_verification, created_at: d.created_at, updated_at: d.updated_at };
}

/** Konnect's 404 as "no such destination", other errors as they are. */
function notFound(error: unknown, id: string): unknown {
  if (error instanceof KonnectApiError && error.status === 404) {
    return new RuntimeError(`no audit-log destination with id "${id}" (Konnect answered 404; list them with konnect-audit destinations list)`);
  }
  return error;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

export async function runDestinationsList(flags: DestinationsFlags): Promise<void> {
  const list = (await (await clientFor(flags)).listDestinations()).map(view);
  print(flags, list, () =>
    list.length === 0 ? 'No audit-log destinations.\n' : table([['ID', 'NAME', 'ENDPOINT', 'FORMAT', 'CREATED'], ...list.map((d) => [d.id, d.name, d.endpoint, d.log_format, d.created_at])]),
  );
}

export async function runDestinationsGet(id: string, flags: DestinationsFlags): Promise<void> {
  const client = await clientFor(flags);
  let d: AuditLogDestination;
  try {
    d = view(await client.getDestination(id));
  } catch (error) {
    throw notFound(error, id);
  }
  print(flags, d, () =>
    [
      `id:                    ${d.id}`,
      `name:                  ${d.name}`,
      `endpoint:              ${d.endpoint}`,
      `log_format:            ${d.log_format}`,
      `skip_ssl_verification: ${d.skip_ssl_verification}`,
      `created_at:            ${d.created_at}`,
      `updated_at:            ${d.updated_at}`,
    ].join('\n') + '\n',
  );
}

export async function runDestinationsDelete(id: string, flags: DestinationsFlags): Promise<void> {
  const client = await clientFor(flags);
  try {
    await client.deleteDestination(id);
  } catch (error) {
    if (error instanceof KonnectApiError && error.status === 409) {
      const said = error.problem?.detail ?? (error.bodyText.trim() || 'Conflict');
      throw new RuntimeError(
        [
          `cannot delete audit-log destination ${id}: Konnect answered 409 (${said}): a webhook (a region's, or a Dev Portal's) still uses it.`,
          'Disable and unbind the webhook first, then delete again; for the regional webhook one command does all three:',
          `  konnect-audit cleanup --destination-id ${id}`,
        ].join('\n'),
      );
    }
    throw notFound(error, id);
  }
  print(flags, { id, deleted: true }, () => `Deleted audit-log destination: ${id}\n`);
}
