/**
 * The generic netlink IPVS backend against the real kernel, checked with Debian's ipvsadm.
 */
import { tool, toolQuiet } from './require-sandbox.ts';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { once } from 'node:events';
import { Errno, KernelError, ValidationError } from '../../src/errors.ts';
import { openNetlinkIpvs } from '../../src/kernel/ipvs/netlink.ts';
import { ipvsContract } from '../contract/ipvs.ts';
import type { Ipvs, IpvsOperation, RealServer, VirtualServer, VirtualServerKey } from '../../src/kernel/ipvs/types.ts';

let ipvs: Ipvs;
let savedTimeouts: string;

const saved = (): string[] => tool('ipvsadm', '-Sn').split('\n').filter(Boolean).sort();
const tcp = (address: string, port: number): VirtualServerKey => ({ kind: 'address', family: 4, protocol: 'TCP', address, port });
const svc = (key: VirtualServerKey, scheduler: string, extra: Partial<VirtualServer> = {}): VirtualServer =>
  ({ key, scheduler, flags: 0, timeout: 0, netmask: key.family === 4 ? 0xffffffff : 128, ...extra });
const dst = (address: string, port: number, extra: Partial<RealServer> = {}): RealServer =>
  ({ family: address.includes(':') ? 6 : 4, address, port, forward: 'masq', weight: 1, upperThreshold: 0, lowerThreshold: 0, ...extra });
const ok = async (ops: IpvsOperation[]): Promise<void> => {
  const result = await ipvs.apply(ops);
  assert.deepEqual(result.failures, []);
  assert.equal(result.attempted, ops.length);
};

const v4 = tcp('10.96.0.1', 443);
const v6: VirtualServerKey = { kind: 'address', family: 6, protocol: 'UDP', address: 'fd00::1', port: 53 };
const sctp: VirtualServerKey = { kind: 'address', family: 4, protocol: 'SCTP', address: '10.96.0.2', port: 80 };
const fw4: VirtualServerKey = { kind: 'fwmark', family: 4, fwmark: 7 };
const fw6: VirtualServerKey = { kind: 'fwmark', family: 6, fwmark: 8 };

before(async () => {
  tool('ipvsadm', '-C');
  savedTimeouts = tool('ipvsadm', '-L', '--timeout');
  ipvs = await openNetlinkIpvs({ timeoutMs: 20_000 });
});

after(async () => {
  await ipvs.close();
  tool('ipvsadm', '-C');
});

