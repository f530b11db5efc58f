/**
 * The engine's phases on the real kernel layer: cold sync into an empty kernel, no-op resyncs
 * (partial and full), then single-endpoint changes one at a time, each followed by a sync.
 */
import { release } from 'node:os';
import { pino } from 'pino';
import { desiredSysctls, parseKernelRelease } from '../src/desired/sysctls.ts';
import { Proxier } from '../src/engine/proxier.ts';
import { openKernel } from '../src/kernel/open.ts';
import { familyConfig } from '../test/helpers/objects.ts';
import type { BenchOptions } from './args.ts';
import type { BaselineResult } from './baseline.ts';
import type { Measured } from './report.ts';
import { memory } from './memory.ts';
import { percentile } from './stats.ts';
import { KernelTimings, round, timedKernel } from './timed-kernel.ts';
import { countKernel, expectCounts, type KernelCounts } from './verify.ts';
import { CLUSTER_CIDR, NODE, benchEndpoints, random, sliceOf, type BenchService, type PodAddresses } from './workload.ts';

export interface EngineInput {
  readonly workload: BenchService[];
  readonly options: BenchOptions;
  readonly pods: PodAddresses;
  readonly expected: KernelCounts;
  readonly log: (msg: string) => void;
}

type EngineMeasured = Omit<Measured, 'services' | 'endpoints' | 'destinations' | 'changes' | keyof BaselineResult | 'peak_rss_mib'>;

export async function measureEngine(input: EngineInput): Promise<EngineMeasured> {
  const timings = new KernelTimings();
  const kernel = await openKernel({ iptablesBackend: 'legacy' });
  try {
    const proxier = new Proxier({
      kernel: timedKernel(kernel, timings),
      families: [familyConfig({ nodeName: NODE, clusterCIDR: CLUSTER_CIDR })],
      logger: pino({ level: 'silent' }),
      sysctls: desiredSysctls({ strictARP: false, kernelVersion: parseKernelRelease(release()) }),
    });
    for (const s of input.workload) {
      proxier.onServiceUpdate(undefined, s.service);
      proxier.onEndpointSliceUpdate(undefined, s.slice);
    }
    const cold = await timedSync(proxier, {});
    input.log(`cold sync ${round(cold.ms)} ms, ${cold.writes} writes; memory: ${memory()}`);
    const coldKernelMs = timings.wallMs();
    const coldKernel = timings.toJSON();
    expectCounts('after the cold sync', countKernel(), input.expected);

    const noop = await timedSync(proxier, {});
    const noopFull = await timedSync(proxier, { full: true });
    input.log(`no-op ${round(noop.ms)} ms / ${noop.writes} writes; full ${round(noopFull.ms)} ms / ${noopFull.writes} writes`);

    input.log(`memory after the no-op syncs: ${memory()}`);
    const changes = await measureChanges(proxier, input, timings);
    const final = await timedSync(proxier, { full: true });
    input.log(`final full sync ${round(final.ms)} ms / ${final.writes} writes; memory: ${memory()}`);
    expectCounts('after the endpoint changes', countKernel(), input.expected);
    return {
      cold_sync_ms: round(cold.ms),
      cold_sync_writes: cold.writes,
      cold_sync_kernel_ms: coldKernel,
      cold_sync_compute_ms: round(cold.ms - coldKernelMs),
      noop_writes: noop.writes,
      noop_ms: round(noop.ms),
      noop_full_writes: noopFull.writes,
      noop_full_ms: round(noopFull.ms),
      ...changes,
      final_full_writes: final.writes,
    };
  } finally {
    await kernel.close();
  }
}

type ChangeResult = Pick<EngineMeasured, 'change_p50_ms' | 'change_p99_ms' | 'change_max_ms' | 'change_writes_max' | 'change_max_kernel_ms'>;

async function measureChanges(proxier: Proxier, input: EngineInput, timings: KernelTimings): Promise<ChangeResult> {
  const next = random(input.options.seed);
  const samples: number[] = [];
  let writesMax = 0;
  let slowest: ChangeResult['change_max_kernel_ms'] = {};
  for (let k = 0; k < input.options.changes; k++) {
    const target = input.workload[Math.floor(next() * input.workload.length)];
    const slot = Math.floor(next() * input.options.endpoints);
    const endpoints = target === undefined ? [] : benchEndpoints(target.slice);
    const old = endpoints[slot];
    if (target === undefined || old === undefined) throw new RangeError('random pick outside the workload');
    // The replacement runs on the same node, so a local endpoint's KUBE-LOOP-BACK entry changes too.
    endpoints[slot] = { ip: input.pods.take(), node: old.node };
    const previous = target.slice;
    target.slice = sliceOf(target.service.name, endpoints);
    proxier.onEndpointSliceUpdate(previous, target.slice);
    timings.reset();
    const { ms, writes } = await timedSync(proxier, {});
    if (samples.every((s) => s < ms)) slowest = timings.toJSON();
    samples.push(ms);
    writesMax = Math.max(writesMax, writes);
  }
  input.log(`${samples.length} endpoint changes, max ${writesMax} writes each; memory: ${memory()}`);
  return {
    change_p50_ms: round(percentile(samples, 50)),
    change_p99_ms: round(percentile(samples, 99)),
    change_max_ms: round(Math.max(...samples)),
    change_writes_max: writesMax,
    change_max_kernel_ms: slowest,
  };
}

/**
 * One sync, wall-timed; a sync that reports failures invalidates the benchmark. Only the numbers
 * are kept: the report holds the sync's plans (110k IPVS operations for the cold sync), which the
 * daemon drops after logging, so holding it here would charge the engine for the benchmark.
 */
async function timedSync(proxier: Proxier, options: { full?: boolean }): Promise<{ ms: number; writes: number }> {
  const started = performance.now();
  const report = await proxier.sync(options);
  const ms = performance.now() - started;
  if (report.failures.length > 0) {
    const first = report.failures[0];
    throw new Error(`sync reported ${report.failures.length} failure(s), first in step ${first?.step}: ${first?.error.message}`, { cause: first?.error });
  }
  return { ms, writes: report.writes };
}
