/**
 * One measured phase, run by bench/run.ts as its own process inside a fresh network namespace:
 *   node bench/phase.ts baseline|engine [bench flags]
 * prints one JSON object on stdout. A fresh namespace per phase gives each writer the same empty
 * kernel: in Linux 6.1 every deleted IPVS destination stays on the namespace's trash list for one
 * to three minutes, and every add-destination scans that list, so a phase that ran after another
 * phase's flush in the same namespace was measured up to 20x slower (docs/benchmarks.md).
 */
import { readFileSync } from 'node:fs';
import { parseBenchArgs } from './args.ts';
import { measureBaseline } from './baseline.ts';
import { measureEngine } from './engine.ts';
import { round } from './timed-kernel.ts';
import { NODE, PodAddresses, buildWorkload, type BenchService } from './workload.ts';
import type { KernelCounts } from './verify.ts';

if (process.env['IPVS_PROXIER_SANDBOX'] !== '1') {
  process.stderr.write('bench: run it inside the sandbox: npm run bench\n');
  process.exit(2);
}
const { resetProxierState } = await import('../test/sandbox/reset.ts');

const [phase, ...flags] = process.argv.slice(2);
if (phase !== 'baseline' && phase !== 'engine') throw new RangeError(`unknown phase ${String(phase)}: baseline or engine`);
const options = parseBenchArgs(flags);
const log = (msg: string): void => { process.stderr.write(`bench[${phase}]: ${msg}\n`); };

const pods = new PodAddresses();
const workload = buildWorkload(options.services, options.endpoints, options.nodes, pods);
const expected = expectedCounts(workload);
log(`workload built; memory: rss ${round(process.memoryUsage().rss / 1048576)} MiB, heap used ${round(process.memoryUsage().heapUsed / 1048576)} MiB`);
resetProxierState();
let result: object;
if (phase === 'baseline') {
  result = measureBaseline(workload, expected, log);
} else {
  result = { ...(await measureEngine({ workload, options, pods, expected, log })), peak_rss_mib: peakRssMiB() };
}
resetProxierState();
process.stdout.write(`${JSON.stringify(result)}\n`);

function expectedCounts(services: readonly BenchService[]): KernelCounts {
  const local = services.reduce((n, s) => n + s.endpoints.filter((e) => e.node === NODE).length, 0);
  return {
    virtualServers: services.length,
    destinations: services.reduce((n, s) => n + s.endpoints.length, 0),
    addresses: services.length,
    sets: { 'KUBE-CLUSTER-IP': services.length, 'KUBE-LOOP-BACK': local, 'KUBE-IPVS-IPS': services.length },
  };
}

/** The larger of the kernel's two views of this process's peak resident set, in MiB. */
function peakRssMiB(): number {
  const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return round(Math.max(process.resourceUsage().maxRSS, Number(hwm ?? 0)) / 1024);
}
