// core/v1 Service → model: defaults, ignored kinds of service, and errors naming object + field.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../../src/errors.ts';
import { parseService } from '../../../src/model/service.ts';
import type { Service } from '../../../src/model/types.ts';

type Obj = Record<string, unknown>;

function svc(spec: Obj, extra: Obj = {}): Obj {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec, ...extra };
}

function ok(object: Obj): Service {
  const r = parseService(object, 'file web.yaml');
  assert.equal(r.kind, 'ok', r.kind === 'invalid' ? r.error.message : r.kind);
  return (r as { value: Service }).value;
}

describe('parseService: valid objects', () => {
  it('fills the API defaults (protocol TCP, affinity None, policies Cluster, namespace default)', () => {
    const r = parseService({ kind: 'Service', metadata: { name: 'web' }, spec: { clusterIP: '10.96.0.10', ports: [{ port: 80 }] } });
    assert.deepEqual(r, {
      kind: 'ok',
      value: {
        namespace: 'default', name: 'web', creationTimestamp: undefined, origin: undefined, type: 'ClusterIP', clusterIPs: ['10.96.0.10'],
        ports: [{ name: '', protocol: 'TCP', port: 80, nodePort: 0 }],
        sessionAffinity: { kind: 'None' }, externalIPs: [], loadBalancerIngress: [], loadBalancerSourceRanges: [],
        externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster', healthCheckNodePort: 0,
      },
    });
  });

  const cases: { name: string; spec: Obj; status?: Obj; expect: Partial<Service> }[] = [
    {
      name: 'ClientIP affinity without a config defaults to 10800 s',
      spec: { clusterIP: '10.96.0.10', sessionAffinity: 'ClientIP' },
      expect: { sessionAffinity: { kind: 'ClientIP', timeoutSeconds: 10_800 } },
    },
    {
      name: 'ClientIP affinity with an explicit timeout',
      spec: { clusterIP: '10.96.0.10', sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } },
      expect: { sessionAffinity: { kind: 'ClientIP', timeoutSeconds: 60 } },
    },
    {
      name: 'dual-stack clusterIPs win over clusterIP and are canonicalised',
      spec: { clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10', 'FD00:0:0::A'] },
      expect: { clusterIPs: ['10.96.0.10', 'fd00::a'] },
    },
    {
      name: 'UDP and SCTP ports keep their protocol; the same name may be reused across protocols',
      spec: { clusterIP: '10.96.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns', port: 53, protocol: 'TCP' }, { name: 's', port: 9, protocol: 'SCTP' }] },
      expect: { ports: [{ name: 'dns', protocol: 'UDP', port: 53, nodePort: 0 }, { name: 'dns', protocol: 'TCP', port: 53, nodePort: 0 }, { name: 's', protocol: 'SCTP', port: 9, nodePort: 0 }] },
    },
    {
      name: 'a ClusterIP service ignores a stray nodePort; NodePort keeps it',
      spec: { clusterIP: '10.96.0.10', ports: [{ port: 80, nodePort: 30080 }] },
      expect: { ports: [{ name: '', protocol: 'TCP', port: 80, nodePort: 0 }] },
    },
    {
      name: 'NodePort with Local policies, externalIPs, healthCheckNodePort',
      spec: {
        type: 'NodePort', clusterIP: '10.96.0.10', ports: [{ port: 80, nodePort: 30080 }], externalIPs: ['192.0.2.7'],
        externalTrafficPolicy: 'Local', internalTrafficPolicy: 'Local', healthCheckNodePort: 31000,
      },
      expect: {
        type: 'NodePort', ports: [{ name: '', protocol: 'TCP', port: 80, nodePort: 30080 }], externalIPs: ['192.0.2.7'],
        externalTrafficPolicy: 'Local', internalTrafficPolicy: 'Local', healthCheckNodePort: 31000,
      },
    },
    {
      name: 'LoadBalancer ingress: hostname-only entries skipped, ipMode defaults to VIP; source ranges canonicalised',
      spec: { type: 'LoadBalancer', clusterIP: '10.96.0.10', loadBalancerSourceRanges: [' 203.0.113.9/24 '] },
      status: { loadBalancer: { ingress: [{ hostname: 'lb.example' }, { ip: '198.51.100.1' }, { ip: '198.51.100.2', ipMode: 'Proxy' }] } },
      expect: {
        type: 'LoadBalancer', loadBalancerSourceRanges: ['203.0.113.0/24'],
        loadBalancerIngress: [{ ip: '198.51.100.1', ipMode: 'VIP' }, { ip: '198.51.100.2', ipMode: 'Proxy' }],
      },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const value = ok(svc(c.spec, c.status === undefined ? {} : { status: c.status }));
      for (const [field, expected] of Object.entries(c.expect)) {
        assert.deepEqual(value[field as keyof Service], expected, field);
      }
    });
  }
});

describe('parseService: ignored', () => {
  const cases: [string, Obj, string][] = [
    ['headless (clusterIP: None)', { clusterIP: 'None', ports: [{ port: 80 }] }, 'headless service'],
    ['ExternalName', { type: 'ExternalName', externalName: 'db.example' }, 'ExternalName service'],
    ['ExternalName even with a bogus clusterIP', { type: 'ExternalName', clusterIP: 'bogus' }, 'ExternalName service'],
  ];
  for (const [name, spec, reason] of cases) {
    it(name, () => assert.deepEqual(parseService(svc(spec)), { kind: 'ignored', reason }));
  }
});

