// Backend detection against the real tools: this kernel runs iptables-legacy (its nf_tables lacks
// the NAT chain type), so with our rules in legacy the detector must choose legacy.
import './require-sandbox.ts';
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExecaRunner } from '../../src/kernel/exec/exec.ts';
import { detectBackend } from '../../src/kernel/iptables/detect.ts';
import { tool, toolQuiet } from './require-sandbox.ts';

before(() => tool('iptables-legacy', '-A', 'INPUT', '-m', 'comment', '--comment', 'detect-probe', '-j', 'ACCEPT'));
after(() => toolQuiet('iptables-legacy', '-D', 'INPUT', '-m', 'comment', '--comment', 'detect-probe', '-j', 'ACCEPT'));

it('a node whose rules are in iptables-legacy is detected as legacy', async () => {
  const detected = await detectBackend(new ExecaRunner());
  assert.equal(detected.backend, 'legacy', detected.reason);
});
