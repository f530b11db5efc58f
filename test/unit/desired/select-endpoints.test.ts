// Endpoint selection per traffic policy, terminating fallback, topology hints, and deduplication.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { selectEndpoints, uniqueEndpoints } from '../../../src/desired/select-endpoints.ts';
import type { Endpoint, TrafficPolicy } from '../../../src/model/types.ts';

/** `a` ready, `t` serving+terminating, `n` not ready and not serving; `@node`; `#zone,zone` hints. */
function ep(spec: string): Endpoint {
  const m = /^(\d+)([atn])@([\w-]+)(?:#([\w,]+))?$/.exec(spec);
  if (m === null) throw new Error(`bad endpoint spec ${spec}`);
  const [, last, state, node, hints] = m;
  return {
    address: `10.244.0.${last}`, family: 4, port: 8080, ready: state === 'a', serving: state !== 'n', terminating: state === 't',
    nodeName: node, zone: undefined, hintZones: hints === undefined ? undefined : hints.split(','),
  };
}

const node = { nodeName: 'local', nodeZone: 'z1' };

describe('selectEndpoints', () => {
  const cases: { name: string; policy: TrafficPolicy; zone?: string | undefined; endpoints: string[]; expect: number[] }[] = [
    { name: 'Cluster: every ready endpoint, wherever it runs', policy: 'Cluster', endpoints: ['1a@local', '2a@other', '3n@other', '4t@other'], expect: [1, 2] },
    { name: 'Cluster: no ready endpoint → serving terminating ones', policy: 'Cluster', endpoints: ['1n@local', '2t@other', '3t@local'], expect: [2, 3] },
    { name: 'Cluster: nothing ready or serving → none', policy: 'Cluster', endpoints: ['1n@local', '2n@other'], expect: [] },
    { name: 'Local: only this node\'s ready endpoints', policy: 'Local', endpoints: ['1a@local', '2a@other', '3t@local'], expect: [1] },
    { name: 'Local: no local ready → local serving terminating', policy: 'Local', endpoints: ['1t@local', '2a@other', '3n@local'], expect: [1] },
    // Upstream IPVS (PR 97081) fell back to every cluster endpoint here; the API says drop traffic.
    { name: 'Local: no local endpoint → NONE, not the cluster ones', policy: 'Local', endpoints: ['1a@other', '2a@other', '3t@other'], expect: [] },
    { name: 'Local: local endpoints neither ready nor serving → NONE', policy: 'Local', endpoints: ['1n@local', '2a@other'], expect: [] },
    { name: 'hints: all carry hints and some match our zone → narrowed', policy: 'Cluster', endpoints: ['1a@a#z1', '2a@b#z2', '3a@c#z1,z2'], expect: [1, 3] },
    { name: 'hints: one ready endpoint without hints → all (all-or-nothing)', policy: 'Cluster', endpoints: ['1a@a#z1', '2a@b#z2', '3a@c'], expect: [1, 2, 3] },
    { name: 'hints: none for our zone → all', policy: 'Cluster', endpoints: ['1a@a#z2', '2a@b#z3'], expect: [1, 2] },
    { name: 'hints: a not-ready endpoint without hints does not disable them', policy: 'Cluster', endpoints: ['1a@a#z1', '2a@b#z2', '3n@c'], expect: [1] },
    // Upstream canUseTopology looks at ready endpoints only, so the terminating fallback is never narrowed.
    { name: 'hints: terminating fallback is not narrowed', policy: 'Cluster', endpoints: ['1t@a#z1', '2t@b#z2', '3n@c#z1'], expect: [1, 2] },
    { name: 'hints: node without a zone ignores them', policy: 'Cluster', zone: undefined, endpoints: ['1a@a#z1', '2a@b#z2'], expect: [1, 2] },
    { name: 'hints: Local policy ignores them', policy: 'Local', endpoints: ['1a@local#z2', '2a@local#z1'], expect: [1, 2] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const zone = 'zone' in c ? c.zone : node.nodeZone;
      const chosen = selectEndpoints(c.endpoints.map(ep), c.policy, { nodeName: node.nodeName, nodeZone: zone });
      assert.deepEqual(chosen.map((e) => Number(e.address.split('.')[3])), c.expect);
    });
  }
});

describe('uniqueEndpoints', () => {
  it('keeps one per address:port, first seen, but a ready copy replaces a not-ready one', () => {
    const a = ep('1n@x');
    const aReady = ep('1a@y');
    const b = ep('2a@x');
    const bAgain = ep('2n@y');
    const otherPort = { ...ep('1a@z'), port: 9090 };
    const out = uniqueEndpoints([a, b, aReady, bAgain, otherPort]);
    assert.deepEqual(out, [aReady, b, otherPort]);
  });

  it('empty in, empty out', () => assert.deepEqual(uniqueEndpoints([]), []));
});
