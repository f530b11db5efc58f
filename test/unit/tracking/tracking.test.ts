// ChangeTracker ({previous, current}, collapsing and reverts) and ServiceCache (commit, endpoints, dirty set).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChangeTracker } from '../../../src/tracking/change-tracker.ts';
import { ServiceCache, sliceKey } from '../../../src/tracking/service-cache.ts';
import { service, slice } from '../../helpers/objects.ts';

describe('ChangeTracker', () => {
  type Step = [string, number | undefined, number | undefined];
  const cases: { name: string; steps: Step[]; expect: [string, { previous: number | undefined; current: number | undefined }][] }[] = [
    { name: 'one add', steps: [['a', undefined, 1]], expect: [['a', { previous: undefined, current: 1 }]] },
    { name: 'several updates collapse to first previous → last current', steps: [['a', 1, 2], ['a', 2, 3], ['a', 3, 4]], expect: [['a', { previous: 1, current: 4 }]] },
    { name: 'an edit that is reverted drops out', steps: [['a', 1, 2], ['a', 2, 1]], expect: [] },
    { name: 'add then delete drops out', steps: [['a', undefined, 1], ['a', 1, undefined]], expect: [] },
    { name: 'delete then re-add with a new value is an update', steps: [['a', 1, undefined], ['a', undefined, 5]], expect: [['a', { previous: 1, current: 5 }]] },
    { name: 'keys are independent', steps: [['a', undefined, 1], ['b', 2, undefined], ['a', 1, undefined]], expect: [['b', { previous: 2, current: undefined }]] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const t = new ChangeTracker<number>();
      for (const [key, previous, current] of c.steps) t.update(key, previous, current);
      assert.equal(t.size, c.expect.length);
      assert.deepEqual([...t.take()], c.expect);
      assert.equal(t.size, 0);
      assert.deepEqual([...t.take()], []);
    });
  }

  it('compares structurally: an equal object parsed again is no change', () => {
    const t = new ChangeTracker<ReturnType<typeof slice>>();
    const first = slice({ service: 'web', endpoints: ['10.244.0.1'] });
    const edited = slice({ service: 'web', endpoints: ['10.244.0.2'] });
    t.update('default/web-abc', first, edited);
    t.update('default/web-abc', edited, slice({ service: 'web', endpoints: ['10.244.0.1'] }));
    assert.equal(t.size, 0);
  });
});

describe('ServiceCache', () => {
  const web = service({ name: 'web', clusterIP: '10.96.0.10' });

  it('commit returns the services to recompute: service changes and owners of changed slices', () => {
    const cache = new ServiceCache();
    cache.serviceChanges.update('default/web', undefined, web);
    const s1 = slice({ service: 'web', name: 'web-1', endpoints: ['10.244.0.1'] });
    const s2 = slice({ service: 'web', name: 'web-2', endpoints: ['10.244.0.2', '10.244.0.1'] });
    const other = slice({ service: 'db', name: 'db-1', endpoints: ['10.244.0.9'] });
    for (const s of [s1, s2, other]) cache.sliceChanges.update(sliceKey(s), undefined, s);
    assert.deepEqual([...cache.commit()].sort(), ['default/db', 'default/web']);
    assert.deepEqual([...cache.commit()], [], 'nothing pending after a commit');
    assert.equal(cache.service('default/web'), web);
    assert.deepEqual([...cache.serviceNames()], ['default/web']);
    // Merged across slices, duplicates kept (deduplication is the desired-state stage's job).
    assert.deepEqual(cache.endpoints('default/web').get('http/TCP')?.map((e) => e.address), ['10.244.0.1', '10.244.0.2', '10.244.0.1']);
    assert.deepEqual([...cache.endpoints('default/nobody')], []);
  });

  it('a slice that changes owner dirties both services and moves its endpoints', () => {
    const cache = new ServiceCache();
    const before = slice({ service: 'a', name: 'shared', endpoints: ['10.244.0.1'] });
    cache.sliceChanges.update('default/shared', undefined, before);
    cache.commit();
    const after = slice({ service: 'b', name: 'shared', endpoints: ['10.244.0.1'] });
    cache.sliceChanges.update('default/shared', before, after);
    assert.deepEqual([...cache.commit()].sort(), ['default/a', 'default/b']);
    assert.deepEqual([...cache.endpoints('default/a')], []);
    assert.deepEqual(cache.endpoints('default/b').get('http/TCP')?.map((e) => e.address), ['10.244.0.1']);
  });

  it('deleting a service and a slice', () => {
    const cache = new ServiceCache();
    const s = slice({ service: 'web', endpoints: ['10.244.0.1'] });
    cache.serviceChanges.update('default/web', undefined, web);
    cache.sliceChanges.update(sliceKey(s), undefined, s);
    cache.commit();
    cache.serviceChanges.update('default/web', web, undefined);
    cache.sliceChanges.update(sliceKey(s), s, undefined);
    assert.deepEqual([...cache.commit()], ['default/web']);
    assert.equal(cache.service('default/web'), undefined);
    assert.deepEqual([...cache.endpoints('default/web')], []);
  });

  it('trigger times of a service\'s slices', () => {
    const cache = new ServiceCache();
    const s = { ...slice({ service: 'web', endpoints: ['10.244.0.1'] }), lastChangeTriggerTime: 1234 };
    const t = slice({ service: 'web', name: 'web-2', endpoints: ['10.244.0.2'] });
    cache.sliceChanges.update(sliceKey(s), undefined, s);
    cache.sliceChanges.update(sliceKey(t), undefined, t);
    cache.commit();
    assert.deepEqual(cache.triggerTimes('default/web'), [1234]);
  });
});
