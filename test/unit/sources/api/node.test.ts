import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeEligible, parseNode, type NodeInfo } from '../../../../src/sources/api/node.ts';

function ok(object: unknown): NodeInfo {
  const r = parseNode(object);
  assert.equal(r.kind, 'ok', r.kind === 'invalid' ? r.error.message : r.kind);
  return (r as { value: NodeInfo }).value;
}

const addresses = (...a: [string, string][]): { status: { addresses: { type: string; address: string }[] } } =>
  ({ status: { addresses: a.map(([type, address]) => ({ type, address })) } });

describe('parseNode', () => {
  it('orders node IPs as GetNodeHostIPs: InternalIP first, then one of the other family', () => {
    const n = ok({ metadata: { name: 'n1' }, ...addresses(['ExternalIP', '203.0.113.5'], ['Hostname', 'n1'], ['InternalIP', 'fd00::0:5'], ['InternalIP', '10.0.0.5'], ['InternalIP', '10.0.0.6']) });
    assert.deepEqual(n.ips, ['fd00::5', '10.0.0.5']);
  });

  it('falls back to ExternalIP and skips addresses that do not parse', () => {
    assert.deepEqual(ok({ metadata: { name: 'n1' }, ...addresses(['InternalIP', '10.0.0.256'], ['ExternalIP', '203.0.113.5']) }).ips, ['203.0.113.5']);
    assert.deepEqual(ok({ metadata: { name: 'n1' } }).ips, []);
  });

  it('reads the zone, pod CIDRs, deletion and the autoscaler taint', () => {
    const n = ok({
      metadata: { name: 'n1', labels: { 'topology.kubernetes.io/zone': 'eu-1a' }, deletionTimestamp: '2025-01-01T00:00:00Z' },
      spec: { podCIDRs: ['10.244.1.7/24'], taints: [{ key: 'ToBeDeletedByClusterAutoscaler', value: '1700000000', effect: 'NoSchedule' }] },
    });
    assert.deepEqual([n.zone, n.podCIDRs, n.deleting, n.toBeDeletedByClusterAutoscaler], ['eu-1a', ['10.244.1.0/24'], true, true]);
    assert.equal(nodeEligible(n), false);
    const plain = ok({ metadata: { name: 'n2' }, spec: { taints: [{ key: 'node.kubernetes.io/unschedulable' }] } });
    assert.deepEqual([plain.zone, plain.deleting, plain.toBeDeletedByClusterAutoscaler, nodeEligible(plain)], [undefined, false, false, true]);
  });

  it('is invalid, naming the node and the field, when the shape is wrong', () => {
    const r = parseNode({ metadata: { name: 'n1', labels: { zone: 7 } } });
    assert.equal(r.kind, 'invalid');
    assert.equal(r.kind === 'invalid' && r.error.object, 'Node n1');
    assert.match(r.kind === 'invalid' ? r.error.message : '', /metadata\.labels\["zone"\]/);
    assert.equal(parseNode({ metadata: {} }).kind, 'invalid');
  });
});
