// sandbox/diagnose-boot turns a dead kernel's console into one line naming the cause. Pure: it
// reads files, so each case is a recorded console; no kernel boots here.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const diagnose = fileURLToPath(new URL('../../../sandbox/diagnose-boot', import.meta.url));

// The console of UML 6.1 on an AMX host without the interposer (issue: "sandbox boots on every host").
const FP_PANIC = [
  'Linux version 6.1.0-uml',
  'userspace - ptrace set fp regs failed, errno = 14',
  'Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b',
].join('\n');

const cases: { name: string; console: string; bootError?: string; mode?: string; expect: RegExp }[] = [
  { name: 'FPU state refused, interposer off', console: FP_PANIC, mode: 'off',
    expect: /^user-mode-linux cannot save or restore FPU state on this CPU: its XSAVE area is 10688 bytes and UML 6\.1 handles 832, and SANDBOX_XSTATE=off disables .*"userspace - ptrace set fp regs failed, errno = 14"\)$/ },
  { name: 'FPU state refused with the interposer', console: FP_PANIC, mode: 'auto',
    expect: /^user-mode-linux cannot save or restore FPU state on this CPU \(XSAVE area 10688 bytes; UML 6\.1 handles 832\) even with the xstate interposer \(SANDBOX_XSTATE=auto\): rebuild it with npm run setup/ },
  { name: 'interposer not loadable', console: "ERROR: ld.so: object '/x/uml-xstate.so' from LD_PRELOAD cannot be preloaded (cannot open shared object file): ignored.\n" + FP_PANIC.split('\n')[0],
    expect: /^the xstate interposer could not be loaded into linux\.uml: ERROR: ld\.so: object/ },
  { name: 'out of memory', console: 'Out of memory: Killed process 12 (node)\nKernel panic - not syncing: System is deadlocked on memory',
    expect: /^the kernel ran out of memory \(raise SANDBOX_MEM\): "Out of memory: Killed process 12 \(node\)"$/ },
  { name: 'other panic', console: 'booting\nKernel panic - not syncing: VFS: Unable to mount root fs',
    expect: /^the kernel panicked: "Kernel panic - not syncing: VFS: Unable to mount root fs"$/ },
  { name: 'init failed', console: 'booting', bootError: 'mount /proc failed',
    expect: /^the sandbox init failed: mount \/proc failed$/ },
  { name: 'silent death', console: '',
    expect: /^the kernel stopped before printing anything/ },
  { name: 'anything else', console: 'line one\nlast words\n\n',
    expect: /^the kernel stopped before the command finished; its last console line: "last words"$/ },
];

describe('sandbox/diagnose-boot', () => {
  for (const c of cases) {
    it(c.name, () => {
      const dir = mkdtempSync(join(tmpdir(), 'diagnose-boot-'));
      try {
        writeFileSync(join(dir, 'console'), c.console);
        if (c.bootError !== undefined) writeFileSync(join(dir, 'boot-error'), `${c.bootError}\n`);
        const out = execFileSync(diagnose, [dir, '10688', c.mode ?? 'auto'], { encoding: 'utf8' });
        assert.equal(out.split('\n').length, 2, `one line, got ${JSON.stringify(out)}`);
        assert.match(out.trimEnd(), c.expect);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
