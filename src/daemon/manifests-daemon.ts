/**
 * No-cluster mode: Services and EndpointSlices come from a directory of manifests, watched for
 * changes. Each reload is diffed against the previous one and fed to the engine's change trackers;
 * the bounded-frequency runner decides when to sync.
 */
import { watch, type FSWatcher } from 'node:fs';
import { directoryFingerprint } from '../sources/manifests/fingerprint.ts';
import type { Logger } from 'pino';
import type { Proxier, SyncReport } from '../engine/proxier.ts';
import { BoundedFrequencyRunner } from '../runner/bounded-frequency.ts';
import { realClock, type Clock } from '../runner/clock.ts';
import { ManifestDirectory, type ManifestObjects } from '../sources/manifests/load.ts';
import { diffSnapshots } from '../sources/manifests/snapshot-diff.ts';
import { logSync } from './sync-logging.ts';

export interface ManifestDaemonOptions {
  readonly dir: string;
  readonly proxier: Proxier;
  readonly logger: Logger;
  readonly minSyncPeriodMs: number;
  readonly syncPeriodMs: number;
  readonly clock?: Clock;
  /** Called after every sync (tests, the demo). */
  readonly onSync?: (report: SyncReport) => void;
  /** How often the directory is also polled (default 1000 ms). */
  readonly pollIntervalMs?: number;
}

const RELOAD_DEBOUNCE_MS = 100;

export class ManifestDaemon {
  private readonly o: ManifestDaemonOptions;
  private readonly directory: ManifestDirectory;
  private readonly runner: BoundedFrequencyRunner;
  private snapshot: ManifestObjects = { services: new Map(), slices: new Map() };
  private watcher: FSWatcher | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private fingerprint = '';

  constructor(options: ManifestDaemonOptions) {
    this.o = options;
    this.directory = new ManifestDirectory(options.dir);
    this.runner = new BoundedFrequencyRunner({
      minIntervalMs: options.minSyncPeriodMs,
      maxIntervalMs: options.syncPeriodMs,
      clock: options.clock ?? realClock,
      sync: async ({ full }) => {
        const report = await options.proxier.sync({ full });
        logSync(options.logger, report);
        options.onSync?.(report);
        return report.failures.length === 0;
      },
      onError: (err) => options.logger.error({ err }, 'sync failed; retrying with a full sync'),
    });
  }

  /**
   * Loads the directory once, then syncs and watches. inotify is fast but misses changes on some
   * filesystems (hostfs, NFS) and ConfigMap volumes' symlink swaps, so the directory is also polled.
   */
  async start(): Promise<void> {
    this.fingerprint = await directoryFingerprint(this.o.dir);
    await this.reload();
    try {
      this.watcher = watch(this.o.dir, () => this.scheduleReload());
      this.watcher.on('error', (err) => this.o.logger.warn({ err, dir: this.o.dir }, 'inotify watch failed; polling only'));
    } catch (err) {
      this.o.logger.warn({ err, dir: this.o.dir }, 'inotify watch unavailable; polling only');
    }
    this.pollTimer = setInterval(() => this.poll(), this.o.pollIntervalMs ?? 1000);
    this.runner.start();
  }

  async stop(): Promise<void> {
    this.watcher?.close();
    if (this.reloadTimer !== undefined) clearTimeout(this.reloadTimer);
    if (this.pollTimer !== undefined) clearInterval(this.pollTimer);
    await this.runner.stop();
  }

  private poll(): void {
    directoryFingerprint(this.o.dir).then((fingerprint) => {
      if (fingerprint === this.fingerprint) return;
      this.fingerprint = fingerprint;
      this.scheduleReload();
    }, (err: unknown) => this.o.logger.warn({ err, dir: this.o.dir }, 'manifest directory unreadable; previous state kept'));
  }

  /** Reads the directory and feeds what changed to the engine. Returns the number of problems. */
  async reload(): Promise<number> {
    const loaded = await this.directory.load();
    for (const p of loaded.problems) {
      this.o.logger.error({ file: p.file, object: p.error.object, code: p.error.code, err: p.error }, `skipped: ${p.error.message}`);
    }
    diffSnapshots(this.snapshot.services, loaded.services, (a, b) => this.o.proxier.onServiceUpdate(a, b));
    diffSnapshots(this.snapshot.slices, loaded.slices, (a, b) => this.o.proxier.onEndpointSliceUpdate(a, b));
    this.snapshot = loaded;
    return loaded.problems.length;
  }

  private scheduleReload(): void {
    if (this.reloadTimer !== undefined) clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = undefined;
      this.reload().then(
        () => { if (this.o.proxier.pendingChanges > 0) this.runner.trigger(); },
        (err: unknown) => this.o.logger.error({ err, dir: this.o.dir }, 'manifest reload failed; previous state kept'),
      );
    }, RELOAD_DEBOUNCE_MS);
  }
}
