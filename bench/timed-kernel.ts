/**
 * A Kernel whose every async subsystem call is timed, so a sync's time splits into kernel I/O per
 * subsystem method (ipvs.apply, links.changeAddresses, ipset.apply, …) and engine compute (the
 * rest). Calls that the engine issues concurrently (the full sync's kernel reads) overlap in wall time.
 */
import type { Kernel } from '../src/kernel/kernel.ts';

export interface CallTiming {
  calls: number;
  ms: number;
}

export class KernelTimings {
  readonly byMethod = new Map<string, CallTiming>();
  readonly #intervals: [number, number][] = [];

  reset(): void {
    this.byMethod.clear();
    this.#intervals.length = 0;
  }

  record(method: string, started: number, ended: number): void {
    const t = this.byMethod.get(method) ?? { calls: 0, ms: 0 };
    t.calls += 1;
    t.ms += ended - started;
    this.byMethod.set(method, t);
    this.#intervals.push([started, ended]);
  }

  /** Wall time with at least one kernel call in flight (concurrent calls counted once). */
  wallMs(): number {
    const sorted = [...this.#intervals].sort((a, b) => a[0] - b[0]);
    let total = 0;
    let end = Number.NEGATIVE_INFINITY;
    for (const [s, e] of sorted) {
      if (e <= end) continue;
      total += e - Math.max(s, end);
      end = e;
    }
    return total;
  }

  toJSON(): Record<string, CallTiming> {
    return Object.fromEntries([...this.byMethod].map(([k, t]) => [k, { calls: t.calls, ms: round(t.ms) }]));
  }
}

export function timedKernel(kernel: Kernel, timings: KernelTimings): Kernel {
  return {
    ipvs: timed('ipvs', kernel.ipvs, timings),
    links: timed('links', kernel.links, timings),
    ipset: timed('ipset', kernel.ipset, timings),
    iptables: timed('iptables', kernel.iptables, timings),
    sysctl: timed('sysctl', kernel.sysctl, timings),
  };
}

function timed<T extends object>(subsystem: string, target: T, timings: KernelTimings): T {
  return new Proxy(target, {
    get(obj, prop) {
      const value: unknown = Reflect.get(obj, prop, obj);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      const method = `${subsystem}.${prop}`;
      // Called with the real object as `this`: the implementations keep state in #private fields.
      return (...args: unknown[]): unknown => {
        const started = performance.now();
        const result: unknown = Reflect.apply(value as (...a: unknown[]) => unknown, obj, args);
        if (!(result instanceof Promise)) {
          timings.record(method, started, performance.now());
          return result;
        }
        return result.finally(() => timings.record(method, started, performance.now()));
      };
    },
  });
}

export function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
