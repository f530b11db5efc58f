/**
 * The demo, run inside the sandbox by scripts/demo: three "pods" answer HTTP with their own name;
 * the ipvs-proxier daemon runs on a copy of manifests/examples/; traffic goes to the ClusterIP from
 * the node and from a pod; the EndpointSlice is scaled down and up and the incremental plan and the
 * traffic follow it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { tool } from '../sandbox/tools.ts';
import { httpFrom, startPodNetwork, type PodNetwork } from '../sandbox/topology.ts';

const root = new URL('..', import.meta.url).pathname;
const NODE = 'demo-node';
const VIP = '10.96.0.10';

function heading(text: string): void {
  process.stdout.write(`\n\x1b[1m== ${text}\x1b[0m\n`);
}

function show(label: string, answers: string[]): void {
  process.stdout.write(`${label}: ${answers.join(' ')}\n`);
}

/** Starts the daemon and yields each sync's plan text as the daemon logs it (debug level). */
function startDaemon(dir: string): { child: ChildProcess; nextSync: () => Promise<string> } {
  const child = spawn(process.execPath, [
    join(root, 'bin/ipvs-proxier.js'), '--manifests', dir, '--hostname-override', NODE, '--cluster-cidr', '10.244.0.0/16',
    '--iptables-backend', 'legacy', '--ipvs-min-sync-period', '200ms', '--v', '3',
  ], { stdio: ['ignore', 'inherit', 'pipe'] });
  const waiting: ((plan: string) => void)[] = [];
  let plan = '';
  createInterface({ input: child.stderr }).on('line', (line) => {
    let entry: { msg?: string; plan?: string; level?: number };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      process.stderr.write(`${line}\n`);
      return;
    }
    if (entry.msg === 'plan') plan += entry.plan ?? '';
    if (entry.msg?.startsWith('sync') === true) {
      waiting.shift()?.(plan);
      plan = '';
    }
    if ((entry.level ?? 0) >= 40) process.stderr.write(`${line}\n`);
  });
  const nextSync = () => new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the daemon did not sync within 20 s')), 20_000);
    waiting.push((p) => { clearTimeout(timer); resolve(p); });
  });
  return { child, nextSync };
}

function setEndpoints(file: string, source: string, count: number): void {
  // The first EndpointSlice document lists web's pods; keep the first `count` of its three.
  const [web, ...rest] = source.split('\n---\n');
  const lines = (web ?? '').split('\n');
  const start = lines.findIndex((l) => l.startsWith('endpoints:'));
  const kept = lines.slice(0, start + 1 + 3 * count);
  writeFileSync(file, [kept.join('\n'), ...rest].join('\n---\n'));
}

async function main(): Promise<void> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'ipvs-demo-'));
  cpSync(join(root, 'manifests/examples'), dir, { recursive: true });
  const slices = join(dir, 'web-endpoints.yaml');
  const original = readFileSync(slices, 'utf8');
  let net: PodNetwork | undefined;
  let daemon: ChildProcess | undefined;
  try {
    heading('Pods: three network namespaces on bridge cbr0, each serving HTTP on :8080 with its own name');
    net = await startPodNetwork(['10.244.0.11', '10.244.0.12', '10.244.0.13'].map((ip, i) => ({ name: `pod-${i + 1}`, ip })));
    for (const p of net.pods) process.stdout.write(`${p.name}  ${p.ip}\n`);

    heading(`ipvs-proxier --manifests ${dir}  (services from manifests/examples/)`);
    const d = startDaemon(dir);
    daemon = d.child;
    const firstPlan = await d.nextSync();
    process.stdout.write(firstPlan);

    heading(`Traffic to the ClusterIP ${VIP}:80 (each request is a new connection)`);
    show('from the node ', httpFrom(undefined, VIP, 80, 6));
    show('from pod-1    ', httpFrom('pod-1', VIP, 80, 6));
    show('sticky (ClientIP affinity) from pod-2', httpFrom('pod-2', '10.96.0.11', 80, 4));

    heading('ipvsadm -Ln');
    process.stdout.write(tool('ipvsadm', '-Ln'));

    heading('Scale web down to one pod: edit the EndpointSlice manifest');
    setEndpoints(slices, original, 1);
    process.stdout.write(`incremental plan:\n${await d.nextSync()}`);
    show('from the node ', httpFrom(undefined, VIP, 80, 4));

    heading('Scale web back up to three pods');
    writeFileSync(slices, original);
    process.stdout.write(`incremental plan:\n${await d.nextSync()}`);
    show('from the node ', httpFrom(undefined, VIP, 80, 6));

    heading('Stop the daemon (SIGTERM): like kube-proxy, it leaves the data plane in place');
    daemon.kill('SIGTERM');
    await new Promise((resolve) => daemon?.once('exit', resolve));
    daemon = undefined;
    show('from the node, daemon stopped', httpFrom(undefined, VIP, 80, 3));
    process.stdout.write(`\ndemo finished in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  } finally {
    daemon?.kill('SIGKILL');
    net?.teardown();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
