/**
 * The behaviour every `Ipvs` implementation shares: the fake (unit tests), ipvsadm and netlink
 * (sandbox tests, one kernel each). The errnos are the kernel's, checked against Linux 6.1 in the
 * sandbox. The scheduler `twos` stands for "a scheduler the kernel does not have": it arrived in
 * Linux 6.2, so the sandbox kernel (and FakeIpvs by default) answers ENOENT for it.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Errno, ProxierError, ValidationError, errnoName, hasErrno } from '../../src/errors.ts';
import {
  ServiceFlag, describeRealServer, describeVirtualServer,
  type Ipvs, type IpvsApplyResult, type IpvsOperation, type RealServer, type RealServerStatus, type VirtualServer,
  type VirtualServerKey, type VirtualServerStatus,
} from '../../src/kernel/ipvs/types.ts';

const tcp = (address: string, port: number): VirtualServerKey =>
  ({ kind: 'address', family: address.includes(':') ? 6 : 4, protocol: 'TCP', address, port });
const udp = (address: string, port: number): VirtualServerKey =>
  ({ kind: 'address', family: address.includes(':') ? 6 : 4, protocol: 'UDP', address, port });
const sctp = (address: string, port: number): VirtualServerKey =>
  ({ kind: 'address', family: address.includes(':') ? 6 : 4, protocol: 'SCTP', address, port });
const fwmark = (mark: number, family: 4 | 6): VirtualServerKey => ({ kind: 'fwmark', family, fwmark: mark });

function service(key: VirtualServerKey, scheduler = 'rr', extra: Partial<VirtualServer> = {}): VirtualServer {
  return { key, scheduler, flags: 0, timeout: 0, netmask: key.family === 4 ? 0xffffffff : 128, ...extra };
}

function dest(address: string, port: number, weight = 1, extra: Partial<RealServer> = {}): RealServer {
  return {
    family: address.includes(':') ? 6 : 4, address, port, forward: 'masq', weight,
    upperThreshold: 0, lowerThreshold: 0, ...extra,
  };
}

function configOf(status: VirtualServerStatus): VirtualServer {
  const { key, scheduler, flags, timeout, netmask } = status;
  return { key, scheduler, flags, timeout, netmask };
}

function destConfigOf(status: RealServerStatus): RealServer {
  const { family, address, port, forward, weight, upperThreshold, lowerThreshold } = status;
  return { family, address, port, forward, weight, upperThreshold, lowerThreshold };
}

const byService = (a: VirtualServer, b: VirtualServer): number =>
  describeVirtualServer(a.key).localeCompare(describeVirtualServer(b.key));
const byDest = (a: RealServer, b: RealServer): number => describeRealServer(a).localeCompare(describeRealServer(b));

function assertCounters(stats: VirtualServerStatus['stats']): void {
  for (const value of Object.values(stats)) assert.ok(Number.isSafeInteger(value) && value >= 0, `counter ${value}`);
}

async function servicesOf(ipvs: Ipvs): Promise<VirtualServer[]> {
  const listed = await ipvs.listServices();
  for (const s of listed) {
    assert.equal(s.flags & ServiceFlag.HASHED, 0, 'HASHED is never reported');
    assertCounters(s.stats);
  }
  return listed.map(configOf).sort(byService);
}

async function destinationsOf(ipvs: Ipvs, key: VirtualServerKey): Promise<RealServer[]> {
  const listed = await ipvs.listDestinations(key);
  for (const d of listed) {
    assertCounters(d.stats);
    assert.deepEqual([d.activeConnections, d.inactiveConnections, d.persistentConnections], [0, 0, 0]);
  }
  return listed.map(destConfigOf).sort(byDest);
}

async function applyOk(ipvs: Ipvs, ops: readonly IpvsOperation[]): Promise<void> {
  const result = await ipvs.apply(ops);
  assert.deepEqual(result.failures.map((f) => f.error.message), []);
  assert.equal(result.attempted, ops.length);
}

/** Expected failures as [index, errno]; each must name its operation and carry a typed error. */
function assertFailures(result: IpvsApplyResult, ops: readonly IpvsOperation[], expected: readonly [number, number][]): void {
  assert.equal(result.attempted, ops.length);
  const actual = result.failures.map((f) => {
    assert.ok(f.error instanceof ProxierError, 'failures carry a ProxierError');
    const errno = Object.values(Errno).find((e) => hasErrno(f.error, e));
    if (f.index !== undefined) assert.deepEqual(f.operation, ops[f.index]);
    return [f.index, errno === undefined ? f.error.code : errnoName(errno)];
  });
  assert.deepEqual(actual, expected.map(([index, errno]) => [index, errnoName(errno)]));
}

