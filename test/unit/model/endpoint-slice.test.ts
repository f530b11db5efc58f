// discovery.k8s.io/v1 EndpointSlice → model: condition defaults, ports, ignored slices, errors.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../../src/errors.ts';
import { parseEndpointSlice } from '../../../src/model/endpoint-slice.ts';
import type { Endpoint, EndpointSliceInfo } from '../../../src/model/types.ts';

type Obj = Record<string, unknown>;

function sliceObj(fields: Obj, labels: Obj = { 'kubernetes.io/service-name': 'web' }, annotations?: Obj): Obj {
  return {
    kind: 'EndpointSlice',
    metadata: { name: 'web-abc', namespace: 'shop', labels, ...(annotations === undefined ? {} : { annotations }) },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    ...fields,
  };
}

function ok(object: Obj): EndpointSliceInfo {
  const r = parseEndpointSlice(object, 'file web.yaml');
  assert.equal(r.kind, 'ok', r.kind === 'invalid' ? r.error.message : r.kind);
  return (r as { value: EndpointSliceInfo }).value;
}

function endpoint(over: Partial<Endpoint>): Endpoint {
  return {
    address: '10.244.0.5', family: 4, port: 8080, ready: true, serving: true, terminating: false,
    nodeName: undefined, zone: undefined, hintZones: undefined, ...over,
  };
}

describe('parseEndpointSlice: conditions and addresses', () => {
  const cases: { name: string; endpoint: Obj; expect: Endpoint }[] = [
    { name: 'no conditions: ready (unknown means ready), serving follows ready', endpoint: { addresses: ['10.244.0.5'] }, expect: endpoint({}) },
    { name: 'ready false: serving defaults to false too', endpoint: { addresses: ['10.244.0.5'], conditions: { ready: false } }, expect: endpoint({ ready: false, serving: false }) },
    {
      name: 'terminating but still serving',
      endpoint: { addresses: ['10.244.0.5'], conditions: { ready: false, serving: true, terminating: true } },
      expect: endpoint({ ready: false, serving: true, terminating: true }),
    },
    { name: 'ready: null counts as unknown', endpoint: { addresses: ['10.244.0.5'], conditions: { ready: null } }, expect: endpoint({}) },
    { name: 'only the first address is used', endpoint: { addresses: ['10.244.0.5', '10.244.0.6'] }, expect: endpoint({}) },
    {
      name: 'node, zone and hints',
      endpoint: { addresses: ['10.244.0.5'], nodeName: 'node-a', zone: 'z1', hints: { forZones: [{ name: 'z1' }, { name: 'z2' }] } },
      expect: endpoint({ nodeName: 'node-a', zone: 'z1', hintZones: ['z1', 'z2'] }),
    },
    { name: 'hints without forZones are no hints', endpoint: { addresses: ['10.244.0.5'], hints: {} }, expect: endpoint({}) },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const value = ok(sliceObj({ endpoints: [c.endpoint] }));
      assert.deepEqual([...value.endpointsByPort], [['http/TCP', [c.expect]]]);
    });
  }

  it('IPv6 slice: canonical addresses, family 6', () => {
    const value = ok(sliceObj({ addressType: 'IPv6', endpoints: [{ addresses: ['FD00:0::5'] }] }));
    assert.equal(value.family, 6);
    assert.deepEqual(value.endpointsByPort.get('http/TCP'), [endpoint({ address: 'fd00::5', family: 6 })]);
  });
});

describe('parseEndpointSlice: ports and metadata', () => {
  it('every port gets every endpoint; protocol defaults to TCP; a port without a number is skipped', () => {
    const value = ok(sliceObj({
      ports: [{ name: 'http', port: 8080 }, { name: 'dns', port: 53, protocol: 'UDP' }, { name: 'all' }, { name: 'nul', port: null }, { port: 9000 }],
      endpoints: [{ addresses: ['10.244.0.5'] }, { addresses: ['10.244.0.6'] }],
    }));
    assert.deepEqual([...value.endpointsByPort.keys()], ['http/TCP', 'dns/UDP', '/TCP']);
    assert.deepEqual(value.endpointsByPort.get('dns/UDP')?.map((e) => `${e.address}:${e.port}`), ['10.244.0.5:53', '10.244.0.6:53']);
    assert.deepEqual(value.endpointsByPort.get('/TCP')?.map((e) => `${e.address}:${e.port}`), ['10.244.0.5:9000', '10.244.0.6:9000']);
  });

  it('no endpoints: ports map to empty lists', () => {
    assert.deepEqual([...ok(sliceObj({ endpoints: null })).endpointsByPort], [['http/TCP', []]]);
  });

  it('identity, owning service and trigger time', () => {
    const value = ok(sliceObj({}, { 'kubernetes.io/service-name': 'web' }, { 'endpoints.kubernetes.io/last-change-trigger-time': '2024-05-01T10:00:00Z' }));
    assert.deepEqual(
      [value.namespace, value.name, value.serviceName, value.family, value.lastChangeTriggerTime],
      ['shop', 'web-abc', 'web', 4, Date.UTC(2024, 4, 1, 10)],
    );
  });

  it('an unparseable trigger time only drops the time', () => {
    const value = ok(sliceObj({ endpoints: [{ addresses: ['10.244.0.5'] }] }, undefined, { 'endpoints.kubernetes.io/last-change-trigger-time': 'yesterday' }));
    assert.equal(value.lastChangeTriggerTime, undefined);
    assert.equal(value.endpointsByPort.get('http/TCP')?.length, 1);
  });
});

