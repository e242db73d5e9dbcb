/** The default destination name, `konnect-audit-<host>-<pid>`, as kongctl builds its own. */
import { hostname } from 'node:os';

/** `konnect-audit-<host>-<pid>` with the host lower-cased and characters outside `[a-z0-9-_.]` replaced by `-`. */
export function defaultDestinationName(host: string = hostname(), pid: number = process.pid): string {
  const safe = host.toLowerCase().replace(/[^a-z0-9\-_.]/g, '-');
  return `konnect-audit-${safe}-${pid}`;
}
