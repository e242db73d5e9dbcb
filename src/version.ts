/** The package version, inlined at build time by esbuild (falls back for tsx runs). */
declare const __KONNECT_AUDIT_VERSION__: string | undefined;

export const VERSION: string = typeof __KONNECT_AUDIT_VERSION__ === 'string' ? __KONNECT_AUDIT_VERSION__ : '0.0.0-dev';
