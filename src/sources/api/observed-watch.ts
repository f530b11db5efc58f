/**
 * The client's Watch, with what kube-proxy's reflector asks for and what the supervisor needs to
 * see: bookmarks requested, a server-side timeout per watch (client-go picks 5–10 minutes so the
 * watches of many nodes do not all end at once), and hooks for "about to watch", "stream open",
 * "event received" and "stream closed".
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

  override async watch(path: string, queryParams: Query, callback: Callback, done: (err: unknown) => void): Promise<AbortController> {
    this.hooks.beforeWatch();
    let ended = false;
    const query: Query = { ...queryParams, allowWatchBookmarks: true, timeoutSeconds: this.timeoutSeconds() };
    const controller = await super.watch(path, query, (phase, obj, watchObj) => {
      this.hooks.event();
      callback(phase, obj, watchObj);
    }, (err) => {
      ended = true;
      this.hooks.closed();
      done(err);
    });
    if (!ended) this.hooks.connected();
    return controller;
  }
}
