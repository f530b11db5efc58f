/**
 * 100,000+ IPVS operations through ONE netlink socket. netlink 0.3.0 aborts the process on an
 * asynchronous ENOBUFS (replies overflowing the receive buffer); the socket's reply budget must make
 * that impossible, including the worst case where every message fails and its error reply echoes it.
 *
 * The heavy part runs as a child process (this same file, with IPVS_PROXIER_STRESS_WORKER=1) in
 * its own network namespace, deleted afterwards. Linux keeps deleted IPVS destinations on the
 * namespace's trash list for up to 120 s and every later add-destination scans that list, so 50k
 * deletions in the boot's namespace slowed every later IPVS-writing test file (docs/benchmarks.md).
 */
import { tool } from './require-sandbox.ts';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Errno, KernelError } from '../../src/errors.ts';
import { openNetlinkIpvs } from '../../src/kernel/ipvs/netlink.ts';
import type { Ipvs, IpvsOperation, RealServer, VirtualServerKey } from '../../src/kernel/ipvs/types.ts';

const N = 50_000;
const service: VirtualServerKey = { kind: 'address', family: 4, protocol: 'TCP', address: '10.97.0.1', port: 80 };
const dest = (i: number): RealServer => ({
  family: 4, address: `10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`, port: 8080, forward: 'masq', weight: 1, upperThreshold: 0, lowerThreshold: 0,
});
/** `ipvsadm -Sn` line count (its output for 50k destinations is ~2.3 MB, above execFileSync's default 1 MiB). */
const lines = (): number =>
  execFileSync('ipvsadm', ['-Sn'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).split('\n').filter(Boolean).length;

const WORKER_ENV = 'IPVS_PROXIER_STRESS_WORKER';
const NETNS = 'ipvs-stress';

if (process.env[WORKER_ENV] === '1') stressInThisNamespace();
else inOwnNamespace();

function inOwnNamespace(): void {
  test('the stress run, in a network namespace of its own (deleted afterwards, with its IPVS trash)', () => {
    tool('ip', 'netns', 'add', NETNS);
    try {
      // Without lo up the namespace has no local routing table and IPVS refuses every destination.
      tool('ip', '-n', NETNS, 'link', 'set', 'lo', 'up');
      const env: NodeJS.ProcessEnv = { ...process.env, [WORKER_ENV]: '1' };
      // Set by `node --test` for its children: without it the worker reports in plain text.
      delete env['NODE_TEST_CONTEXT'];
      const r = spawnSync('ip', ['netns', 'exec', NETNS, process.execPath, fileURLToPath(import.meta.url)], {
        env, encoding: 'utf8', timeout: 15 * 60_000, maxBuffer: 16 * 1024 * 1024,
      });
      assert.equal(r.error, undefined);
      // The worker is a node:test run of its own: exit 0 means every assertion below held and the
      // process survived 120k+ operations on one socket.
      assert.equal(r.status, 0, `stress worker exited ${String(r.status ?? r.signal)}\n${r.stdout}\n${r.stderr}`);
      const summary = /^# stress: .*$/m.exec(r.stdout)?.[0];
      assert.ok(summary?.startsWith(`# stress: ${N + 1} adds`), `no stress summary in the worker's output:\n${r.stdout}`);
      process.stdout.write(`${summary}\n`);
    } finally {
      tool('ip', 'netns', 'del', NETNS);
    }
  });
}

function stressInThisNamespace(): void {
  let ipvs: Ipvs;

  before(async () => {
    tool('ipvsadm', '-C');
    // One socket: dumps and writes share it.
    ipvs = await openNetlinkIpvs({ dumpConcurrency: 1 });
  });

  after(async () => {
    await ipvs.close();
    tool('ipvsadm', '-C');
  });

  test(`1 service + ${N} add-destination + ${N} delete-destination through one socket`, async () => {
    const started = performance.now();
    const adds: IpvsOperation[] = [
      { op: 'addService', service: { key: service, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff } },
      ...Array.from({ length: N }, (_, i): IpvsOperation => ({ op: 'addDestination', service, destination: dest(i) })),
    ];
    const added = await ipvs.apply(adds);
    const addMs = performance.now() - started;
    assert.equal(added.attempted, N + 1);
    assert.deepEqual(added.failures, []);
    assert.equal(lines(), N + 1);

    const dumpStarted = performance.now();
    const dump = await ipvs.dump();
    const dumpMs = performance.now() - dumpStarted;
    assert.equal(dump[0]?.destinations.length, N);

    // Worst case for the receive buffer: every message fails, and every error reply echoes it.
    const errStarted = performance.now();
    const dupes = await ipvs.apply(adds.slice(1, 20_001));
    const errMs = performance.now() - errStarted;
    assert.equal(dupes.failures.length, 20_000);
    assert.ok(dupes.failures.every((f, i) => f.index === i && f.error instanceof KernelError && f.error.errno === Errno.EEXIST));

    const delStarted = performance.now();
    const deleted = await ipvs.apply(Array.from({ length: N }, (_, i): IpvsOperation => ({ op: 'deleteDestination', service, destination: dest(i) })));
    const delMs = performance.now() - delStarted;
    assert.deepEqual(deleted.failures, []);
    assert.equal(lines(), 1);
    assert.deepEqual(await ipvs.listDestinations(service), []);
    process.stdout.write(
      `# stress: ${N + 1} adds ${Math.round(addMs)} ms, dump of ${N} dests ${Math.round(dumpMs)} ms, ` +
      `20000 refused adds ${Math.round(errMs)} ms, ${N} deletes ${Math.round(delMs)} ms, total ${Math.round(performance.now() - started)} ms\n`,
    );
  });
}
