// ownsVirtualServer: the claims (kube-ipvs0 today), --ipvs-exclude-cidrs over every claim, families.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { VirtualServerKey } from '../../../src/kernel/ipvs/types.ts';
import { ownsVirtualServer, type VirtualServerScope } from '../../../src/ownership/virtual-servers.ts';

const key = (address: string, port = 80): VirtualServerKey => ({ kind: 'address', family: address.includes(':') ? 6 : 4, protocol: 'TCP', address, port });
const bound = new Set(['10.96.0.1', '10.96.9.9', 'fd00::1']);
const scope = (over: Partial<VirtualServerScope> = {}): VirtualServerScope => ({ family: 4, onKubeIpvs0: (a) => bound.has(a), excludeCIDRs: [], ...over });

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
