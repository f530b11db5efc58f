// nodePortsFromSets: the NodePort, externalIP and load-balancer sets' members (bitmap:port ports, hash:ip,port ip,proto:port)
// as evidence, per family, by exact set name.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { VirtualServerKey } from '../../../src/kernel/ipvs/types.ts';
import { nodePortSetNames, nodePortsFromSets } from '../../../src/ownership/node-ports.ts';
import type { Protocol } from '../../../src/validate/validate.ts';

const key = (address: string, port: number, protocol: Protocol = 'TCP'): Extract<VirtualServerKey, { kind: 'address' }> => (
  { kind: 'address', family: address.includes(':') ? 6 : 4, protocol, address, port }
);

describe('nodePortsFromSets', () => {
  it('reads every NodePort, externalIP and load-balancer set of both families, KUBE-6- names cut to 31 characters', () => {
    assert.deepEqual(nodePortSetNames(), [
      'KUBE-NODE-PORT-TCP', 'KUBE-NODE-PORT-LOCAL-TCP', 'KUBE-NODE-PORT-UDP', 'KUBE-NODE-PORT-LOCAL-UDP', 'KUBE-NODE-PORT-SCTP-HASH', 'KUBE-NODE-PORT-LOCAL-SCTP-HASH',
      'KUBE-EXTERNAL-IP', 'KUBE-EXTERNAL-IP-LOCAL', 'KUBE-LOAD-BALANCER',
      'KUBE-6-NODE-PORT-TCP', 'KUBE-6-NODE-PORT-LOCAL-TCP', 'KUBE-6-NODE-PORT-UDP', 'KUBE-6-NODE-PORT-LOCAL-UDP', 'KUBE-6-NODE-PORT-SCTP-HASH', 'KUBE-6-NODE-PORT-LOCAL-SCTP-HAS',
      'KUBE-6-EXTERNAL-IP', 'KUBE-6-EXTERNAL-IP-LOCAL', 'KUBE-6-LOAD-BALANCER',
    ]);
  });

  it('an externalIP or ingress IP the node holds itself names its address and port', () => {
    const ports = nodePortsFromSets(new Map([['KUBE-EXTERNAL-IP', ['192.168.1.20,tcp:80']], ['KUBE-6-LOAD-BALANCER', ['fd00::20,udp:53']]]));
    assert.equal(ports.has(key('192.168.1.20', 80)), true);
    assert.equal(ports.has(key('192.168.1.21', 80)), false);
    assert.equal(ports.has(key('fd00::20', 53, 'UDP')), true);
  });

  it('bitmap:port members are ports of the set\'s protocol and family; hash:ip,port members name the address', () => {
    const ports = nodePortsFromSets(new Map([
      ['KUBE-NODE-PORT-TCP', ['30080']],
      ['KUBE-NODE-PORT-LOCAL-UDP', ['30053']],
      ['KUBE-6-NODE-PORT-LOCAL-TCP', ['30081']],
      ['KUBE-NODE-PORT-SCTP-HASH', ['192.168.1.20,sctp:30082']],
      ['KUBE-6-NODE-PORT-LOCAL-SCTP-HAS', ['fd00:1::20,sctp:30083']],
    ]));
    assert.equal(ports.size, 5);
    assert.ok(ports.has(key('192.168.1.20', 30080)));
    assert.ok(ports.has(key('10.0.0.1', 30080)), 'any address: the claim checks it is a node IP');
    assert.ok(!ports.has(key('fd00:1::20', 30080)), 'the IPv4 set says nothing about IPv6');
    assert.ok(ports.has(key('192.168.1.20', 30053, 'UDP')));
    assert.ok(!ports.has(key('192.168.1.20', 30053)), 'UDP set, TCP server');
    assert.ok(ports.has(key('fd00:1::20', 30081)));
    assert.ok(ports.has(key('192.168.1.20', 30082, 'SCTP')));
    assert.ok(!ports.has(key('192.168.1.21', 30082, 'SCTP')), 'another address');
    assert.ok(ports.has(key('fd00:1::20', 30083, 'SCTP')));
  });

  it('ignores other sets (KUBE-HEALTH-CHECK-NODE-PORT, look-alike names) and members not in ipset\'s canonical text', () => {
    const ports = nodePortsFromSets(new Map([
      ['KUBE-HEALTH-CHECK-NODE-PORT', ['32000']],
      ['KUBE-NODE-PORT-TCP-TMP', ['30090']],
      ['KUBE-NODE-PORT-TCP', ['30080-30090', 'http', '']],
      ['KUBE-NODE-PORT-SCTP-HASH', ['192.168.1.20', '192.168.1.20,30082', '192.168.1.20,icmp:0']],
    ]));
    assert.equal(ports.size, 0);
  });
});
