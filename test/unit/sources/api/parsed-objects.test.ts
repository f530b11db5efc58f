// ParsedObjects: problems of a valid object are reported like an invalid object's error, and the
// same complaint about the same object is not repeated by a relist or a resync.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ValidationError } from '../../../../src/errors.ts';
import { parseService } from '../../../../src/model/service.ts';
import type { Service } from '../../../../src/model/types.ts';
import { ParsedObjects } from '../../../../src/sources/api/parsed-objects.ts';
import type { RawObject } from '../../../../src/sources/api/raw-list.ts';

function raw(spec: Record<string, unknown>): RawObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { clusterIP: '10.96.0.10', ports: [{ port: 80 }], ...spec } };
}

function setup() {
  const reported: string[] = [];
  const emitted: [string | undefined, string | undefined][] = [];
  const objects = new ParsedObjects<Service>(
    (o) => parseService(o),
    (a, b) => emitted.push([a?.externalIPs.join(','), b?.externalIPs.join(',')]),
    (e: ValidationError) => reported.push(`${e.object ?? ''} ${e.field}`),
  );
  return { objects, reported, emitted };
}

describe('ParsedObjects', () => {
  it("reports each problem of a valid object through the report callback, and emits the object", () => {
    const { objects, reported, emitted } = setup();
    objects.upsert(raw({ externalIPs: ['127.0.0.1', '192.0.2.7', '0.0.0.0'] }));
    assert.deepEqual(reported, ['Service shop/web spec.externalIPs[0]', 'Service shop/web spec.externalIPs[2]']);
    assert.deepEqual(emitted, [[undefined, '192.0.2.7']]);
  });

  it('the same problems again (a relist, a resync) are not reported again; the object is still emitted', () => {
    const { objects, reported, emitted } = setup();
    for (let i = 0; i < 3; i++) objects.upsert(raw({ externalIPs: ['127.0.0.1', '192.0.2.7'] }));
    assert.deepEqual(reported, ['Service shop/web spec.externalIPs[0]']);
    assert.equal(emitted.length, 3);
  });

  const changes: { name: string; next: Record<string, unknown>; expect: string[] }[] = [
    { name: 'another field', next: { externalIPs: ['192.0.2.7', '127.0.0.1'] }, expect: ['Service shop/web spec.externalIPs[1]'] },
    { name: 'another reason for the same field', next: { externalIPs: ['224.0.0.1', '192.0.2.7'] }, expect: ['Service shop/web spec.externalIPs[0]'] },
    { name: 'one more problem: all of them', next: { externalIPs: ['127.0.0.1', '192.0.2.7', '::1'] }, expect: ['Service shop/web spec.externalIPs[0]', 'Service shop/web spec.externalIPs[2]'] },
    { name: 'the object turned invalid', next: { clusterIP: '127.0.0.1' }, expect: ['Service shop/web spec.clusterIP'] },
    { name: 'fixed: nothing to say', next: { externalIPs: ['192.0.2.7'] }, expect: [] },
  ];
  for (const c of changes) {
    it(`changed problems are reported: ${c.name}`, () => {
      const { objects, reported } = setup();
      objects.upsert(raw({ externalIPs: ['127.0.0.1', '192.0.2.7'] }));
      reported.length = 0;
      objects.upsert(raw(c.next));
      assert.deepEqual(reported, c.expect);
    });
  }

  it('an invalid object is reported once while it stays the same, and again after it was fixed and broken again', () => {
    const { objects, reported } = setup();
    const bad = raw({ clusterIP: '0.0.0.0' });
    objects.upsert(bad);
    objects.upsert(bad);
    assert.equal(reported.length, 1);
    objects.upsert(raw({}));
    objects.upsert(bad);
    assert.equal(reported.length, 2);
  });

  it('a deleted and re-created object is reported afresh', () => {
    const { objects, reported } = setup();
    const object = raw({ externalIPs: ['127.0.0.1'] });
    objects.upsert(object);
    objects.remove(object);
    objects.upsert(object);
    assert.equal(reported.length, 2);
  });
});
