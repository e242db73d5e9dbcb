/** Konnect regions and the hosts that serve them (reference §1.1). */

/** Regions with a regional API host. */
export const REGIONS = ['us', 'eu', 'au', 'me', 'in', 'sg'] as const;
export type Region = (typeof REGIONS)[number];

/** The org-wide host that serves audit-log destinations. */
export const GLOBAL_HOST = 'global';

/** True when `value` names a Konnect region. */
export function isRegion(value: string): value is Region {
  return (REGIONS as readonly string[]).includes(value);
}

/** `https://<region>.api.konghq.com`. */
export function regionalBaseUrl(region: string): string {
  return `https://${region}.api.konghq.com`;
}

/** `https://global.api.konghq.com`. */
export const GLOBAL_BASE_URL = 'https://global.api.konghq.com';
