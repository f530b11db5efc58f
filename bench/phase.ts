/**
 * One measured phase, run by bench/run.ts as its own process inside a fresh network namespace:
 *   node bench/phase.ts baseline|engine [bench flags]
 * prints one JSON object on stdout. A fresh namespace per phase gives each writer the same empty
 * kernel: in Linux 6.1 every deleted IPVS destination stays on the namespace's trash list for one
 * to three minutes, and every add-destination scans that list, so a phase that ran after another
 * phase's flush in the same namespace was measured up to 20x slower (docs/benchmarks.md).
 */
import { parseBenchArgs } from './args.ts';
import { measureBaseline } from './baseline.ts';
import { measureEngine } from './engine.ts';
import { memory, peakRssMiB } from './memory.ts';
import { NODE, PodAddresses, buildWorkload, endpointsOf, type BenchService } from './workload.ts';
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
log(`workload built; memory: ${memory()}`);
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
  const local = services.reduce((n, s) => n + endpointsOf(s.slice).filter((e) => e.nodeName === NODE).length, 0);
  return {
    virtualServers: services.length,
    destinations: services.reduce((n, s) => n + endpointsOf(s.slice).length, 0),
    addresses: services.length,
    sets: { 'KUBE-CLUSTER-IP': services.length, 'KUBE-LOOP-BACK': local, 'KUBE-IPVS-IPS': services.length },
  };
}
