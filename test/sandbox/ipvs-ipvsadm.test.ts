import { tool, toolQuiet } from './require-sandbox.ts';
import assert from 'node:assert/strict';
import { createServer, connect, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ExecaRunner } from '../../src/kernel/exec/exec.ts';
import { IpvsadmIpvs } from '../../src/kernel/ipvs/ipvsadm.ts';
import { ServiceFlag, type IpvsOperation, type VirtualServerKey } from '../../src/kernel/ipvs/types.ts';
import { ipvsContract } from '../contract/ipvs.ts';

const reset = (): Promise<void> => {
  tool('ipvsadm', '-C');
  return Promise.resolve();
};

ipvsContract('IpvsadmIpvs', () => Promise.resolve(new IpvsadmIpvs(new ExecaRunner())), reset);

const web: VirtualServerKey = { kind: 'address', family: 4, protocol: 'TCP', address: '10.96.0.1', port: 443 };
const web6: VirtualServerKey = { kind: 'address', family: 6, protocol: 'UDP', address: 'fd00:96::1', port: 53 };
const mark: VirtualServerKey = { kind: 'fwmark', family: 6, fwmark: 4294967295 };

describe('IpvsadmIpvs against the Debian tools', () => {
  const ipvs = new IpvsadmIpvs(new ExecaRunner());
  before(reset);
  after(reset);

  it('writes what ipvsadm -Sn prints back', async () => {
    const ops: IpvsOperation[] = [
      { op: 'addService', service: { key: web, scheduler: 'sh', flags: ServiceFlag.PERSISTENT | ServiceFlag.SCHED2, timeout: 60, netmask: 0xffffff00 } },
      { op: 'addService', service: { key: web6, scheduler: 'mh', flags: ServiceFlag.SCHED1 | ServiceFlag.SCHED2, timeout: 0, netmask: 128 } },
      { op: 'addService', service: { key: mark, scheduler: 'wlc', flags: ServiceFlag.PERSISTENT, timeout: 300, netmask: 64 } },
      { op: 'addDestination', service: web, destination: { family: 4, address: '10.244.1.5', port: 8443, forward: 'masq', weight: 3, upperThreshold: 100, lowerThreshold: 10 } },
      { op: 'addDestination', service: web, destination: { family: 4, address: '10.244.1.6', port: 443, forward: 'droute', weight: 0, upperThreshold: 0, lowerThreshold: 0 } },
      { op: 'addDestination', service: web6, destination: { family: 6, address: 'fd00:244::5', port: 5353, forward: 'masq', weight: 2147483647, upperThreshold: 0, lowerThreshold: 0 } },
      { op: 'addDestination', service: mark, destination: { family: 6, address: 'fd00:244::6', port: 0, forward: 'masq', weight: 1, upperThreshold: 0, lowerThreshold: 0 } },
    ];
    assert.deepEqual((await ipvs.apply(ops)).failures, []);
    assert.deepEqual(tool('ipvsadm', '-Sn').split('\n').filter(Boolean), [
      // ipvsadm prints fwmarks with %d, and sorts them first.
      '-A -f -1 -6 -s wlc -p 300 -M 64',
      '-a -f -1 -6 -r [fd00:244::6]:0 -m -w 1',
      '-A -t 10.96.0.1:443 -s sh -p 60 -M 255.255.255.0 -b sh-port',
      '-a -t 10.96.0.1:443 -r 10.244.1.5:8443 -m -w 3',
      '-a -t 10.96.0.1:443 -r 10.244.1.6:443 -g -w 0',
      '-A -u [fd00:96::1]:53 -s mh -b mh-fallback,mh-port',
      '-a -u [fd00:96::1]:53 -r [fd00:244::5]:5353 -m -w 2147483647',
    ]);
    const dumped = await ipvs.dump();
    assert.deepEqual(dumped.map((d) => d.service.key), [mark, web, web6]);
    assert.deepEqual(dumped[1]?.destinations.map((d) => [d.forward, d.weight, d.upperThreshold, d.lowerThreshold]), [
      ['masq', 3, 100, 10], ['droute', 0, 0, 0],
    ]);
    assert.match(tool('ipvsadm', '-Ln', '--thresholds', '-t', '10.96.0.1:443'), /10\.244\.1\.5:8443\s+100\s+10\s/);
  });

  it('without a snapshot, reports each refusal with index undefined and applies the rest', async () => {
    await reset();
    const plain = new IpvsadmIpvs(new ExecaRunner(), { attributeFailures: false });
    const svc = { key: web, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff };
    const result = await plain.apply([
      { op: 'addService', service: svc },
      { op: 'addService', service: svc },
      { op: 'deleteService', key: web6 },
      { op: 'addService', service: { ...svc, key: { ...web, port: 80 } } },
    ]);
    assert.deepEqual(result.failures.map((f) => [f.index, f.error.code]), [[undefined, 'ERR_COMMAND_FAILED'], [undefined, 'ERR_COMMAND_FAILED']]);
    assert.equal((await plain.listServices()).length, 2);
  });

  it('reads connection counters and stats of real traffic', async () => {
    await reset();
    toolQuiet('ip', 'link', 'del', 'ipvsadm0');
    tool('ip', 'link', 'add', 'ipvsadm0', 'type', 'dummy');
    tool('ip', 'addr', 'add', '10.251.0.1/32', 'dev', 'ipvsadm0');
    tool('ip', 'addr', 'add', '10.251.0.2/32', 'dev', 'ipvsadm0');
    tool('ip', 'link', 'set', 'ipvsadm0', 'up');
    const server: Server = createServer((socket) => socket.end('hello\n'));
    await new Promise<void>((resolve) => server.listen(8080, '10.251.0.2', resolve));
    try {
      const vip: VirtualServerKey = { kind: 'address', family: 4, protocol: 'TCP', address: '10.251.0.1', port: 80 };
      const rs = { family: 4 as const, address: '10.251.0.2', port: 8080, forward: 'masq' as const, weight: 1, upperThreshold: 0, lowerThreshold: 0 };
      await ipvs.apply([{ op: 'addService', service: { key: vip, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff } }, { op: 'addDestination', service: vip, destination: rs }]);
      for (let i = 0; i < 3; i++) {
        const reply = await new Promise<string>((resolve, reject) => {
          const s = connect(80, '10.251.0.1');
          let data = '';
          s.on('data', (d) => { data += d.toString(); });
          s.on('end', () => resolve(data));
          s.on('error', reject);
        });
        assert.equal(reply, 'hello\n');
      }
      // Connection counters are live; stats are summed from per-CPU counters by the 2 s estimator
      // timer (Linux < 6.2), so they lag: poll.
      const dests = await ipvs.listDestinations(vip);
      assert.deepEqual([dests[0]?.activeConnections, dests[0]?.inactiveConnections], [0, 3]);
      let services = await ipvs.listServices();
      for (let waited = 0; services[0]?.stats.connections !== 3 && waited < 10_000; waited += 250) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        services = await ipvs.listServices();
      }
      assert.equal(services[0]?.stats.connections, 3);
      const [entry] = await ipvs.dump();
      assert.deepEqual(entry?.destinations[0]?.stats, services[0]?.stats);
      assert.ok((services[0]?.stats.packetsIn ?? 0) >= 9 && (services[0]?.stats.bytesIn ?? 0) > 0);
    } finally {
      server.close();
      toolQuiet('ip', 'link', 'del', 'ipvsadm0');
    }
  });
});