test('add services (TCP/UDP/SCTP, IPv4/IPv6, fwmark, persistence, mh-port) and destinations', async () => {
  await ok([
    { op: 'addService', service: svc(v4, 'rr') },
    { op: 'addService', service: svc(v6, 'mh', { flags: 0x10 | 0x1, timeout: 300 }) },
    { op: 'addService', service: svc(sctp, 'wlc') },
    { op: 'addService', service: svc(fw4, 'sh', { flags: 0x1, timeout: 60, netmask: 0xffffff00 }) },
    { op: 'addService', service: svc(fw6, 'rr') },
    { op: 'addDestination', service: v4, destination: dst('10.0.0.1', 8443) },
    { op: 'addDestination', service: v4, destination: dst('10.0.0.2', 8443, { weight: 0 }) },
    { op: 'addDestination', service: v6, destination: dst('fd00::10', 53, { forward: 'droute', weight: 3, upperThreshold: 10, lowerThreshold: 5 }) },
    { op: 'addDestination', service: sctp, destination: dst('10.0.0.3', 8080) },
    { op: 'addDestination', service: fw4, destination: dst('10.0.0.4', 0, { forward: 'tunnel', weight: 2 }) },
    { op: 'addDestination', service: fw6, destination: dst('fd00::2', 0, { forward: 'droute' }) },
  ]);
  assert.deepEqual(saved(), [
    '-A --sctp-service 10.96.0.2:80 -s wlc',
    '-A -f 7 -s sh -p 60 -M 255.255.255.0',
    '-A -f 8 -6 -s rr',
    '-A -t 10.96.0.1:443 -s rr',
    '-A -u [fd00::1]:53 -s mh -p 300 -b mh-port',
    '-a --sctp-service 10.96.0.2:80 -r 10.0.0.3:8080 -m -w 1',
    '-a -f 7 -r 10.0.0.4:0 -i -w 2 --tun-type ipip',
    '-a -f 8 -6 -r [fd00::2]:0 -g -w 1',
    '-a -t 10.96.0.1:443 -r 10.0.0.1:8443 -m -w 1',
    '-a -t 10.96.0.1:443 -r 10.0.0.2:8443 -m -w 0',
    '-a -u [fd00::1]:53 -r [fd00::10]:53 -g -w 3',
  ].sort());
  // Thresholds are not in -S output: compare with the --thresholds listing.
  assert.match(tool('ipvsadm', '-Ln', '--thresholds', '-u', '[fd00::1]:53'), /-> \[fd00::10\]:53\s+10\s+5\s+0\s+0/);

  const dump = await ipvs.dump();
  assert.equal(dump.length, 5);
  const six = dump.find((d) => d.service.key.kind === 'address' && d.service.key.family === 6);
  assert.deepEqual(six?.service.key, v6);
  assert.equal(six?.service.flags, 0x11, 'HASHED masked out');
  assert.equal(six?.service.timeout, 300);
  assert.equal(six?.service.netmask, 128);
  assert.deepEqual(six?.destinations.map((d) => [d.address, d.port, d.forward, d.weight, d.upperThreshold, d.lowerThreshold]), [['fd00::10', 53, 'droute', 3, 10, 5]]);
  const fw = dump.find((d) => d.service.key.kind === 'fwmark' && d.service.key.fwmark === 7);
  assert.equal(fw?.service.netmask, 0xffffff00);
  assert.deepEqual(fw?.destinations.map((d) => d.forward), ['tunnel']);
  assert.deepEqual((await ipvs.listDestinations(v4)).map((d) => d.address).sort(), ['10.0.0.1', '10.0.0.2']);
  assert.deepEqual((await ipvs.listServices()).map((s) => s.scheduler).sort(), ['mh', 'rr', 'rr', 'sh', 'wlc']);
});

test('update services and destinations in place, then delete', async () => {
  await ok([
    { op: 'updateService', service: svc(v4, 'wlc', { flags: 0x1, timeout: 120 }) },
    { op: 'updateDestination', service: v4, destination: dst('10.0.0.2', 8443, { weight: 5 }) },
    { op: 'updateService', service: svc(fw4, 'rr') },
  ]);
  const lines = saved();
  assert.ok(lines.includes('-A -t 10.96.0.1:443 -s wlc -p 120'), lines.join('\n'));
  assert.ok(lines.includes('-a -t 10.96.0.1:443 -r 10.0.0.2:8443 -m -w 5'));
  assert.ok(lines.includes('-A -f 7 -s rr'));
  await ok([
    { op: 'deleteDestination', service: v4, destination: { family: 4, address: '10.0.0.1', port: 8443 } },
    { op: 'deleteService', key: sctp },
    { op: 'deleteService', key: fw6 },
  ]);
  const after = saved();
  assert.ok(!after.some((l) => l.includes('10.0.0.1:8443') || l.includes('sctp') || l.includes('-f 8')), after.join('\n'));
  assert.ok(after.includes('-a -t 10.96.0.1:443 -r 10.0.0.2:8443 -m -w 5'));
});

