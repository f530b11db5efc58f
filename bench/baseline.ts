/**
 * The C-tool baseline: the same IPVS table and ipset members the engine programs, written from
 * files by `ipvsadm -R` and `ipset restore` (plus `ip -batch` for the kube-ipvs0 addresses, as
 * context). They run in a fresh network namespace (bench/phase.ts), each timed as the wall time of
 * its whole process, spawned from Node like the engine's own restore tools.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { round } from './timed-kernel.ts';
import { countKernel, expectCounts, type KernelCounts } from './verify.ts';
import { NODE, SERVICE_PORT, TARGET_PORT, benchEndpoints, clusterIP, type BenchService } from './workload.ts';

export interface BaselineResult {
  ipvsadm_restore_ms: number;
  ipset_restore_ms: number;
  ip_batch_ms: number;
}

export function measureBaseline(workload: readonly BenchService[], want: KernelCounts, log: (msg: string) => void): BaselineResult {
  const dir = mkdtempSync(join(tmpdir(), 'ipvs-bench-'));
  try {
    const files = writeBaselineFiles(dir, workload);
    execFileSync('ip', ['link', 'add', 'kube-ipvs0', 'type', 'dummy']);
    const result = {
      ipvsadm_restore_ms: round(timeTool('ipvsadm', ['-R'], files.ipvsadm)),
      ipset_restore_ms: round(timeTool('ipset', ['restore'], files.ipset)),
      ip_batch_ms: round(timeTool('ip', ['-batch', '-'], files.ipBatch)),
    };
    log(`ipvsadm -R ${result.ipvsadm_restore_ms} ms, ipset restore ${result.ipset_restore_ms} ms, ip -batch ${result.ip_batch_ms} ms`);
    expectCounts('after ipvsadm -R / ipset restore / ip -batch', countKernel(), want);
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface BaselineFiles {
  readonly ipvsadm: string;
  readonly ipset: string;
  readonly ipBatch: string;
}

const CREATE = (name: string, type: string): string => `create ${name} ${type} family inet hashsize 1024 maxelem 65536`;

export function writeBaselineFiles(dir: string, workload: readonly BenchService[]): BaselineFiles {
  const ipvs: string[] = [];
  const clusterIPs: string[] = [];
  const loopBack: string[] = [];
  const ips: string[] = [];
  const addrs: string[] = [];
  workload.forEach((s, i) => {
    const vip = clusterIP(i);
    const endpoints = benchEndpoints(s.slice);
    ipvs.push(`-A -t ${vip}:${SERVICE_PORT} -s rr`);
    for (const e of endpoints) ipvs.push(`-a -t ${vip}:${SERVICE_PORT} -r ${e.ip}:${TARGET_PORT} -m -w 1`);
    clusterIPs.push(`add KUBE-CLUSTER-IP ${vip},tcp:${SERVICE_PORT}`);
    for (const e of endpoints) if (e.node === NODE) loopBack.push(`add KUBE-LOOP-BACK ${e.ip},tcp:${TARGET_PORT},${e.ip}`);
    ips.push(`add KUBE-IPVS-IPS ${vip}`);
    addrs.push(`address add ${vip}/32 dev kube-ipvs0`);
  });
  const files = { ipvsadm: join(dir, 'ipvsadm.rules'), ipset: join(dir, 'ipset.rules'), ipBatch: join(dir, 'ip.batch') };
  writeFileSync(files.ipvsadm, lines(ipvs));
  writeFileSync(files.ipset, lines([
    CREATE('KUBE-LOOP-BACK', 'hash:ip,port,ip'), CREATE('KUBE-CLUSTER-IP', 'hash:ip,port'), CREATE('KUBE-IPVS-IPS', 'hash:ip'),
    ...loopBack, ...clusterIPs, ...ips,
  ]));
  writeFileSync(files.ipBatch, lines(addrs));
  return files;
}

/** Runs `command args < input` and returns its wall time in ms; any failure aborts the benchmark. */
export function timeTool(command: string, args: readonly string[], input: string): number {
  const fd = openSync(input, 'r');
  try {
    const started = performance.now();
    const r = spawnSync(command, args, { stdio: [fd, 'ignore', 'pipe'], encoding: 'utf8' });
    const ms = performance.now() - started;
    if (r.error !== undefined) throw r.error;
    if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} < ${input} exited ${String(r.status)}: ${r.stderr}`);
    return ms;
  } finally {
    closeSync(fd);
  }
}

function lines(list: readonly string[]): string {
  return `${list.join('\n')}\n`;
}
