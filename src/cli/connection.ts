/** Resolving the Konnect connection for a command: bad flags are usage errors, anything else (no token, bad config) a runtime error. */
import { resolveConnection, type Connection } from '../config/resolve.js';
import { RuntimeError, UsageError } from './errors.js';
import type { ConnectionFlagValues } from './flags.js';

export async function connectionFor(flags: ConnectionFlagValues): Promise<Connection> {
  try {
    return await resolveConnection({
      baseUrl: flags.baseUrl,
      region: flags.region,
      pat: flags.pat,
      profile: flags.profile,
      configFile: flags.configFile,
      globalBaseUrl: flags.globalBaseUrl,
    });
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new RuntimeError((error as Error).message);
  }
}
