/**
 * No-cluster mode: Services and EndpointSlices come from a directory of manifests, watched for
 * changes. Each reload is diffed against the previous one and fed to the engine's change trackers;
 * the bounded-frequency runner decides when to sync.
 */
import { watch, type FSWatcher } from 'node:fs';
import { realClock, type Clock, type TimerHandle } from '../clock.ts';
import { directoryFingerprint } from '../sources/manifests/fingerprint.ts';
import { ManifestDirectory, type ManifestObjects } from '../sources/manifests/load.ts';
import { diffSnapshots } from '../sources/manifests/snapshot-diff.ts';
import { SyncLoop, type SyncLoopOptions } from './sync-loop.ts';

export interface ManifestDaemonOptions extends SyncLoopOptions {
  readonly dir: string;
  /** How often the directory is also polled (default DEFAULT_POLL_INTERVAL_MS). */
  readonly pollIntervalMs?: number;
}

/** A burst of file events (an editor's save, a ConfigMap swap) becomes one reload this long after the last. */
export const RELOAD_DEBOUNCE_MS = 100;
export const DEFAULT_POLL_INTERVAL_MS = 1000;

export class ManifestDaemon {
  private readonly o: ManifestDaemonOptions;
  private readonly directory: ManifestDirectory;
  private readonly loop: SyncLoop;
  private readonly clock: Clock;
  private snapshot: ManifestObjects = { services: new Map(), slices: new Map() };
  private watcher: FSWatcher | undefined;
  private reloadTimer: TimerHandle | undefined;
  private pollTimer: TimerHandle | undefined;
  private fingerprint = '';
  private stopped = false;

  constructor(options: ManifestDaemonOptions) {
    this.o = options;
    this.clock = options.clock ?? realClock;
    this.directory = new ManifestDirectory(options.dir);
    this.loop = new SyncLoop(options);
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
    this.pollTimer = this.clock.setInterval(() => this.poll(), this.o.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS);
    this.loop.start();
  }

  /** --once: read the directory into the engine. */
  async loadOnce(): Promise<boolean> {
    await this.reload();
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true; // a poll or watch event still in flight must not schedule another reload
    this.watcher?.close();
    this.clock.clearTimer(this.reloadTimer);
    this.clock.clearTimer(this.pollTimer);
    await this.loop.stop();
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
    diffSnapshots(this.snapshot.services, loaded.services, (a, b) => this.loop.serviceChanged(a, b));
    diffSnapshots(this.snapshot.slices, loaded.slices, (a, b) => this.loop.endpointSliceChanged(a, b));
    this.snapshot = loaded;
    return loaded.problems.length;
  }

  private scheduleReload(): void {
    if (this.stopped) return;
    this.clock.clearTimer(this.reloadTimer);
    this.reloadTimer = this.clock.setTimeout(() => {
      this.reloadTimer = undefined;
      this.reload().then(
        () => this.loop.kick(),
        (err: unknown) => this.o.logger.error({ err, dir: this.o.dir }, 'manifest reload failed; previous state kept'),
      );
    }, RELOAD_DEBOUNCE_MS);
  }
}
