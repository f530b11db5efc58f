/**
 * The C-tool baseline: the same IPVS table and ipset members the engine programs, written from
 * files by `ipvsadm -R` and `ipset restore` (plus `ip -batch` for the kube-ipvs0 addresses, as
 * context). Each runs into a clean kernel and is timed as the wall time of the whole process.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE, SERVICE_PORT, TARGET_PORT, clusterIP, type BenchService } from './workload.ts';

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
    ipvs.push(`-A -t ${vip}:${SERVICE_PORT} -s rr`);
    for (const e of s.endpoints) ipvs.push(`-a -t ${vip}:${SERVICE_PORT} -r ${e.ip}:${TARGET_PORT} -m -w 1`);
    clusterIPs.push(`add KUBE-CLUSTER-IP ${vip},tcp:${SERVICE_PORT}`);
    for (const e of s.endpoints) if (e.node === NODE) loopBack.push(`add KUBE-LOOP-BACK ${e.ip},tcp:${TARGET_PORT},${e.ip}`);
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