test('refused operations come back as KernelError with errno; the rest of the batch applies', async () => {
  const before = saved();
  const ops: IpvsOperation[] = [
    { op: 'addService', service: svc(v4, 'rr') }, // 0 EEXIST
    { op: 'addService', service: svc(tcp('10.96.0.50', 80), 'rr') }, // 1 ok
    { op: 'addDestination', service: tcp('10.96.0.99', 80), destination: dst('10.0.0.9', 80) }, // 2 ESRCH
    { op: 'deleteDestination', service: v4, destination: { family: 4, address: '10.0.0.99', port: 1 } }, // 3 ENOENT
    { op: 'addService', service: svc(tcp('10.96.0.51', 80), 'twos') }, // 4 ENOENT (scheduler module missing in this kernel)
    { op: 'updateService', service: svc(tcp('10.96.0.98', 80), 'rr') }, // 5 ESRCH
    { op: 'addDestination', service: tcp('10.96.0.50', 80), destination: dst('10.0.0.50', 8080) }, // 6 ok
    { op: 'addDestination', service: v4, destination: dst('10.0.0.2', 8443) }, // 7 EEXIST
    { op: 'addService', service: svc(tcp('10.96.0.52', 80), 'rr', { netmask: 5 }) }, // 8 ok (IPv4 mask not checked by the kernel)
    { op: 'deleteService', key: tcp('10.96.0.97', 80) }, // 9 ESRCH
  ];
  const result = await ipvs.apply(ops);
  assert.equal(result.attempted, ops.length);
  const got = result.failures.map((f) => [f.index, f.error instanceof KernelError ? f.error.errno : f.error.constructor.name]);
  assert.deepEqual(got, [
    [0, Errno.EEXIST], [2, Errno.ESRCH], [3, Errno.ENOENT], [4, Errno.ENOENT], [5, Errno.ESRCH], [7, Errno.EEXIST],
    [9, Errno.ESRCH],
  ]);
  assert.ok(result.failures.every((f) => f.operation === ops[f.index ?? -1]));
  assert.equal(result.failures[0]?.error.object, 'TCP 10.96.0.1:443');
  const added = saved().filter((l) => !before.includes(l)).sort();
  assert.deepEqual(added, [
    '-A -t 10.96.0.50:80 -s rr',
    '-A -t 10.96.0.52:80 -s rr',
    '-a -t 10.96.0.50:80 -r 10.0.0.50:8080 -m -w 1',
  ]);
  // An invalid value rejects the whole call before anything is sent.
  await assert.rejects(ipvs.apply([ops[1]!, { op: 'addService', service: svc(tcp('999.1.1.1', 80), 'rr') }]), ValidationError);
  // A missing service dumps no destinations (the kernel's GET_DEST dump is empty, not an error).
  assert.deepEqual(await ipvs.listDestinations(tcp('10.96.0.99', 80)), []);
});

test('timeouts: GET/SET_CONFIG match ipvsadm --timeout; 0 leaves a value alone', async () => {
  const parse = (text: string): number[] => (/Timeout \(tcp tcpfin udp\): (\d+) (\d+) (\d+)/.exec(text) ?? []).slice(1).map(Number);
  const [tcpT, finT, udpT] = parse(savedTimeouts);
  assert.deepEqual(await ipvs.getTimeouts(), { tcp: tcpT, tcpFin: finT, udp: udpT });
  try {
    await ipvs.setTimeouts({ tcp: 1234, tcpFin: 0, udp: 77 });
    assert.deepEqual(parse(tool('ipvsadm', '-L', '--timeout')), [1234, finT, 77]);
    assert.deepEqual(await ipvs.getTimeouts(), { tcp: 1234, tcpFin: finT, udp: 77 });
  } finally {
    tool('ipvsadm', '--set', String(tcpT), String(finT), String(udpT));
  }
});

