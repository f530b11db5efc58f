import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Errno, KernelError, ProxierError, ValidationError, hasErrno } from '../../../src/errors.ts';
import { FakeIpvs, fakeFromState } from '../../../src/kernel/ipvs/fake.ts';
import { ServiceFlag, type IpvsOperation, type RealServer, type VirtualServer, type VirtualServerKey } from '../../../src/kernel/ipvs/types.ts';
import { ipvsContract } from '../../contract/ipvs.ts';

let shared = new FakeIpvs();
ipvsContract('FakeIpvs', () => {
  shared = new FakeIpvs();
  return Promise.resolve(shared);
}, async () => {
  const services = await shared.listServices();
  await shared.apply(services.map((s) => ({ op: 'deleteService', key: s.key })));
});

const key: VirtualServerKey = { kind: 'address', family: 4, protocol: 'TCP', address: '10.96.0.1', port: 443 };
const key6: VirtualServerKey = { kind: 'address', family: 6, protocol: 'TCP', address: 'fd00::1', port: 443 };
const svc = (k: VirtualServerKey, extra: Partial<VirtualServer> = {}): VirtualServer =>
  ({ key: k, scheduler: 'rr', flags: 0, timeout: 0, netmask: k.family === 4 ? 0xffffffff : 128, ...extra });
const rs = (address: string, extra: Partial<RealServer> = {}): RealServer => ({
  family: address.includes(':') ? 6 : 4, address, port: 8443, forward: 'masq', weight: 1,
  upperThreshold: 0, lowerThreshold: 0, ...extra,
});

async function errnosOf(fake: FakeIpvs, ops: IpvsOperation[]): Promise<(number | undefined)[]> {
  const result = await fake.apply(ops);
  return result.failures.map((f) => (f.error instanceof KernelError ? f.error.errno : undefined));
}

