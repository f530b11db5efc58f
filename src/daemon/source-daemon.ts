/** The daemon for the configured source: a manifests directory, or the API server. */
import type { Settings } from '../config/settings.ts';
import { loadApiConfig } from '../sources/api/kubeconfig.ts';
import { ApiDaemon } from './api-daemon.ts';
import { ManifestDaemon } from './manifests-daemon.ts';
import type { SyncLoopOptions } from './sync-loop.ts';

export interface SourceDaemon {
  /** Feeds the engine and runs the sync loop until stop(). */
  start(): Promise<unknown>;
  /** Feeds the engine the source's current state once, without a sync loop. */
  loadOnce(): Promise<boolean>;
  stop(): Promise<void>;
}

export function sourceDaemon(settings: Settings, loop: SyncLoopOptions, nodeName: string): SourceDaemon {
  if (settings.manifests !== undefined) return new ManifestDaemon({ ...loop, dir: settings.manifests });
  const kubeConfig = loadApiConfig({ kubeconfig: settings.kubeconfig, master: settings.master, clock: loop.clock });
  return new ApiDaemon({ ...loop, kubeConfig, nodeName });
}