const SERVICES: readonly VirtualServer[] = [
  service(tcp('10.96.0.1', 443)),
  service(udp('10.96.0.10', 53), 'wrr'),
  service(sctp('10.96.0.11', 3868), 'lc'),
  service(tcp('fd00:96::1', 443)),
  service(udp('fd00:96::10', 53), 'sh'),
  service(fwmark(7, 4)),
  service(fwmark(8, 6), 'wlc'),
  service(tcp('10.96.0.2', 80), 'rr', { flags: ServiceFlag.PERSISTENT, timeout: 10800 }),
  service(tcp('10.96.0.3', 80), 'rr', { flags: ServiceFlag.PERSISTENT, timeout: 60, netmask: 0xffffff00 }),
  service(tcp('fd00:96::3', 80), 'rr', { flags: ServiceFlag.PERSISTENT, timeout: 60, netmask: 64 }),
  service(tcp('10.96.0.4', 80), 'mh', { flags: ServiceFlag.SCHED2 }),
  service(tcp('10.96.0.5', 80), 'sh', { flags: ServiceFlag.SCHED1 | ServiceFlag.SCHED2 }),
];

export function ipvsContract(name: string, open: () => Promise<Ipvs>, reset: () => Promise<void>): void {
  describe(`Ipvs contract: ${name}`, () => {
    let ipvs: Ipvs;
    before(async () => {
      ipvs = await open();
    });
    beforeEach(async () => {
      await reset();
    });
    after(async () => {
      await reset();
      await ipvs.close();
    });

    it('adds services of every protocol, family, fwmark, persistence and scheduler flag, and lists them', async () => {
      await applyOk(ipvs, SERVICES.map((s) => ({ op: 'addService', service: s })));
      assert.deepEqual(await servicesOf(ipvs), [...SERVICES].sort(byService));
    });

    it('an empty batch attempts nothing', async () => {
      assert.deepEqual(await ipvs.apply([]), { attempted: 0, failures: [] });
    });

    it('adds destinations with weights and masq forwarding; dump returns each service with its destinations', async () => {
      const web = tcp('10.96.0.1', 443);
      const web6 = tcp('fd00:96::1', 443);
      const mark = fwmark(7, 4);
      const empty = udp('10.96.0.10', 53);
      const webDests = [dest('10.244.1.5', 8443, 1), dest('10.244.2.5', 8443, 0), dest('10.244.3.5', 9443, 7)];
      const web6Dests = [dest('fd00:244::5', 8443, 3)];
      const markDests = [dest('10.244.1.9', 0, 2)];
      await applyOk(ipvs, [
        ...[web, web6, mark, empty].map((k): IpvsOperation => ({ op: 'addService', service: service(k) })),
        ...webDests.map((d): IpvsOperation => ({ op: 'addDestination', service: web, destination: d })),
        ...web6Dests.map((d): IpvsOperation => ({ op: 'addDestination', service: web6, destination: d })),
        ...markDests.map((d): IpvsOperation => ({ op: 'addDestination', service: mark, destination: d })),
      ]);
      assert.deepEqual(await destinationsOf(ipvs, web), [...webDests].sort(byDest));
      assert.deepEqual(await destinationsOf(ipvs, web6), web6Dests);
      assert.deepEqual(await destinationsOf(ipvs, mark), markDests);
      assert.deepEqual(await destinationsOf(ipvs, empty), []);

      const dumped = (await ipvs.dump())
        .map((d) => ({ service: configOf(d.service), destinations: d.destinations.map(destConfigOf).sort(byDest) }))
        .sort((a, b) => byService(a.service, b.service));
      const expected = [
        { service: service(web), destinations: [...webDests].sort(byDest) },
        { service: service(web6), destinations: web6Dests },
        { service: service(mark), destinations: markDests },
        { service: service(empty), destinations: [] },
      ].sort((a, b) => byService(a.service, b.service));
      assert.deepEqual(dumped, expected);
    });

    it('updates services and destinations in place', async () => {
      const key = tcp('10.96.0.1', 443);
      await applyOk(ipvs, [
        { op: 'addService', service: service(key) },
        { op: 'addDestination', service: key, destination: dest('10.244.1.5', 8443, 1) },
        { op: 'addDestination', service: key, destination: dest('10.244.2.5', 8443, 1) },
      ]);
      const updated = service(key, 'wrr', { flags: ServiceFlag.PERSISTENT, timeout: 300 });
      const reweighted = dest('10.244.1.5', 8443, 0, { upperThreshold: 100, lowerThreshold: 10 });
      await applyOk(ipvs, [
        { op: 'updateService', service: updated },
        { op: 'updateDestination', service: key, destination: reweighted },
      ]);
      assert.deepEqual(await servicesOf(ipvs), [updated]);
      assert.deepEqual(await destinationsOf(ipvs, key), [reweighted, dest('10.244.2.5', 8443, 1)]);

      const back = service(key, 'mh', { flags: ServiceFlag.SCHED2 });
      await applyOk(ipvs, [{ op: 'updateService', service: back }]);
      assert.deepEqual(await servicesOf(ipvs), [back]);
      assert.equal((await destinationsOf(ipvs, key)).length, 2, 'updating a service keeps its destinations');
    });

    it('deletes destinations and services; a deleted service lists no destinations', async () => {
      const key = udp('fd00:96::10', 53);
      const other = tcp('10.96.0.1', 443);
      await applyOk(ipvs, [
        { op: 'addService', service: service(key) },
        { op: 'addService', service: service(other) },
        { op: 'addDestination', service: key, destination: dest('fd00:244::1', 53) },
        { op: 'addDestination', service: key, destination: dest('fd00:244::2', 53) },
      ]);
      await applyOk(ipvs, [{ op: 'deleteDestination', service: key, destination: dest('fd00:244::1', 53) }]);
      assert.deepEqual(await destinationsOf(ipvs, key), [dest('fd00:244::2', 53)]);
      await applyOk(ipvs, [{ op: 'deleteService', key }]);
      assert.deepEqual(await servicesOf(ipvs), [service(other)]);
      assert.deepEqual(await ipvs.listDestinations(key), []);
    });

    it('reports each kernel refusal with its errno and still applies the other operations', async () => {
      const key = tcp('10.96.0.1', 443);
      const missing = tcp('10.96.0.99', 80);
      await applyOk(ipvs, [
        { op: 'addService', service: service(key) },
        { op: 'addDestination', service: key, destination: dest('10.244.1.5', 8443) },
      ]);
      const ops: IpvsOperation[] = [
        { op: 'addService', service: service(key, 'wrr') },
        { op: 'addService', service: service(tcp('10.96.0.2', 80)) },
        { op: 'addDestination', service: missing, destination: dest('10.244.1.6', 80) },
        { op: 'addDestination', service: key, destination: dest('10.244.1.5', 8443, 9) },
        { op: 'addDestination', service: key, destination: dest('10.244.1.7', 8443, 2) },
        { op: 'deleteService', key: missing },
        { op: 'deleteDestination', service: key, destination: { family: 4, address: '10.244.9.9', port: 8443 } },
        { op: 'deleteDestination', service: missing, destination: { family: 4, address: '10.244.9.9', port: 8443 } },
        { op: 'updateDestination', service: key, destination: dest('10.244.9.9', 8443) },
        { op: 'updateService', service: service(missing) },
        { op: 'addService', service: service(tcp('10.96.0.3', 80), 'twos') },
        { op: 'updateService', service: service(key, 'twos') },
        { op: 'addService', service: service(tcp('10.96.0.4', 80), 'sed') },
      ];
      assertFailures(await ipvs.apply(ops), ops, [
        [0, Errno.EEXIST], [2, Errno.ESRCH], [3, Errno.EEXIST], [5, Errno.ESRCH], [6, Errno.ENOENT],
        [7, Errno.ESRCH], [8, Errno.ENOENT], [9, Errno.ESRCH], [10, Errno.ENOENT], [11, Errno.ENOENT],
      ]);
      assert.deepEqual(await servicesOf(ipvs), [
        service(key), service(tcp('10.96.0.2', 80)), service(tcp('10.96.0.4', 80), 'sed'),
      ].sort(byService));
      assert.deepEqual(await destinationsOf(ipvs, key), [dest('10.244.1.5', 8443), dest('10.244.1.7', 8443, 2)]);
    });

    it('refuses an invalid value with a ValidationError before writing anything', async () => {
      const ops: IpvsOperation[] = [
        { op: 'addService', service: service(tcp('10.96.0.1', 443)) },
        { op: 'addService', service: service(tcp('10.96.0.300', 443)) },
      ];
      await assert.rejects(ipvs.apply(ops), ValidationError);
      await assert.rejects(ipvs.apply([{ op: 'addService', service: service(tcp('10.96.0.1', 70000)) }]), ValidationError);
      assert.deepEqual(await servicesOf(ipvs), []);
    });

    // Each of these once had a different outcome per backend (issue: one validator).
    const refused: [string, string, IpvsOperation][] = [
      ['a weight of 2^31 (the kernel keeps an int)', 'weight',
        { op: 'addDestination', service: tcp('10.96.0.1', 443), destination: dest('10.244.1.5', 8443, 2 ** 31) }],
      ['service port 0 without persistence', 'port', { op: 'addService', service: service(tcp('10.96.0.1', 0)) }],
      ['an unknown flag bit', 'flags', { op: 'addService', service: service(tcp('10.96.0.1', 443), 'rr', { flags: 0x4000 }) }],
      ['an IPv6 netmask past 128', 'netmask',
        { op: 'addService', service: service(tcp('fd00::1', 443), 'rr', { flags: ServiceFlag.PERSISTENT, timeout: 60, netmask: 129 }) }],
    ];
    for (const [what, field, op] of refused) {
      it(`refuses ${what} as a ValidationError naming ${field}, writing nothing`, async () => {
        await applyOk(ipvs, [{ op: 'addService', service: service(tcp('10.96.0.1', 443)) }]);
        await assert.rejects(ipvs.apply([op]), (e) => e instanceof ValidationError && e.field === field);
        assert.deepEqual(await servicesOf(ipvs), [service(tcp('10.96.0.1', 443))]);
        assert.deepEqual(await destinationsOf(ipvs, tcp('10.96.0.1', 443)), []);
      });
    }

    it('accepts a persistent port-0 ("all ports") service', async () => {
      const all = service(tcp('10.96.0.1', 0), 'rr', { flags: ServiceFlag.PERSISTENT, timeout: 300 });
      await applyOk(ipvs, [{ op: 'addService', service: all }]);
      assert.deepEqual(await servicesOf(ipvs), [all]);
    });

    it('gets and sets the connection timeouts; zero keeps the current value', async () => {
      const original = await ipvs.getTimeouts();
      try {
        await ipvs.setTimeouts({ tcp: 901, tcpFin: 121, udp: 301 });
        assert.deepEqual(await ipvs.getTimeouts(), { tcp: 901, tcpFin: 121, udp: 301 });
        await ipvs.setTimeouts({ tcp: 0, tcpFin: 7, udp: 0 });
        assert.deepEqual(await ipvs.getTimeouts(), { tcp: 901, tcpFin: 7, udp: 301 });
      } finally {
        await ipvs.setTimeouts(original);
      }
      assert.deepEqual(await ipvs.getTimeouts(), original);
    });
  });
}
