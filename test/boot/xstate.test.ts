// The large-XSAVE boot path of scripts/sandbox, forced on whatever host runs the tests
// (SANDBOX_XSTATE=on hides AVX state from user-mode-linux, so it lives only in the xstate
// interposer's per-thread shadow, as AVX-512/AMX state does on large hosts). Each case boots UML.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { boot } from './boot.ts';

describe('scripts/sandbox on the large-XSAVE path', () => {
  it('boots, and the CPU-state self-test passes', () => {
    const r = boot(['node', '--test', '--test-reporter=dot', 'test/sandbox/xstate.test.ts'], { SANDBOX_XSTATE: 'on' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  it('the self-test catches a leak when the per-thread guard is removed', () => {
    const r = boot(['build/xstate/xstate-check', '6', '4'], { SANDBOX_XSTATE: 'on', SANDBOX_XSTATE_GUARD: '0' });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout) as { mismatches: number };
    assert.ok(out.mismatches > 0);
  });

  it('when the host refuses the FPU state, one line names the cause', () => {
    // UML_XSTATE_REFUSE makes the interposer fail as a large-XSAVE host kernel does without it.
    const r = boot(['true'], { SANDBOX_XSTATE: 'on', UML_XSTATE_REFUSE: '1' });
    assert.equal(r.status, 125);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^sandbox: user-mode-linux cannot save or restore FPU state on this CPU .*ptrace set fp regs failed, errno = 14/);
  });

  it('refuses an unknown SANDBOX_XSTATE in one line', () => {
    const r = boot(['true'], { SANDBOX_XSTATE: 'maybe' });
    assert.equal(r.status, 125);
    assert.equal(r.stderr, "sandbox: SANDBOX_XSTATE must be auto, on or off (got 'maybe')\n");
  });
});