describe('parseEndpointSlice: ignored', () => {
  const cases: [string, Obj, string][] = [
    ['FQDN slice', sliceObj({ addressType: 'FQDN', endpoints: [{ addresses: ['db.example'] }] }), 'FQDN address type'],
    ['no labels', sliceObj({}, {}), 'no kubernetes.io/service-name label'],
    ['other labels only', sliceObj({}, { app: 'web' }), 'no kubernetes.io/service-name label'],
  ];
  for (const [name, object, reason] of cases) {
    it(name, () => assert.deepEqual(parseEndpointSlice(object), { kind: 'ignored', reason }));
  }
});

describe('parseEndpointSlice: a bad endpoint or port entry is skipped on its own, as a problem', () => {
  const two = (second: Obj): Obj => sliceObj({ endpoints: [{ addresses: ['10.244.0.5'] }, second] });
  const cases: { name: string; object: Obj; problem: string; served: string[] }[] = [
    { name: 'IPv6 address in an IPv4 slice', object: two({ addresses: ['fd00::5'] }), problem: 'endpoints[1].addresses[0]: not an IPv4 address', served: ['http/TCP 10.244.0.5:8080'] },
    {
      name: 'IPv4 address in an IPv6 slice', object: sliceObj({ addressType: 'IPv6', endpoints: [{ addresses: ['10.244.0.5'] }, { addresses: ['fd00::5'] }] }),
      problem: 'endpoints[0].addresses[0]: not an IPv6 address', served: ['http/TCP fd00::5:8080'],
    },
    { name: 'octal-looking address', object: two({ addresses: ['10.244.0.05'] }), problem: 'endpoints[1].addresses[0]: IPv4 must be four decimal octets without leading zeros', served: ['http/TCP 10.244.0.5:8080'] },
    { name: 'endpoint without addresses', object: two({ addresses: [] }), problem: 'endpoints[1].addresses: no address', served: ['http/TCP 10.244.0.5:8080'] },
    { name: 'addresses not a list', object: two({ addresses: '10.244.0.6' }), problem: 'endpoints[1].addresses: must be a list', served: ['http/TCP 10.244.0.5:8080'] },
    ...[0, 65536, -1, 1.5, '80'].map((port) => ({
      name: `port ${JSON.stringify(port)}`,
      object: sliceObj({ ports: [{ name: 'a', port }, { name: 'b', port: 9090 }], endpoints: [{ addresses: ['10.244.0.5'] }] }),
      problem: 'ports[0].port: must be an integer 1..65535', served: ['b/TCP 10.244.0.5:9090'],
    })),
    {
      name: 'bad protocol', object: sliceObj({ ports: [{ name: 'a', port: 80, protocol: 'ICMP' }], endpoints: [{ addresses: ['10.244.0.5'] }] }),
      problem: 'ports[0].protocol: must be TCP, UDP or SCTP', served: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = parseEndpointSlice(c.object, 'file x.yaml');
      assert.equal(r.kind, 'ok', r.kind === 'invalid' ? r.error.message : r.kind);
      if (r.kind !== 'ok') return;
      assert.deepEqual(r.problems?.map((e) => `${e.field}: ${e.reason}`), [c.problem]);
      assert.deepEqual((r.problems ?? []).map((e) => e.object), ['EndpointSlice shop/web-abc (file x.yaml)']);
      const served = [...r.value.endpointsByPort].flatMap(([port, eps]) => eps.map((e) => `${port} ${e.address}:${e.port}`));
      assert.deepEqual(served, c.served);
    });
  }

  it('a clean slice has no problems key at all', () => {
    assert.equal('problems' in parseEndpointSlice(sliceObj({ endpoints: [{ addresses: ['10.244.0.5'] }] })), false);
  });
});

describe('parseEndpointSlice: invalid objects name the object and the field', () => {
  const cases: { name: string; object: Obj; field: string }[] = [
    { name: 'ready as text', object: sliceObj({ endpoints: [{ addresses: ['10.244.0.5'], conditions: { ready: 'true' } }] }), field: 'endpoints[0].conditions.ready' },
    { name: 'endpoints not a list', object: sliceObj({ endpoints: { addresses: ['10.244.0.5'] } }), field: 'endpoints' },
    { name: 'ports not a list', object: sliceObj({ ports: { port: 80 } }), field: 'ports' },
    { name: 'unknown addressType', object: sliceObj({ addressType: 'IPv5' }), field: 'addressType' },
    { name: 'bad service-name label', object: sliceObj({}, { 'kubernetes.io/service-name': 'Web_1' }), field: 'metadata.labels["kubernetes.io/service-name"]' },
    { name: 'hint without a zone name', object: sliceObj({ endpoints: [{ addresses: ['10.244.0.5'], hints: { forZones: [{}] } }] }), field: 'endpoints[0].hints.forZones[0].name' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = parseEndpointSlice(c.object, 'file x.yaml');
      assert.equal(r.kind, 'invalid');
      const error = (r as { error: ValidationError }).error;
      assert.ok(error instanceof ValidationError);
      assert.equal(error.field, c.field);
      assert.equal(error.object, 'EndpointSlice shop/web-abc (file x.yaml)');
      assert.ok(error.message.startsWith(`invalid ${c.field} of EndpointSlice shop/web-abc (file x.yaml): `), error.message);
    });
  }
});
