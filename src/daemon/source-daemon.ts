/**
 * The daemon for the configured source: a manifests directory, or the API server.
 *
 * The API source is imported only when it is used: @kubernetes/client-node alone takes 0.7 s to
 * load on a fast host and 6 s in the UML sandbox, which `--manifests`, `--dry-run` and `--cleanup`
 * (a node being drained of us) should not pay.
 */
import type { Settings } from '../config/settings.ts';
import type { ModelLimits } from '../model/parse-result.ts';
import { ManifestDaemon } from './manifests-daemon.ts';
import type { SyncLoopOptions } from './sync-loop.ts';

export interface SourceDaemon {
  /** Feeds the engine and runs the sync loop until stop(). */
  start(): Promise<unknown>;
  /** Feeds the engine the source's current state once, without a sync loop. */
  loadOnce(): Promise<boolean>;
  stop(): Promise<void>;
}

export async function sourceDaemon(settings: Settings, loop: SyncLoopOptions, nodeName: string): Promise<SourceDaemon> {
  // Both sources parse with the configured limits: here, so the daemon and --once cannot differ.
  const limits: ModelLimits = { nodePortRange: settings.serviceNodePortRange };
  if (settings.manifests !== undefined) return new ManifestDaemon({ ...loop, limits, dir: settings.manifests });
  const [{ loadApiConfig }, { ApiDaemon }] = await Promise.all([import('../sources/api/kubeconfig.ts'), import('./api-daemon.ts')]);
  const kubeConfig = loadApiConfig({ kubeconfig: settings.kubeconfig, master: settings.master, clock: loop.clock });
  return new ApiDaemon({ ...loop, limits, kubeConfig, nodeName });
}
