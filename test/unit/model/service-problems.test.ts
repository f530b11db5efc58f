// Parts of a Service refused on their own: ports out of range, node ports outside the cluster's
// range, an unreadable creation time. Each is a problem naming object and field; the rest is served.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelLimits } from '../../../src/model/parse-result.ts';
import { parseService } from '../../../src/model/service.ts';
import type { Service } from '../../../src/model/types.ts';

type Obj = Record<string, unknown>;

function svc(spec: Obj, metadata: Obj = {}): Obj {
  return { kind: 'Service', metadata: { name: 'web', namespace: 'shop', ...metadata }, spec: { clusterIP: '10.96.0.10', ...spec } };
}

interface Case {
  readonly name: string;
  readonly object: Obj;
  readonly limits?: ModelLimits;
  /** Golden `field: reason` per problem. */
  readonly problems: string[];
  readonly expect: Partial<Service>;
}

const RANGE = 'must be 0 (not allocated) or within the node-port range 30000-32767 (--service-node-port-range)';
const nodePortService = (nodePort: unknown): Obj => svc({ type: 'NodePort', ports: [{ name: 'a', port: 80, nodePort }] });

const cases: Case[] = [
  ...[0, 65536, -1, 1.5, '80', null, undefined].map((port): Case => ({
    name: `port ${JSON.stringify(port) ?? 'missing'} next to a good one: skipped`,
    object: svc({ ports: [{ name: 'a', port }, { name: 'b', port: 443 }] }),
    problems: ['spec.ports[0].port: must be an integer 1..65535'],
    expect: { ports: [{ name: 'b', protocol: 'TCP', port: 443, nodePort: 0 }] },
  })),
  ...[22, 29999, 32768, 70000, -1, 1.5, '30080'].map((nodePort): Case => ({
    name: `nodePort ${JSON.stringify(nodePort)}: dropped to 0, the port is served`,
    object: nodePortService(nodePort),
    problems: [`spec.ports[0].nodePort: ${RANGE}`],
    expect: { ports: [{ name: 'a', protocol: 'TCP', port: 80, nodePort: 0 }] },
  })),
  ...[0, null, 30000, 32767].map((nodePort): Case => ({
    name: `nodePort ${JSON.stringify(nodePort)} is fine`,
    object: nodePortService(nodePort),
    problems: [],
    expect: { ports: [{ name: 'a', protocol: 'TCP', port: 80, nodePort: nodePort ?? 0 }] },
  })),
  {
    name: 'a custom range (--service-node-port-range=20000-20010) moves the bounds',
    object: svc({ type: 'NodePort', ports: [{ name: 'a', port: 80, nodePort: 20005 }, { name: 'b', port: 81, nodePort: 30080 }] }),
    limits: { nodePortRange: { from: 20000, to: 20010 } },
    problems: ['spec.ports[1].nodePort: must be 0 (not allocated) or within the node-port range 20000-20010 (--service-node-port-range)'],
    expect: { ports: [{ name: 'a', protocol: 'TCP', port: 80, nodePort: 20005 }, { name: 'b', protocol: 'TCP', port: 81, nodePort: 0 }] },
  },
  ...[22, 99999, 29999, 'x'].map((hc): Case => ({
    name: `healthCheckNodePort ${JSON.stringify(hc)}: dropped to 0`,
    object: svc({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: hc }),
    problems: [`spec.healthCheckNodePort: ${RANGE}`],
    expect: { healthCheckNodePort: 0, externalTrafficPolicy: 'Local' },
  })),
  {
    name: 'healthCheckNodePort in range is kept',
    object: svc({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 31000 }),
    problems: [],
    expect: { healthCheckNodePort: 31000 },
  },
  {
    name: 'creationTimestamp in RFC 3339',
    object: svc({}, { creationTimestamp: '2024-05-01T10:00:00Z' }),
    problems: [],
    expect: { creationTimestamp: Date.UTC(2024, 4, 1, 10) },
  },
  {
    name: 'creationTimestamp with fractions and an offset',
    object: svc({}, { creationTimestamp: '2024-05-01T12:00:00.5+02:00' }),
    problems: [],
    expect: { creationTimestamp: Date.UTC(2024, 4, 1, 10, 0, 0, 500) },
  },
  ...['yesterday', '2024-05-01', '1714557600', 1_714_557_600_000].map((t): Case => ({
    name: `creationTimestamp ${JSON.stringify(t)}: unknown, a problem`,
    object: svc({}, { creationTimestamp: t }),
    problems: ['metadata.creationTimestamp: must be an RFC 3339 time like 2024-05-01T10:00:00Z'],
    expect: { creationTimestamp: undefined, clusterIPs: ['10.96.0.10'] },
  })),
  {
    name: 'several problems at once, in the order they are read',
    object: svc({ type: 'NodePort', externalIPs: ['127.0.0.1'], ports: [{ name: 'a', port: 0 }, { name: 'b', port: 80, nodePort: 22 }] }),
    problems: [
      'spec.ports[0].port: must be an integer 1..65535',
      `spec.ports[1].nodePort: ${RANGE}`,
      "spec.externalIPs[0]: loopback address (127.0.0.0/8): bound on kube-ipvs0 it would take over the node's own loopback services",
    ],
    expect: { externalIPs: [], ports: [{ name: 'b', protocol: 'TCP', port: 80, nodePort: 0 }] },
  },
];

describe('parseService: problems', () => {
  for (const c of cases) {
    it(c.name, () => {
      const r = parseService(c.object, 'file web.yaml', c.limits);
      assert.equal(r.kind, 'ok', r.kind === 'invalid' ? r.error.message : r.kind);
      if (r.kind !== 'ok') return;
      assert.deepEqual((r.problems ?? []).map((e) => `${e.field}: ${e.reason}`), c.problems);
      for (const e of r.problems ?? []) assert.equal(e.object, 'Service shop/web (file web.yaml)');
      for (const [field, expected] of Object.entries(c.expect)) assert.deepEqual(r.value[field as keyof Service], expected, field);
    });
  }

  it('a clean service has no problems key at all', () => {
    assert.equal('problems' in parseService(svc({ ports: [{ port: 80 }] })), false);
  });

  it('a ClusterIP service ignores its nodePort, in range or not', () => {
    const r = parseService(svc({ ports: [{ port: 80, nodePort: 22 }] }));
    assert.deepEqual(r.kind === 'ok' ? [r.value.ports[0]?.nodePort, r.problems] : r.kind, [0, undefined]);
  });
});
