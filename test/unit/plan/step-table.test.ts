// The step table is the one place that orders, counts, renders and records plan writes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Errno, KernelError } from '../../../src/errors.ts';
import type { Kernel } from '../../../src/kernel/kernel.ts';
import { IPVS_STEPS } from '../../../src/plan/ipvs-steps.ts';
import { applySteps, isEmptyPlan, recordSteps, renderSteps, type StepTable } from '../../../src/plan/step-table.ts';

interface ToyPlan { readonly a: string[]; readonly b: string[] }
const kernel = {} as Kernel;

function table(log: string[]): StepTable<ToyPlan, string[]> {
  return [
    {
      step: 'bind', abortsSync: false, writes: (p) => p.a.length, render: (p) => p.a.map((x) => `a ${x}`),
      apply: (p) => { log.push('a'); return Promise.resolve(p.a.filter((x) => x === 'bad').map(() => ({ error: new KernelError(Errno.EINVAL, { operation: 'a' }) }))); },
      record: (m, p) => { m.push(...p.a); },
    },
    {
      step: 'iptables', abortsSync: true, writes: (p) => (p.b.length > 0 ? 1 : 0), render: (p) => [`b ${p.b.join(',')}`],
      apply: () => { log.push('b'); return Promise.reject(new KernelError(Errno.EPERM, { operation: 'b' })); },
      record: (m, p) => { m.push(...p.b); },
    },
  ];
}

describe('step table', () => {
  it('applies rows in order, keeps going after a failure, stamps each failure with its row', async () => {
    const log: string[] = [];
    const report = await applySteps(table(log), { a: ['x', 'bad'], b: ['y'] }, kernel);
    assert.deepEqual(log, ['a', 'b']);
    assert.equal(report.writes, 3);
    assert.deepEqual(report.failures.map((f) => [f.step, f.abortsSync, f.error.code]), [['bind', false, 'EINVAL'], ['iptables', true, 'EPERM']]);
  });

  it('skips rows with nothing to write, in apply, render, record and emptiness alike', async () => {
    const log: string[] = [];
    const plan = { a: [], b: ['y'] };
    await applySteps(table(log), plan, kernel);
    assert.deepEqual(log, ['b']);
    assert.equal(renderSteps(table(log), plan), 'b y\n');
    const mirror: string[] = [];
    recordSteps(table(log), mirror, plan);
    assert.deepEqual(mirror, ['y']);
    assert.equal(isEmptyPlan(table(log), plan), false);
    assert.equal(isEmptyPlan(table(log), { a: [], b: [] }), true);
    assert.equal(renderSteps(table(log), { a: [], b: [] }), '');
  });

  it('the IPVS rows: apply order, and which failures make upstream skip Updated()', () => {
    assert.deepEqual(IPVS_STEPS.map((r) => [r.step, r.abortsSync]), [
      ['link', true], ['bind', false], ['ipset', true], ['iptables', true], ['ipvs', false], ['unbind', false], ['destroySets', false],
    ]);
  });
});