describe('FakeIpvs kernel rules beyond the contract', () => {
  it('an IPv6 netmask outside 1..128 never reaches the kernel (which would answer EINVAL)', async () => {
    const fake = new FakeIpvs();
    await fake.apply([{ op: 'addService', service: svc(key6) }]);
    for (const op of [
      { op: 'addService', service: svc({ ...key6, address: 'fd00::2' }, { netmask: 0 }) },
      { op: 'addService', service: svc({ ...key6, address: 'fd00::3' }, { netmask: 129 }) },
      { op: 'updateService', service: svc(key6, { netmask: 200 }) },
    ] as const) {
      await assert.rejects(fake.apply([op]), (e) => e instanceof ValidationError && e.field === 'netmask');
    }
    assert.equal((await fake.listServices())[0]?.netmask, 128);
  });

  it('refuses a destination of the other family unless it tunnels, and checks the service first', async () => {
    const fake = new FakeIpvs();
    await fake.apply([{ op: 'addService', service: svc(key) }]);
    assert.deepEqual(await errnosOf(fake, [
      { op: 'addDestination', service: key, destination: rs('fd00::5') },
      { op: 'addDestination', service: key, destination: rs('fd00::5', { forward: 'tunnel', port: 443 }) },
      { op: 'addDestination', service: key6, destination: rs('10.0.0.5') },
    ]), [Errno.EINVAL, Errno.ESRCH]);
  });

  it('refuses a lower threshold above the upper one with ERANGE; a weight above INT_MAX never reaches it', async () => {
    const fake = new FakeIpvs();
    await fake.apply([{ op: 'addService', service: svc(key) }, { op: 'addDestination', service: key, destination: rs('10.0.0.5') }]);
    await assert.rejects(fake.apply([{ op: 'addDestination', service: key, destination: rs('10.0.0.6', { weight: 0x80000000 }) }]),
      (e) => e instanceof ValidationError && e.field === 'weight');
    assert.deepEqual(await errnosOf(fake, [
      { op: 'addDestination', service: key, destination: rs('10.0.0.7', { upperThreshold: 0, lowerThreshold: 50 }) },
      { op: 'updateDestination', service: key, destination: rs('10.0.0.5', { upperThreshold: 10, lowerThreshold: 50 }) },
      { op: 'addDestination', service: key, destination: rs('10.0.0.8', { weight: 0x7fffffff, upperThreshold: 50, lowerThreshold: 10 }) },
    ]), [Errno.ERANGE, Errno.ERANGE]);
  });

  it('never reports HASHED and canonicalizes addresses', async () => {
    const fake = new FakeIpvs();
    const upper: VirtualServerKey = { ...key6, address: 'FD00:0:0::1' };
    await fake.apply([{ op: 'addService', service: svc(upper, { flags: ServiceFlag.HASHED | ServiceFlag.SCHED1 }) }]);
    const [listed] = await fake.listServices();
    assert.equal(listed?.flags, ServiceFlag.SCHED1);
    assert.deepEqual(listed?.key, key6);
  });

  it('knows only the schedulers it is given', async () => {
    const fake = new FakeIpvs({ schedulers: ['rr'] });
    assert.deepEqual(await errnosOf(fake, [
      { op: 'addService', service: svc(key, { scheduler: 'wrr' }) },
      { op: 'addService', service: svc(key) },
    ]), [Errno.ENOENT]);
    assert.equal((await new FakeIpvs({ schedulers: ['twos'] }).apply([{ op: 'addService', service: svc(key, { scheduler: 'twos' }) }])).failures.length, 0);
  });

  it('counts writes and logs outcomes, so a no-op sync can be asserted', async () => {
    const fake = new FakeIpvs();
    await fake.apply([{ op: 'addService', service: svc(key) }, { op: 'addService', service: svc(key) }]);
    assert.equal(fake.writes, 2);
    assert.equal(fake.applyCalls, 1);
    assert.deepEqual(fake.log.map((e) => e.errno), [undefined, Errno.EEXIST]);
    fake.resetCounters();
    await fake.apply([]);
    await fake.dump();
    assert.deepEqual([fake.writes, fake.applyCalls, fake.log.length], [0, 0, 0]);
    await fake.setTimeouts({ tcp: 1, tcpFin: 0, udp: 0 });
    assert.equal(fake.timeoutWrites, 1);
  });

  it('lets tests set connection counters and stats, kept across in-place updates', async () => {
    const fake = new FakeIpvs();
    await fake.apply([{ op: 'addService', service: svc(key) }, { op: 'addDestination', service: key, destination: rs('10.0.0.5') }]);
    const stats = { connections: 3, packetsIn: 4, packetsOut: 5, bytesIn: 6, bytesOut: 7 };
    fake.setDestinationCounters(key, rs('10.0.0.5'), { activeConnections: 2, inactiveConnections: 9, stats });
    fake.setServiceStats(key, stats);
    await fake.apply([
      { op: 'updateDestination', service: key, destination: rs('10.0.0.5', { weight: 0 }) },
      { op: 'updateService', service: svc(key, { scheduler: 'wrr' }) },
    ]);
    const [entry] = await fake.dump();
    assert.deepEqual(entry?.service.stats, stats);
    assert.deepEqual(entry?.destinations.map((d) => [d.weight, d.activeConnections, d.inactiveConnections, d.stats]), [[0, 2, 9, stats]]);
    assert.throws(() => fake.setDestinationCounters(key, rs('10.0.0.6'), { activeConnections: 1 }));
  });

  it('lists in a deterministic order: family, kind, protocol, address bytes, port', async () => {
    const fake = new FakeIpvs();
    const keys: VirtualServerKey[] = [
      { kind: 'fwmark', family: 4, fwmark: 2 },
      key6,
      { ...key, address: '10.96.0.10' },
      { ...key, port: 80 },
      key,
      { ...key, protocol: 'SCTP' },
    ];
    await fake.apply(keys.map((k) => ({ op: 'addService', service: svc(k) })));
    assert.deepEqual((await fake.listServices()).map((s) => (s.key.kind === 'fwmark' ? `fwm${s.key.fwmark}` : `${s.key.protocol} ${s.key.address}:${s.key.port}`)), [
      'SCTP 10.96.0.1:443', 'TCP 10.96.0.1:80', 'TCP 10.96.0.1:443', 'TCP 10.96.0.10:443', 'fwm2', 'TCP fd00::1:443',
    ]);
  });

  it('refuses timeouts above INT_MAX/HZ with EINVAL and rejects everything once closed', async () => {
    const fake = new FakeIpvs();
    await assert.rejects(fake.setTimeouts({ tcp: 2 ** 31, tcpFin: 0, udp: 0 }), (e) => hasErrno(e, Errno.EINVAL));
    await fake.close();
    await assert.rejects(fake.listServices(), (e: unknown) => e instanceof ProxierError && e.code === 'ERR_NETLINK_CLOSED');
  });

  it('fakeFromState loads a parsed table, accepting the schedulers it uses', async () => {
    const fake = fakeFromState([{ service: svc(key, { scheduler: 'twos' }), destinations: [rs('10.0.0.5')] }]);
    const [entry] = await fake.dump();
    assert.equal(entry?.service.scheduler, 'twos');
    assert.equal(entry?.destinations.length, 1);
  });
});
