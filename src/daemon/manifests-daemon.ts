/**
 * No-cluster mode: Services and EndpointSlices come from a directory of manifests, watched for
 * changes. Each reload is diffed against the previous one and fed to the engine's change trackers;
 * the bounded-frequency runner decides when to sync.
 *
 * Nothing in the directory stops the daemon or the other files: each bad entry, file or object is
 * skipped with one log line per change of its file (src/sources/manifests/load.ts). Only a
 * directory that cannot be read at start-up fails start().
 */
import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from 'pino';
import { realClock, type Clock, type TimerHandle } from '../clock.ts';
import { ProxierError } from '../errors.ts';
import { DEFAULT_MODEL_LIMITS } from '../model/parse-result.ts';
import { directoryFingerprint } from '../sources/manifests/fingerprint.ts';
import { nodeErrorCode } from '../sources/manifests/fs-reasons.ts';
import type { ManifestLimits } from '../sources/manifests/limits.ts';
import { ManifestDirectory, type LoadResult, type ManifestObjects } from '../sources/manifests/load.ts';
import { diffSnapshots } from '../sources/manifests/snapshot-diff.ts';
import { SyncLoop, type SyncLoopOptions } from './sync-loop.ts';

export interface ManifestDaemonOptions extends SyncLoopOptions {
  readonly dir: string;
  /** How often the directory is also polled (default DEFAULT_POLL_INTERVAL_MS). */
  readonly pollIntervalMs?: number;
  /** Overrides of the directory's size and time limits (tests; default DEFAULT_MANIFEST_LIMITS). */
  readonly manifestLimits?: Partial<ManifestLimits> | undefined;
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
  /** The reload in progress, and whether another was asked for meanwhile (a large file can take seconds). */
  private reloading: Promise<void> | undefined;
  private reloadAgain = false;
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;
  /** Why the last poll could not read the directory, while it cannot. */
  private unreadable: string | undefined;

  constructor(options: ManifestDaemonOptions) {
    this.o = options;
    this.clock = options.clock ?? realClock;
    this.directory = new ManifestDirectory(options.dir, {
      clock: this.clock, limits: options.manifestLimits, modelLimits: options.limits ?? DEFAULT_MODEL_LIMITS,
    });
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

  /** --once: read the directory into the engine; the parser thread is not needed after. */
  async loadOnce(): Promise<boolean> {
    try {
      await this.reload();
    } finally {
      await this.directory.close();
    }
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true; // a poll or watch event still in flight must not schedule another reload
    this.watcher?.close();
    this.clock.clearTimer(this.reloadTimer);
    this.clock.clearTimer(this.pollTimer);
    await this.directory.close(); // a reload in progress fails, and is not logged
    await this.reloading;
    await this.loop.stop();
  }

  private poll(): void {
    directoryFingerprint(this.o.dir).then((fingerprint) => {
      if (this.unreadable !== undefined) this.o.logger.info({ dir: this.o.dir }, 'manifest directory readable again');
      this.unreadable = undefined;
      if (fingerprint === this.fingerprint) return;
      this.fingerprint = fingerprint;
      this.scheduleReload();
    }, (err: unknown) => {
      // Once per change of the reason, not every poll.
      const reason = err instanceof ProxierError ? `${err.code} ${nodeErrorCode(err.cause) ?? ''}` : 'unknown';
      if (reason !== this.unreadable) this.o.logger.warn({ err, dir: this.o.dir }, 'manifest directory unreadable; previous state kept');
      this.unreadable = reason;
    });
  }

  /** Reads the directory and feeds what changed to the engine. Returns the number of new problems. */
  reload(): Promise<number> {
    // One at a time: each diff must start from the snapshot the previous one left.
    const result = this.queue.then(() => this.reloadNow());
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async reloadNow(): Promise<number> {
    const loaded = await this.directory.load();
    logProblems(this.o.logger, loaded);
    await diffSnapshots(this.snapshot.services, loaded.services, (a, b) => this.loop.serviceChanged(a, b));
    await diffSnapshots(this.snapshot.slices, loaded.slices, (a, b) => this.loop.endpointSliceChanged(a, b));
    this.snapshot = loaded;
    return loaded.problems.length;
  }

  private scheduleReload(): void {
    if (this.stopped) return;
    this.clock.clearTimer(this.reloadTimer);
    this.reloadTimer = this.clock.setTimeout(() => {
      this.reloadTimer = undefined;
      this.runReload();
    }, RELOAD_DEBOUNCE_MS);
  }

  /** One reload at a time; changes seen during one are picked up by one more right after it. */
  private runReload(): void {
    if (this.reloading !== undefined) {
      this.reloadAgain = true;
      return;
    }
    this.reloading = this.reload().then(
      () => this.loop.kick(),
      (err: unknown) => {
        if (!this.stopped) this.o.logger.error({ err, dir: this.o.dir }, 'manifest reload failed; previous state kept');
      },
    ).finally(() => {
      this.reloading = undefined;
      if (this.reloadAgain && !this.stopped) {
        this.reloadAgain = false;
        this.runReload();
      }
    });
  }
}

/** One line per problem (each is new: load() reports a file's problems once per change of it), then the summaries. */
function logProblems(logger: Logger, loaded: LoadResult): void {
  for (const p of loaded.problems) {
    const field = 'field' in p.error ? p.error.field : undefined;
    const fields = { file: p.file, object: p.error.object, field, code: p.error.code, err: p.error };
    if (p.level === 'warn') logger.warn(fields, `ignored: ${p.error.message}`);
    else logger.error(fields, `skipped: ${p.error.message}`);
  }
  for (const n of loaded.notes) logger[n.level]({ file: n.file }, n.message);
}
