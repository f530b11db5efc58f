// Outputs below were captured from ipvsadm 1.31 on the sandbox's Linux 6.1.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProxierError } from '../../../src/errors.ts';
import {
  parseFourNumbers, parseListing, parsePlainDestination, parseSave, parseStatsColumns, parseTimeouts, splitOutput,
} from '../../../src/kernel/ipvs/ipvsadm-parse.ts';
import { renderRestore } from '../../../src/kernel/ipvs/ipvsadm-render.ts';
import { ServiceFlag } from '../../../src/kernel/ipvs/types.ts';

const SAVE = `-A -f -1 -s rr
-A -t 10.0.0.1:80 -s rr
-a -t 10.0.0.1:80 -r 10.1.0.1:8080 -m -w 3
-a -t 10.0.0.1:80 -r 10.1.0.3:80 -g -w 1
-a -t 10.0.0.1:80 -r 10.1.0.4:80 -i -w 1 --tun-type ipip
-A -t 10.0.0.3:80 -s wlc -p 10 -M 255.255.255.0
-A -t 10.0.0.6:80 -s rr -b flag-1,flag-3
-A -t 10.0.0.13:80 -s sh -b 
-A -u 10.0.0.5:53 -s rr -o
-A --sctp-service 10.0.0.2:3868 -s sh -b sh-fallback,sh-port
-A -t [fd00::1]:443 -s mh -b mh-port
-a -t [fd00::1]:443 -r [fd01::1]:8443 -m -w 1
-A -f 8 -6 -s lc -p 60 -M 64
-a -f 8 -6 -r [fd00:244::6]:0 -m -w 2147483647
`;

describe('parseSave (ipvsadm -S -n)', () => {
  const parsed = parseSave(SAVE);
  const cases: [string, unknown][] = [
    ['-f -1 (printed with %d)', { key: { kind: 'fwmark', family: 4, fwmark: 4294967295 }, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff }],
    ['persistent with an IPv4 mask', { key: { kind: 'address', family: 4, protocol: 'TCP', address: '10.0.0.3', port: 80 }, scheduler: 'wlc', flags: ServiceFlag.PERSISTENT, timeout: 10, netmask: 0xffffff00 }],
    ['generic sched flags', { key: { kind: 'address', family: 4, protocol: 'TCP', address: '10.0.0.6', port: 80 }, scheduler: 'rr', flags: ServiceFlag.SCHED1 | ServiceFlag.SCHED3, timeout: 0, netmask: 0xffffffff }],
    ['`-b ` without names (sh flag-3)', { key: { kind: 'address', family: 4, protocol: 'TCP', address: '10.0.0.13', port: 80 }, scheduler: 'sh', flags: 0, timeout: 0, netmask: 0xffffffff }],
    ['one-packet', { key: { kind: 'address', family: 4, protocol: 'UDP', address: '10.0.0.5', port: 53 }, scheduler: 'rr', flags: ServiceFlag.ONEPACKET, timeout: 0, netmask: 0xffffffff }],
    ['sh aliases, SCTP', { key: { kind: 'address', family: 4, protocol: 'SCTP', address: '10.0.0.2', port: 3868 }, scheduler: 'sh', flags: ServiceFlag.SCHED1 | ServiceFlag.SCHED2, timeout: 0, netmask: 0xffffffff }],
    ['mh-port, IPv6', { key: { kind: 'address', family: 6, protocol: 'TCP', address: 'fd00::1', port: 443 }, scheduler: 'mh', flags: ServiceFlag.SCHED2, timeout: 0, netmask: 128 }],
    ['IPv6 fwmark with a prefix', { key: { kind: 'fwmark', family: 6, fwmark: 8 }, scheduler: 'lc', flags: ServiceFlag.PERSISTENT, timeout: 60, netmask: 64 }],
  ];
  for (const [name, expected] of cases) {
    it(name, () => assert.ok(parsed.some((s) => { try { assert.deepEqual(s.service, expected); return true; } catch { return false; } }), JSON.stringify(expected)));
  }
  it('attaches destinations with forward method and weight (thresholds are not printed)', () => {
    const web = parsed.find((s) => s.service.key.kind === 'address' && s.service.key.address === '10.0.0.1');
    assert.deepEqual(web?.destinations.map((d) => [d.address, d.port, d.forward, d.weight]), [
      ['10.1.0.1', 8080, 'masq', 3], ['10.1.0.3', 80, 'droute', 1], ['10.1.0.4', 80, 'tunnel', 1],
    ]);
    assert.deepEqual(parsed.at(-1)?.destinations, [{ family: 6, address: 'fd00:244::6', port: 0, forward: 'masq', weight: 2147483647, upperThreshold: 0, lowerThreshold: 0 }]);
  });
  it('round-trips what the renderer writes', () => {
    const ops = parsed.flatMap((s) => [
      { op: 'addService' as const, service: s.service },
      ...s.destinations.map((d) => ({ op: 'addDestination' as const, service: s.service.key, destination: d })),
    ]).filter((op) => op.op !== 'addService' || op.service.scheduler !== 'sh' || op.service.flags !== 0);
    const again = parseSave(renderRestore(ops));
    assert.deepEqual(again, parsed.filter((s) => s.service.scheduler !== 'sh' || s.service.flags !== 0));
  });
  for (const bad of ['-X -t 10.0.0.1:80 -s rr', '-A -t 10.0.0.1 -s rr', '-A -t 10.0.0.1:80', '-a -t 10.0.0.9:80 -r 10.1.0.1:80 -m', '-A -t 10.0.0.1:80 -s rr -b bogus']) {
    it(`refuses ${JSON.stringify(bad)}`, () => assert.throws(() => parseSave(bad), (e: unknown) => e instanceof ProxierError && e.code === 'ERR_IPVSADM_OUTPUT'));
  }
});