test('dump returns traffic stats and active/inactive counters as ipvsadm shows them', async (t) => {
  const vip = '10.250.0.1';
  const backend = '10.251.0.2';
  toolQuiet('ip', 'link', 'del', 'nlvip0');
  toolQuiet('ip', 'netns', 'del', 'nlbe');
  toolQuiet('ip', 'link', 'del', 'nlbe-h');
  tool('ip', 'link', 'add', 'nlvip0', 'type', 'dummy');
  tool('ip', 'addr', 'add', `${vip}/32`, 'dev', 'nlvip0');
  tool('ip', 'link', 'set', 'nlvip0', 'up');
  tool('ip', 'netns', 'add', 'nlbe');
  tool('ip', 'link', 'add', 'nlbe-h', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', 'nlbe');
  tool('ip', 'addr', 'add', '10.251.0.1/24', 'dev', 'nlbe-h');
  tool('ip', 'link', 'set', 'nlbe-h', 'up');
  for (const args of [['addr', 'add', `${backend}/24`, 'dev', 'eth0'], ['link', 'set', 'eth0', 'up'], ['link', 'set', 'lo', 'up'], ['route', 'add', 'default', 'via', '10.251.0.1']]) {
    tool('ip', 'netns', 'exec', 'nlbe', 'ip', ...args);
  }
  const server: ChildProcess = spawn('ip', ['netns', 'exec', 'nlbe', process.execPath, '-e',
    "require('net').createServer((s) => s.pipe(s)).listen(8080, () => process.stdout.write('ready\\n'))"], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => {
    server.kill();
    toolQuiet('ip', 'netns', 'del', 'nlbe');
    toolQuiet('ip', 'link', 'del', 'nlbe-h');
    toolQuiet('ip', 'link', 'del', 'nlvip0');
  });
  await once(server.stdout!, 'data');
  const key = tcp(vip, 80);
  await ok([{ op: 'addService', service: svc(key, 'rr') }, { op: 'addDestination', service: key, destination: dst(backend, 8080) }]);

  const exchange = async (keepOpen: boolean): Promise<net.Socket> => {
    const socket = net.connect(80, vip);
    await once(socket, 'connect');
    socket.write('hello');
    await once(socket, 'data');
    if (!keepOpen) {
      socket.end();
      await once(socket, 'close');
    }
    return socket;
  };
  for (let i = 0; i < 3; i++) await exchange(false);
  const held = await exchange(true);
  try {
    // Linux 6.1 reports service/dest stats from kstats, which the rate estimator refreshes from the
    // per-CPU counters every 2 s: poll until all four connections show up.
    const find = async () => (await ipvs.dump()).find((d) => d.service.key.kind === 'address' && d.service.key.address === vip);
    let entry = await find();
    for (let i = 0; i < 40 && (entry?.service.stats.connections ?? 0) < 4; i++) {
      await new Promise((r) => setTimeout(r, 250));
      entry = await find();
    }
    const dest = entry?.destinations[0];
    assert.ok(entry && dest);
    assert.equal(entry.service.stats.connections, 4);
    assert.ok(entry.service.stats.packetsIn >= 4 * 3 && entry.service.stats.bytesIn > 0 && entry.service.stats.bytesOut > 0, JSON.stringify(entry.service.stats));
    assert.equal(dest.stats.connections, 4);
    assert.equal(dest.activeConnections, 1);
    assert.ok(dest.inactiveConnections >= 1, `inactive ${dest.inactiveConnections}`);
    const listing = tool('ipvsadm', '-Ln', '-t', `${vip}:80`);
    assert.match(listing, new RegExp(`-> ${backend}:8080\\s+Masq\\s+1\\s+${dest.activeConnections}\\s+${dest.inactiveConnections}\\s`));
    const stats = tool('ipvsadm', '-Ln', '--stats', '--exact', '-t', `${vip}:80`);
    const row = stats.split('\n').find((l) => l.startsWith('TCP'))?.trim().split(/\s+/).slice(2).map(Number);
    const s = entry.service.stats;
    assert.deepEqual(row, [s.connections, s.packetsIn, s.packetsOut, s.bytesIn, s.bytesOut]);
  } finally {
    held.destroy();
    await ok([{ op: 'deleteService', key }]);
  }
});

// The behaviour every Ipvs backend shares (test/contract/ipvs.ts), against the real kernel.
ipvsContract('generic netlink', () => openNetlinkIpvs({ timeoutMs: 20_000 }), () => {
  tool('ipvsadm', '-C');
  return Promise.resolve();
});