describe('parseService: invalid objects name the object and the field', () => {
  const cases: { name: string; object: Obj; field: string }[] = [
    { name: 'octal-looking clusterIP', object: svc({ clusterIP: '010.96.0.1' }), field: 'spec.clusterIP' },
    { name: 'octal-looking clusterIPs, the only entry', object: svc({ clusterIPs: ['010.0.0.1'] }), field: 'spec.clusterIPs[0]' },
    { name: 'both clusterIPs refused', object: svc({ clusterIPs: ['127.0.0.1', '::1'] }), field: 'spec.clusterIPs[0]' },
    { name: 'two cluster IPs of one family', object: svc({ clusterIPs: ['10.96.0.1', '10.96.0.2'] }), field: 'spec.clusterIPs[1]' },
    { name: 'no cluster IP at all', object: svc({ ports: [{ port: 80 }] }), field: 'spec.clusterIP' },
    { name: 'the only port out of range', object: svc({ clusterIP: '10.96.0.1', ports: [{ name: 'a', port: 70000 }] }), field: 'spec.ports[0].port' },
    { name: 'every port refused: the first is named', object: svc({ clusterIP: '10.96.0.1', ports: [{ name: 'a', port: 0 }, { name: 'b' }] }), field: 'spec.ports[0].port' },
    { name: 'port as a string', object: svc({ clusterIP: '10.96.0.1', ports: [{ port: '80' }] }), field: 'spec.ports[0].port' },
    { name: 'duplicate port names', object: svc({ clusterIP: '10.96.0.1', ports: [{ name: 'http', port: 80 }, { name: 'http', port: 81 }] }), field: 'spec.ports[1].name' },
    { name: 'two unnamed ports', object: svc({ clusterIP: '10.96.0.1', ports: [{ port: 80 }, { port: 81 }] }), field: 'spec.ports[1].name' },
    { name: 'duplicate port number and protocol', object: svc({ clusterIP: '10.96.0.1', ports: [{ name: 'a', port: 80, targetPort: 8080 }, { name: 'b', port: 80, targetPort: 9090 }] }), field: 'spec.ports[1].port' },
    { name: 'unknown protocol', object: svc({ clusterIP: '10.96.0.1', ports: [{ port: 80, protocol: 'tcp' }] }), field: 'spec.ports[0].protocol' },
    { name: 'timeoutSeconds 0', object: svc({ clusterIP: '10.96.0.1', sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 0 } } }), field: 'spec.sessionAffinityConfig.clientIP.timeoutSeconds' },
    { name: 'timeoutSeconds over a day', object: svc({ clusterIP: '10.96.0.1', sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 86_401 } } }), field: 'spec.sessionAffinityConfig.clientIP.timeoutSeconds' },
    { name: 'timeoutSeconds as text', object: svc({ clusterIP: '10.96.0.1', sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: '60' } } }), field: 'spec.sessionAffinityConfig.clientIP.timeoutSeconds' },
    { name: 'unknown sessionAffinity', object: svc({ clusterIP: '10.96.0.1', sessionAffinity: 'Cookie' }), field: 'spec.sessionAffinity' },
    { name: 'unknown type', object: svc({ type: 'Ingress', clusterIP: '10.96.0.1' }), field: 'spec.type' },
    { name: 'bad externalTrafficPolicy', object: svc({ clusterIP: '10.96.0.1', externalTrafficPolicy: 'local' }), field: 'spec.externalTrafficPolicy' },
    { name: 'externalIPs not a list', object: svc({ clusterIP: '10.96.0.1', externalIPs: '192.0.2.1' }), field: 'spec.externalIPs' },
    { name: 'source range without prefix', object: svc({ clusterIP: '10.96.0.1', loadBalancerSourceRanges: ['203.0.113.9'] }), field: 'spec.loadBalancerSourceRanges[0]' },
    { name: 'bad ingress ipMode', object: svc({ clusterIP: '10.96.0.1' }, { status: { loadBalancer: { ingress: [{ ip: '198.51.100.1', ipMode: 'Direct' }] } } }), field: 'status.loadBalancer.ingress[0].ipMode' },
    { name: 'ports not a list', object: svc({ clusterIP: '10.96.0.1', ports: { port: 80 } }), field: 'spec.ports' },
    { name: 'uppercase name', object: { kind: 'Service', metadata: { name: 'Web', namespace: 'shop' }, spec: { clusterIP: '10.96.0.1' } }, field: 'metadata.name' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = parseService(c.object, 'file x.yaml');
      assert.equal(r.kind, 'invalid');
      const error = (r as { error: ValidationError }).error;
      assert.ok(error instanceof ValidationError);
      assert.equal(error.code, 'ERR_INVALID_VALUE');
      assert.equal(error.field, c.field);
      const name = c.name === 'uppercase name' ? 'Web' : 'web';
      assert.equal(error.object, `Service shop/${name} (file x.yaml)`);
      assert.ok(error.message.startsWith(`invalid ${c.field} of Service shop/${name} (file x.yaml): `), error.message);
    });
  }

  it('without an origin the object is named alone', () => {
    const r = parseService(svc({ clusterIP: '1.2.3' }));
    assert.equal(r.kind === 'invalid' ? r.error.object : r.kind, 'Service shop/web');
  });

  it('a non-object is invalid, not a crash', () => {
    const r = parseService('just text', 'file x.yaml');
    assert.equal(r.kind === 'invalid' ? `${r.error.field} | ${r.error.object}` : r.kind, 'Service | Service default/<unnamed> (file x.yaml)');
  });
});
