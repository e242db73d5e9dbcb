/**
 * konnect-audit as a library: the offline Konnect audit-log emulator, the Konnect API client and
 * listener set-up, the webhook receiver and event store, and the audit record formats.
 */
export { startEmulator } from './emulator/index.js';
export type { Emulator, EmulatorOptions, EmulatorSnapshot, GenerateRequest, FaultSpec, AttemptEvent } from './emulator/index.js';
export { KonnectClient, KonnectApiError, KonnectConnectionError } from './konnect/client.js';
export type { KonnectClientOptions } from './konnect/client.js';
export {
  assertNameFree,
  assertRegionUnconfigured,
  bindWebhook,
  createDestination,
  releaseListener,
  DestinationNameTakenError,
  WebhookAlreadyConfiguredError,
} from './konnect/listenerSetup.js';
export type { DestinationPlan, ReleaseReport } from './konnect/listenerSetup.js';
export { resolveConnection } from './config/resolve.js';
export type { Connection, ConnectionFlags } from './config/resolve.js';
export { startReceiver } from './receiver/server.js';
export type { Receiver, ReceiverOptions } from './receiver/server.js';
export { splitPayloadRecords } from './receiver/split.js';
export { openEventLog } from './store/eventLog.js';
export type { EventLog } from './store/eventLog.js';
export * from './konnect/types.js';
export * from './konnect/problem.js';
export { REGIONS, isRegion, regionalBaseUrl, GLOBAL_BASE_URL, type Region } from './konnect/regions.js';
export * from './records/event.js';
export * from './records/render.js';
export * from './records/signing.js';
export { VERSION } from './version.js';
