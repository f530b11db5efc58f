// ownsVirtualServer: the claims (kube-ipvs0; node IPs on a vouched-for node port), --ipvs-exclude-cidrs
// over every claim, families.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { VirtualServerKey } from '../../../src/kernel/ipvs/types.ts';
import { NodePorts } from '../../../src/ownership/node-ports.ts';
import { ServedServers } from '../../../src/ownership/served-servers.ts';
import { ownsVirtualServer, type VirtualServerScope } from '../../../src/ownership/virtual-servers.ts';
import type { Protocol } from '../../../src/validate/validate.ts';

const key = (address: string, port = 80, protocol: Protocol = 'TCP'): VirtualServerKey => ({ kind: 'address', family: address.includes(':') ? 6 : 4, protocol, address, port });
const bound = new Set(['10.96.0.1', '10.96.9.9', 'fd00::1']);
const scope = (over: Partial<VirtualServerScope> = {}): VirtualServerScope => ({
  family: 4, onKubeIpvs0: (a) => bound.has(a), nodeIPs: new Set(), nodePorts: [], excludeCIDRs: [], ...over,
});

describe('ownsVirtualServer', () => {
  it('claims a virtual server whose address is (or was) on kube-ipvs0, on any port', () => {
    assert.equal(ownsVirtualServer(key('10.96.0.1'), scope()), true);
    assert.equal(ownsVirtualServer(key('10.96.0.1', 30080), scope()), true);
    assert.equal(ownsVirtualServer(key('192.0.2.50'), scope()), false, 'foreign');
  });

  it('--ipvs-exclude-cidrs wins over the claim', () => {
    assert.equal(ownsVirtualServer(key('10.96.9.9'), scope({ excludeCIDRs: ['10.96.9.0/24'] })), false);
    assert.equal(ownsVirtualServer(key('10.96.0.1'), scope({ excludeCIDRs: ['10.96.9.0/24'] })), true);
  });

  it('one family, or every family for --cleanup; firewall marks are never ours', () => {
    assert.equal(ownsVirtualServer(key('fd00::1'), scope()), false, 'IPv6 is not the IPv4 diff\'s');
    assert.equal(ownsVirtualServer(key('fd00::1'), scope({ family: undefined })), true);
    assert.equal(ownsVirtualServer({ kind: 'fwmark', family: 4, fwmark: 1 }, scope({ family: undefined, onKubeIpvs0: () => true })), false);
  });
});

describe('ownsVirtualServer: node IPs', () => {
  const nodeIPs = new Set(['192.168.1.20', 'fd00:1::20']);
  const upstream = new NodePorts().addPort(4, 'TCP', 30080).addPort(6, 'TCP', 30080).addAddressPort(4, 'SCTP', '192.168.1.20', 30082);

  it('claims a node IP only on a port some NodePorts source has, for that protocol and family', () => {
    const s = scope({ family: undefined, nodeIPs, nodePorts: [upstream] });
    assert.equal(ownsVirtualServer(key('192.168.1.20', 30080), s), true);
    assert.equal(ownsVirtualServer(key('fd00:1::20', 30080), s), true);
    assert.equal(ownsVirtualServer(key('192.168.1.20', 30082, 'SCTP'), s), true);
    assert.equal(ownsVirtualServer(key('192.168.1.20', 8443), s), false, 'a port in no source: keepalived\'s, an operator\'s');
    assert.equal(ownsVirtualServer(key('192.168.1.20', 30080, 'UDP'), s), false, 'a TCP node port under UDP');
    assert.equal(ownsVirtualServer(key('192.0.2.60', 30080), s), false, 'a node port on an address that is no node IP');
  });

  it('an IPv4 node port is no evidence for IPv6, nor an address-bound one for another address', () => {
    const ports = new NodePorts().addPort(4, 'UDP', 30053).addAddressPort(6, 'SCTP', 'fd00:1::21', 30082);
    const s = scope({ family: undefined, nodeIPs, nodePorts: [ports] });
    assert.equal(ownsVirtualServer(key('192.168.1.20', 30053, 'UDP'), s), true);
    assert.equal(ownsVirtualServer(key('fd00:1::20', 30053, 'UDP'), s), false);
    assert.equal(ownsVirtualServer(key('fd00:1::20', 30082, 'SCTP'), s), false);
  });

  it('no source, or no node IPs: nothing on a node IP is claimed', () => {
    assert.equal(ownsVirtualServer(key('192.168.1.20', 30080), scope({ nodeIPs })), false);
    assert.equal(ownsVirtualServer(key('192.168.1.20', 30080), scope({ nodePorts: [upstream] })), false);
  });

  it('one more source (our own node ports, later) is one more entry; --ipvs-exclude-cidrs still wins', () => {
    const ours = new NodePorts().addPort(4, 'TCP', 31000);
    assert.equal(ownsVirtualServer(key('192.168.1.20', 31000), scope({ nodeIPs, nodePorts: [upstream, ours] })), true);
    assert.equal(ownsVirtualServer(key('192.168.1.20', 30080), scope({ nodeIPs, nodePorts: [upstream], excludeCIDRs: ['192.168.1.0/24'] })), false);
  });
});

describe('ownsVirtualServer: servers this process desired off kube-ipvs0', () => {
  it('a served server is ours even when its address is no node IP any more; exclusion still wins; others are not', () => {
    const served = new ServedServers();
    served.add({ kind: 'address', family: 4, protocol: 'TCP', address: '192.168.1.20', port: 30080 });
    const claim = { served: (k: Parameters<ServedServers['has']>[0]) => served.has(k) };
    assert.equal(ownsVirtualServer(key('192.168.1.20', 30080), scope(claim)), true);
    assert.equal(ownsVirtualServer(key('192.168.1.20', 30081), scope(claim)), false);
    assert.equal(ownsVirtualServer(key('192.168.1.20', 30080), scope({ ...claim, excludeCIDRs: ['192.168.1.0/24'] })), false);
    served.prune(() => false);
    assert.equal(ownsVirtualServer(key('192.168.1.20', 30080), scope(claim)), false, 'forgotten once a full sync saw it gone');
  });
});
