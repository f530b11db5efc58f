// The sandbox keeps each guest thread's vector registers to itself (docs/sandbox.md, "CPU state").
// On hosts whose XSAVE area is larger than user-mode-linux 6.1's 832 bytes, the state past those
// bytes is switched per thread only by the xstate interposer's shadow; test/boot runs this file
// with SANDBOX_XSTATE=on so that path is exercised on every host, and proves the check can fail.
import './require-sandbox.ts';
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runWorkload } from '../../sandbox/xstate/workload.ts';

const check = fileURLToPath(new URL('../../build/xstate/xstate-check', import.meta.url));

it('native threads read back the vector registers they wrote, across preemption', () => {
  const out = JSON.parse(execFileSync(check, ['5', '4'], { encoding: 'utf8' })) as { rounds: number; mismatches: number };
  assert.equal(out.mismatches, 0);
  assert.ok(out.rounds > 1000, `only ${out.rounds} rounds: too few to have been preempted`);
});

it('worker threads and the libuv pool get known results from vector-heavy work', async () => {
  // At least 8 s and 1,200 results: a slow host takes longer rather than checking too little.
  const result = await runWorkload(8000, 1200);
  assert.equal(result.wrong, 0);
  assert.ok(result.checked >= 1200, `only ${result.checked} results checked`);
});
