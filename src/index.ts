/**
 * konnect-audit as a library: the offline Konnect audit-log emulator, the Konnect API client and
 * the audit record formats (render, sign, verify).
 */
export { startEmulator } from './emulator/index.js';
export type { Emulator, EmulatorOptions, EmulatorSnapshot, GenerateRequest, FaultSpec, AttemptEvent } from './emulator/index.js';
export { KonnectClient, KonnectApiError } from './konnect/client.js';
export type { KonnectClientOptions } from './konnect/client.js';
export * from './konnect/types.js';
export * from './konnect/problem.js';
export { REGIONS, isRegion, regionalBaseUrl, GLOBAL_BASE_URL, type Region } from './konnect/regions.js';
export * from './records/event.js';
export * from './records/render.js';
export * from './records/signing.js';
export { VERSION } from './version.js';
