/** Which profile a command uses when no --profile is given (no imports: every command's flags read it at start-up). */

/**
 * KONNECT_AUDIT_PROFILE, else kongctl's KONGCTL_PROFILE, else `default`; blank values count as unset.
 * @example defaultProfile({ KONGCTL_PROFILE: 'prod' }) // 'prod'
 */
export function defaultProfile(env: NodeJS.ProcessEnv = process.env): string {
  return env.KONNECT_AUDIT_PROFILE?.trim() || env.KONGCTL_PROFILE?.trim() || 'default';
}

/**
 * The profile a command uses: `--profile` when given and not blank, else defaultProfile().
 * @example profileName('  ') // 'default' (or KONNECT_AUDIT_PROFILE / KONGCTL_PROFILE when set)
 */
export function profileName(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag?.trim() || defaultProfile(env);
}
