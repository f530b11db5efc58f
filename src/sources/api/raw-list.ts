/**
 * List calls through the generated client (URL, query, auth and TLS stay the client's business),
 * returning the objects exactly as the server sent them.
 *
 * Why raw: the generated client deserializes lists into model classes, dropping fields it does not
 * know and turning timestamps into Dates, while watch events arrive as plain JSON. Handing the
 * parsers the same raw JSON from both paths means a Service cannot parse one way when listed and
 * another way when watched. The body is parsed once here; the client gets an empty list to chew.
 *
 * Why a timeout: a list the server accepts and never answers would otherwise hang the informer
 * forever without an error to restart on. It runs on the injected clock, and is cancelled as soon
 * as the list settles, so a finished list leaves no timer behind (`--once` exits right away).
 */
import {
  Observable, ResponseContext, type ConfigurationOptions, type KubernetesListObject, type KubernetesObject,
} from '@kubernetes/client-node';
import { abortAfter, type Clock } from '../../clock.ts';
import { ProxierError } from '../../errors.ts';
import { ApiTimeoutError } from './errors.ts';

export type RawObject = KubernetesObject & Record<string, unknown>;
export type RawList = KubernetesListObject<RawObject>;

const EMPTY_LIST = '{"items":[]}';

/** A lister; `stop` aborts the request (the informer is stopping), without counting as a timeout. */
export type RawLister = (stop: AbortSignal) => Promise<RawList>;

export function rawLister(what: string, call: (options: ConfigurationOptions) => Promise<unknown>, timeoutMs: number, clock: Clock): RawLister {
  return async (stop) => {
    let raw: unknown;
    const timeout = abortAfter(clock, timeoutMs);
    const signal = AbortSignal.any([timeout.signal, stop]);
    // 'append' keeps the client's own middleware (the User-Agent header).
    const options: ConfigurationOptions = {
      middlewareMergeStrategy: 'append',
      middleware: [{
        pre: (ctx) => {
          ctx.setSignal(signal);
          return new Observable(Promise.resolve(ctx));
        },
        post: (res) => new Observable((async () => {
          if (res.httpStatusCode < 200 || res.httpStatusCode > 299) return res;
          raw = JSON.parse(await res.body.text());
          return new ResponseContext(res.httpStatusCode, res.headers, {
            text: () => Promise.resolve(EMPTY_LIST),
            binary: () => Promise.resolve(Buffer.from(EMPTY_LIST)),
            stream: () => null,
          });
        })()),
      }],
    };
    try {
      await call(options);
    } catch (error) {
      if (timeout.signal.aborted) throw new ApiTimeoutError({ operation: `list ${what}`, cause: error }, timeoutMs);
      throw error;
    } finally {
      timeout.cancel();
    }
    return toRawList(raw, what);
  };
}

function toRawList(raw: unknown, what: string): RawList {
  const list = raw as Partial<RawList> | undefined;
  if (list === undefined || !Array.isArray(list.items)) throw new ProxierError('ERR_API_RESPONSE', `list ${what}: the response has no items`, { operation: `list ${what}` });
  return { ...list, items: list.items };
}
