/**
 * The client's Watch, with what kube-proxy's reflector asks for and what the supervisor needs to
 * see: bookmarks requested, a server-side timeout per watch (client-go picks 5–10 minutes so the
 * watches of many nodes do not all end at once), and hooks for "about to watch", "stream open",
 * "event received" and "stream closed".
 *
 * It can also be closed. Stopping the client's ListWatch only aborts a stream it already holds; a
 * watch still connecting when the informer stops would otherwise open afterwards and stay open
 * (bookmarks keep it alive), and `--once` would never exit.
 */
import { Watch, type KubeConfig } from '@kubernetes/client-node';

export interface WatchHooks {
  /** Called before each watch request; the informer has delivered its list by then. */
  beforeWatch(): void;
  connected(): void;
  event(): void;
  closed(): void;
}

type Query = Record<string, string | number | boolean | undefined>;
type Callback = (phase: string, apiObj: unknown, watchObj?: unknown) => void;

export class ObservedWatch extends Watch {
  private readonly hooks: WatchHooks;
  private readonly timeoutSeconds: () => number;
  private readonly streams = new Set<AbortController>();
  private closed = false;
  /** Bumped by close(): a watch from an older generation is ended and its end not reported. */
  private generation = 0;

  /**
   * `inactivityMs`: with no bytes for this long the client aborts and re-watches. The client's
   * default (30 s) is shorter than the server's bookmark period (60 s), which would re-open every
   * quiet watch twice a minute on every node; the field is private in the typings, hence the cast.
   */
  constructor(config: KubeConfig, hooks: WatchHooks, timeoutSeconds: () => number, inactivityMs: number) {
    super(config);
    this.hooks = hooks;
    this.timeoutSeconds = timeoutSeconds;
    (this as unknown as { requestTimeoutMs: number }).requestTimeoutMs = inactivityMs;
  }

  /** Ends every stream, including one still connecting, and opens none until reopen(). */
  close(): void {
    this.closed = true;
    this.generation += 1;
    for (const stream of this.streams) stream.abort();
    this.streams.clear();
  }

  reopen(): void {
    this.closed = false;
  }

  override async watch(path: string, queryParams: Query, callback: Callback, done: (err: unknown) => void): Promise<AbortController> {
    this.hooks.beforeWatch();
    if (this.closed) return aborted(); // stopped between the list and the watch: do not connect
    const generation = this.generation;
    // The client may report the end before it hands over the stream (a refused watch).
    const state: { stream?: AbortController; ended: boolean } = { ended: false };
    const query: Query = { ...queryParams, allowWatchBookmarks: true, timeoutSeconds: this.timeoutSeconds() };
    const stream = await super.watch(path, query, (phase, obj, watchObj) => {
      this.hooks.event();
      callback(phase, obj, watchObj);
    }, (err) => {
      state.ended = true;
      if (state.stream !== undefined) this.streams.delete(state.stream);
      if (generation !== this.generation) return; // closed: nobody is waiting for this end
      this.hooks.closed();
      done(err);
    });
    state.stream = stream;
    if (generation !== this.generation) {
      stream.abort(); // closed while connecting, when there was nothing to abort yet
      return stream;
    }
    if (!state.ended) {
      this.streams.add(stream);
      this.hooks.connected();
    }
    return stream;
  }
}

function aborted(): AbortController {
  const controller = new AbortController();
  controller.abort();
  return controller;
}