const DUMP = `-A -t 10.251.0.1:80 -s rr
-a -t 10.251.0.1:80 -r 10.251.0.2:8080 -m -w 1
IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.251.0.1:80 rr
  -> 10.251.0.2:8080              Masq    1      0          3         
FWM  8 IPv6 lc persistent 60 mask 64
  -> [fd00:244::6]:0              Local   2147483647 4          0         
IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn 
  -> RemoteAddress:Port
TCP  10.251.0.1:80 rr
  -> 10.251.0.2:8080              100        50         0          3         
IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes
  -> RemoteAddress:Port
TCP  10.251.0.1:80                       2        6        5      328      282
  -> 10.251.0.2:8080                     2        6        5      328      282
FWM  8 IPv6                              0        0        0        0        0
`;

describe('listing parsers (ipvsadm -L -n)', () => {
  const out = splitOutput(DUMP);
  it('splits -S lines from the listings', () => {
    assert.equal(parseSave(out.save).length, 1);
    assert.equal(out.listings.length, 3);
  });
  const [plain, thresholds, stats] = out.listings.map(parseListing);
  it('reads plain rows: forward, weight, active, inactive', () => {
    assert.deepEqual(parsePlainDestination(plain?.get('TCP 10.251.0.1:80')?.destinations.get('10.251.0.2:8080')?.columns ?? []),
      { forward: 'masq', weight: 1, activeConnections: 0, inactiveConnections: 3 });
    assert.deepEqual(parsePlainDestination(plain?.get('FWM 8 (IPv6)')?.destinations.get('[fd00:244::6]:0')?.columns ?? []),
      { forward: 'local', weight: 2147483647, activeConnections: 4, inactiveConnections: 0 });
  });
  it('reads thresholds rows', () => {
    assert.deepEqual(parseFourNumbers(thresholds?.get('TCP 10.251.0.1:80')?.destinations.get('10.251.0.2:8080')?.columns ?? []), [100, 50, 0, 3]);
  });
  it('reads --stats --exact rows of services (IPv4, IPv6 fwmark) and destinations', () => {
    const expected = { connections: 2, packetsIn: 6, packetsOut: 5, bytesIn: 328, bytesOut: 282 };
    assert.deepEqual(parseStatsColumns(stats?.get('TCP 10.251.0.1:80')?.columns ?? []), expected);
    assert.deepEqual(parseStatsColumns(stats?.get('TCP 10.251.0.1:80')?.destinations.get('10.251.0.2:8080')?.columns ?? []), expected);
    assert.deepEqual(parseStatsColumns(stats?.get('FWM 8 (IPv6)')?.columns ?? []).connections, 0);
  });
  it('refuses rows it does not understand', () => {
    assert.throws(() => parsePlainDestination(['Weird', '1', '0', '0']), ProxierError);
    assert.throws(() => parseStatsColumns(['1', '2']), ProxierError);
    assert.throws(() => parseListing(['  -> 10.0.0.1:80  Masq 1 0 0']), ProxierError);
  });
  it('reads --timeout', () => {
    assert.deepEqual(parseTimeouts('Timeout (tcp tcpfin udp): 900 120 300\n'), { tcp: 900, tcpFin: 120, udp: 300 });
    assert.throws(() => parseTimeouts('Timeout: ?\n'), ProxierError);
  });
});
