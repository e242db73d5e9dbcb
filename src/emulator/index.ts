/**
 * The offline Konnect audit-log emulator, in-process.
 *
 * @example
 * const emulator = await startEmulator({ port: 0, seed: '0102...1f20', timeScale: 0.01 });
 * await fetch(`${emulator.baseUrl}/v2/audit-log-webhook`, { headers: { Authorization: `Bearer ${emulator.token}` } });
 * await emulator.stop();
 */
import type { AddressInfo } from 'node:net';
import type { Region } from '../konnect/regions.js';
import { EmulatorCore } from './core.js';
import type { GenerateRequest } from './audit/generator.js';
import type { Fault, FaultSpec } from './faults.js';
import { snapshot, type EmulatorSnapshot } from './inspect.js';
import { DEFAULTS, type EmulatorOptions } from './options.js';
import { konnectRouter } from './routes.js';
import { createEmulatorServer } from './server.js';

export type { EmulatorOptions } from './options.js';
export type { EmulatorSnapshot } from './inspect.js';
export type { GenerateRequest } from './audit/generator.js';
export type { FaultSpec } from './faults.js';
export type { AttemptEvent } from './delivery/hub.js';

/** A running emulator. */
export interface Emulator {
  /** `http://host:port`: region `us` plus the global API. */
  readonly baseUrl: string;
  /** The first full-access token (generated when none was given). */
  readonly token: string;
  /** Every full-access token. */
  readonly tokens: readonly string[];
  /** Base URL of one region (`${baseUrl}/eu`) or of the global host (`${baseUrl}/global`). */
  regionUrl(region: Region | 'global'): string;
  /** The organisation, webhooks, statuses, replay jobs and delivery counters, without secrets. */
  inspect(): EmulatorSnapshot;
  /** Generates synthetic events; resolves with how many were recorded. */
  generate(request: GenerateRequest): Promise<number>;
  /** Arms a fault for API clients' tests. */
  fault(spec: FaultSpec): Fault;
  clearFaults(): void;
  /** Sends waiting batches now and resolves when nothing is being delivered, retried or replayed. */
  idle(): Promise<void>;
  /** Adds a signing key and makes it active (the JWKS then serves both). */
  rotateKey(): string;
  /** Adds a Dev Portal. */
  addPortal(portal: { readonly id?: string; readonly name?: string; readonly region?: Region }): string;
  /** The JWKS served to receivers. */
  jwks(): ReturnType<EmulatorCore['keys']['jwks']>;
  /** Stops serving, cancels deliveries and timers. */
  stop(): Promise<void>;
}

/** Starts the emulator and resolves once it listens. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const core = new EmulatorCore(options);
  const server = createEmulatorServer(core, konnectRouter());
  const host = options.host ?? DEFAULTS.host;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULTS.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const baseUrl = `http://${urlHost}:${address.port}`;
  let stopped: Promise<void> | undefined;
  return {
    baseUrl,
    token: core.tokens[0]!,
    tokens: core.tokens,
    regionUrl: (region) => `${baseUrl}/${region}`,
    inspect: () => snapshot(core),
    generate: (request) => core.generate(request),
    fault: (spec) => core.faults.add(spec),
    clearFaults: () => core.faults.clear(),
    idle: () => {
      core.hub.flushAll();
      return core.hub.idle();
    },
    rotateKey: () => core.keys.rotate(),
    addPortal: (portal) => {
      const id = portal.id ?? core.ids.uuid();
      core.state.addPortal(id, portal.name ?? 'portal', portal.region ?? 'us');
      return id;
    },
    jwks: () => core.keys.jwks(),
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        core.close();
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
