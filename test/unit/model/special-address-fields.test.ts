// Every special-address class in every field that becomes a service or destination address, both
// families: refused with the exact field path; a lone ClusterIP makes the object invalid, anywhere
// else only that entry is skipped (a problem) and the rest of the object is kept.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ValidationError } from '../../../src/errors.ts';
import { parseEndpointSlice } from '../../../src/model/endpoint-slice.ts';
import type { ParseResult } from '../../../src/model/parse-result.ts';
import { parseService } from '../../../src/model/service.ts';
import type { EndpointSliceInfo, Service } from '../../../src/model/types.ts';
import { SPECIAL_ADDRESSES, type SpecialAddress } from '../../helpers/special-addresses.ts';

type Obj = Record<string, unknown>;
const ORIGIN = 'file web.yaml';
const SERVICE = 'Service shop/web (file web.yaml)';
/** A good address of the special one's family, and one of the other family. */
const good = (s: SpecialAddress): string => (s.family === 4 ? '192.0.2.7' : '2001:db8::7');
const otherFamily = (s: SpecialAddress): string => (s.family === 4 ? 'fd00::10' : '10.96.0.10');

function service(spec: Obj, status?: Obj): ParseResult<Service> {
  const object = { kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { ports: [{ port: 80 }], ...spec }, ...(status ? { status } : {}) };
  return parseService(object, ORIGIN);
}

/** `field | object | class (range)` of an error, the way a golden line reads. */
function line(e: ValidationError): string {
  return `${e.field} | ${e.object ?? ''} | ${e.reason.slice(0, e.reason.indexOf('): ') + 1)}`;
}

function problems(r: ParseResult<unknown>): string[] {
  assert.equal(r.kind, 'ok', r.kind === 'invalid' ? r.error.message : r.kind);
  return (r.kind === 'ok' ? r.problems ?? [] : []).map(line);
}

function value<T>(r: ParseResult<T>): T {
  assert.equal(r.kind, 'ok');
  return (r as { value: T }).value;
}

describe('special addresses in Service fields', () => {
  for (const s of SPECIAL_ADDRESSES) {
    const why = `${s.kind} address (${s.cidr})`;
    describe(`${s.address} (${s.kind}, IPv${s.family})`, () => {
      it('spec.clusterIP alone: the object is invalid', () => {
        const r = service({ clusterIP: s.address });
        assert.equal(r.kind === 'invalid' ? line(r.error) : r.kind, `spec.clusterIP | ${SERVICE} | ${why}`);
      });

      it('spec.clusterIPs[1]: skipped, the primary stays', () => {
        const r = service({ clusterIP: otherFamily(s), clusterIPs: [otherFamily(s), s.address] });
        assert.deepEqual(problems(r), [`spec.clusterIPs[1] | ${SERVICE} | ${why}`]);
        assert.deepEqual(value(r).clusterIPs, [otherFamily(s)]);
      });

      it('spec.clusterIPs[0]: skipped, the secondary stays', () => {
        const r = service({ clusterIPs: [s.address, otherFamily(s)] });
        assert.deepEqual(problems(r), [`spec.clusterIPs[0] | ${SERVICE} | ${why}`]);
        assert.deepEqual(value(r).clusterIPs, [otherFamily(s)]);
      });

      it('spec.externalIPs[1]: skipped, the others stay', () => {
        const r = service({ clusterIP: '10.96.0.10', externalIPs: [good(s), s.address, '198.51.100.9'] });
        assert.deepEqual(problems(r), [`spec.externalIPs[1] | ${SERVICE} | ${why}`]);
        assert.deepEqual(value(r).externalIPs, [good(s), '198.51.100.9']);
      });

      it('status.loadBalancer.ingress[1].ip: skipped, the others stay', () => {
        const r = service({ type: 'LoadBalancer', clusterIP: '10.96.0.10' }, { loadBalancer: { ingress: [{ ip: good(s) }, { ip: s.address }] } });
        assert.deepEqual(problems(r), [`status.loadBalancer.ingress[1].ip | ${SERVICE} | ${why}`]);
        assert.deepEqual(value(r).loadBalancerIngress, [{ ip: good(s), ipMode: 'VIP' }]);
      });
    });
  }
});

describe('special addresses as endpoint addresses', () => {
  function slice(s: SpecialAddress, addresses: string[]): ParseResult<EndpointSliceInfo> {
    return parseEndpointSlice({
      kind: 'EndpointSlice',
      metadata: { name: 'web-abc', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: s.family === 4 ? 'IPv4' : 'IPv6',
      ports: [{ name: 'http', port: 8080 }],
      endpoints: addresses.map((a) => ({ addresses: [a] })),
    }, ORIGIN);
  }

  for (const s of SPECIAL_ADDRESSES) {
    it(`${s.address} (${s.kind}, IPv${s.family}): that endpoint is skipped, the others are served`, () => {
      const r = slice(s, [good(s), s.address]);
      assert.deepEqual(problems(r), [`endpoints[1].addresses[0] | EndpointSlice shop/web-abc (file web.yaml) | ${s.kind} address (${s.cidr})`]);
      assert.deepEqual(value(r).endpointsByPort.get('http/TCP')?.map((e) => e.address), [good(s)]);
    });
  }
});
