/**
 * `npm run bench`: the engine against the real kernel at scale, in one sandbox boot. Progress goes
 * to stderr; stdout carries only the table, or with --json one JSON object. Exits non-zero only
 * when something is wrong (a failed write, a kernel state that does not match); a missed target is
 * a result, reported as MISS.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBenchArgs } from './args.ts';
import { timeTool, writeBaselineFiles } from './baseline.ts';
import { measureEngine } from './engine.ts';
import { formatTable, withTargets } from './report.ts';
import { round } from './timed-kernel.ts';
import { countKernel, expectCounts, type KernelCounts } from './verify.ts';
import { NODE, PodAddresses, buildWorkload, type BenchService } from './workload.ts';

if (process.env['IPVS_PROXIER_SANDBOX'] !== '1') {
  process.stderr.write('bench: run it inside the sandbox: npm run bench (scripts/sandbox node bench/run.ts)\n');
  process.exit(2);
}
// Imported only inside the sandbox: it drives the Debian tools of the sandbox kernel.
const { resetProxierState } = await import('../test/sandbox/reset.ts');
const { tool } = await import('../test/sandbox/require-sandbox.ts');

const options = parseBenchArgs(process.argv.slice(2));
const log = (msg: string): void => { process.stderr.write(`bench: ${msg}\n`); };

const pods = new PodAddresses();
let started = performance.now();
const workload = buildWorkload(options.services, options.endpoints, options.nodes, pods);
log(`workload: ${options.services} services × ${options.endpoints} endpoints built in ${round(performance.now() - started)} ms`);
const expected = expectedCounts(workload);

resetProxierState();
const baseline = measureBaseline(workload, expected);
log(`ipvsadm -R ${baseline.ipvsadm} ms, ipset restore ${baseline.ipset} ms, ip -batch ${baseline.ip} ms`);
resetProxierState();

started = performance.now();
const engine = await measureEngine({ workload, options, pods, expected, log });
log(`engine phases done in ${round(performance.now() - started)} ms`);
resetProxierState();

const result = withTargets({
  services: options.services,
  endpoints: options.endpoints,
  destinations: options.services * options.endpoints,
  changes: options.changes,
  ...engine,
  ipvsadm_restore_ms: baseline.ipvsadm,
  ipset_restore_ms: baseline.ipset,
  ip_batch_ms: baseline.ip,
  peak_rss_mib: peakRssMiB(),
});
process.stdout.write(options.json ? `${JSON.stringify(result)}\n` : formatTable(result));

function measureBaseline(services: readonly BenchService[], want: KernelCounts): { ipvsadm: number; ipset: number; ip: number } {
  const dir = mkdtempSync(join(tmpdir(), 'ipvs-bench-'));
  try {
    const files = writeBaselineFiles(dir, services);
    tool('ip', 'link', 'add', 'kube-ipvs0', 'type', 'dummy');
    const ipvsadm = round(timeTool('ipvsadm', ['-R'], files.ipvsadm));
    const ipset = round(timeTool('ipset', ['restore'], files.ipset));
    const ip = round(timeTool('ip', ['-batch', '-'], files.ipBatch));
    expectCounts('after ipvsadm -R / ipset restore / ip -batch', countKernel(), want);
    return { ipvsadm, ipset, ip };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

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
