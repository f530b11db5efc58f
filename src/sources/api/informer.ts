/**
 * One list+watch informer (the client's ListWatch), kept alive. The client re-watches after a
 * clean close and relists on 410 Gone by itself, but after any other failure — a connection reset,
 * an HTTP 500, a failed list — it emits `error` and stops for good. This supervisor restarts it
 * with capped exponential backoff and jitter, and keeps a status for health checks and logs.
 *
 * Every wait (the restart backoff, the client's reconnect delay, the list timeout) runs on the
 * injected clock. stop() ends everything in flight: the watch (even one still connecting), the
 * list, and any pending delay.
 */
import { ListWatch, type KubeConfig } from '@kubernetes/client-node';
import { sleep, type Clock, type TimerHandle } from '../../clock.ts';
import { backoffDelay, type BackoffOptions } from './backoff.ts';
import { ObservedWatch } from './observed-watch.ts';
import type { RawList, RawLister, RawObject } from './raw-list.ts';

export interface InformerStatus {
  /** A watch stream is open. */
  readonly connected: boolean;
  /** The initial list has been delivered. */
  readonly synced: boolean;
  /** Restarts after a failure. */
  readonly restarts: number;
  readonly lastError: unknown;
  /** Clock time of the last event or successful list. */
  readonly lastActivity: number | undefined;
}

export interface InformerHandlers {
  upsert(object: RawObject): void;
  remove(object: RawObject): void;
  /** Once: the initial list has been delivered. */
  synced(): void;
  failed(error: unknown, restartInMs: number): void;
}

export interface InformerOptions {
  readonly kubeConfig: KubeConfig;
  readonly path: string;
  readonly list: RawLister;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly clock: Clock;
  readonly random: () => number;
  readonly backoff: BackoffOptions;
  readonly watchTimeoutSeconds: () => number;
  readonly watchInactivityMs: number;
  readonly handlers: InformerHandlers;
}

export class SupervisedInformer {
  private readonly o: InformerOptions;
  private readonly informer: ListWatch<RawObject>;
  private readonly watch: ObservedWatch;
  private stopped = true;
  /** Aborted by stop(): a list in flight and the client's reconnect delay end with it. */
  private running = new AbortController();
  private attempt = 0;
  private restartTimer: TimerHandle | undefined;
  private state: { -readonly [K in keyof InformerStatus]: InformerStatus[K] } = {
    connected: false, synced: false, restarts: 0, lastError: undefined, lastActivity: undefined,
  };

  constructor(options: InformerOptions) {
    this.o = options;
    this.watch = new ObservedWatch(options.kubeConfig, {
      beforeWatch: () => this.markSynced(),
      connected: () => { this.state.connected = true; },
      event: () => this.healthy(),
      closed: () => { this.state.connected = false; },
    }, options.watchTimeoutSeconds, options.watchInactivityMs);
    const list = async (): Promise<RawList> => {
      const result = await options.list(this.running.signal);
      this.healthy();
      return result;
    };
    const delayFn = (ms: number): Promise<void> => sleep(options.clock, ms, this.running.signal);
    this.informer = new ListWatch<RawObject>(options.path, this.watch, list, false, options.labelSelector, options.fieldSelector, { delayFn });
    this.informer.on('add', (o) => options.handlers.upsert(o));
    this.informer.on('update', (o) => options.handlers.upsert(o));
    this.informer.on('delete', (o) => options.handlers.remove(o));
    this.informer.on('error', (err) => this.failed(err));
  }

  get status(): InformerStatus {
    return { ...this.state };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.running = new AbortController();
    this.watch.reopen();
    this.launch();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.running.abort();
    this.watch.close();
    this.o.clock.clearTimer(this.restartTimer);
    this.restartTimer = undefined;
    this.state.connected = false;
    await this.informer.stop();
  }

  private launch(): void {
    this.informer.start().catch((err: unknown) => this.failed(err));
  }

  private failed(error: unknown): void {
    // Stopping aborts the open request, which the client reports as an error too.
    if (this.stopped) return;
    this.state.connected = false;
    this.state.lastError = error;
    const delay = backoffDelay(this.attempt, this.o.backoff, this.o.random);
    this.attempt += 1;
    this.o.handlers.failed(error, delay);
    this.o.clock.clearTimer(this.restartTimer);
    this.restartTimer = this.o.clock.setTimeout(() => {
      if (this.stopped) return;
      this.state.restarts += 1;
      this.launch();
    }, delay);
  }

  /** Data arrived: the server is answering, so the next failure starts the backoff from the bottom. */
  private healthy(): void {
    this.attempt = 0;
    this.state.lastActivity = this.o.clock.now();
  }

  private markSynced(): void {
    if (this.state.synced) return;
    this.state.synced = true;
    this.o.handlers.synced();
  }
}
