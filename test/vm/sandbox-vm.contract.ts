// scripts/sandbox-vm from the outside, on the host (scripts/test runs this file before the VM tier;
// it is not a *.test.ts file, so the tier's own glob never runs it inside the VM). The same contract
// as scripts/sandbox: exit status, separate streams, the environment allowlist, a private /run, 124 on
// timeout, 125 with one line when it cannot boot. Two cases boot the VM (about 15-40 s each under
// TCG on a busy 2-core host); the refusals are checked before any boot and take a second.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
const script = `${projectRoot}scripts/sandbox-vm`;

interface Result {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

function vm(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 240_000): Result {
  const started = Date.now();
  const r = spawnSync(script, args, { cwd: projectRoot, encoding: 'utf8', env: { ...process.env, ...env }, timeout: timeoutMs });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, seconds: (Date.now() - started) / 1000 };
}

describe('scripts/sandbox-vm', () => {
  // A file in the host's /run: the guest must not see it (its /run is a private tmpfs).
  const hostRunProbe = `/run/ipvs-sandbox-vm-probe.${process.pid}`;
  before(() => writeFileSync(hostRunProbe, ''));
  after(() => rmSync(hostRunProbe, { force: true }));

  it('runs the command in the distribution kernel: status, separate streams, verbatim arguments, allowlisted environment, private /run', () => {
    const command = [
      'printf "%s|" "$@"; echo',
      'echo "$IPVS_PROXIER_PROBE ${LEAK_PROBE:-not-passed} $IPVS_PROXIER_SANDBOX $IPVS_PROXIER_IPTABLES_BACKEND $(pwd)"',
      `if [ -e ${hostRunProbe} ]; then echo host-run-visible; else echo run-private; fi`,
      'uname -r',
      'echo to-stderr >&2',
      'exit 7',
    ].join('; ');
    const r = vm(['bash', '-c', command, 'argv0', 'a b', '$(id)', "it's"], { IPVS_PROXIER_PROBE: 'seen', LEAK_PROBE: 'leaked' });
    assert.equal(r.status, 7, r.stderr);
    assert.equal(r.stderr, 'to-stderr\n');
    const [args, env, run, kernel, end] = r.stdout.split('\n');
    assert.equal(args, 'a b|$(id)|it\'s|');
    assert.equal(env, `seen not-passed 1 nft ${projectRoot.replace(/\/$/, '')}`);
    assert.equal(run, 'run-private');
    assert.ok(kernel !== undefined && existsSync(`/boot/vmlinuz-${kernel}`), `the guest ran an installed distribution kernel, not ${kernel}`);
    assert.equal(end, '');
  });

  it('kills a command that outlives SANDBOX_TIMEOUT, exits 124 and says so in one line', () => {
    const r = vm(['sleep', '600'], { SANDBOX_TIMEOUT: '25' });
    assert.equal(r.status, 124, r.stderr);
    assert.match(r.stderr, /^sandbox-vm: timed out after 25s running: sleep 600\n$/);
    assert.equal(r.stdout, '');
    assert.ok(r.seconds < 45, `took ${r.seconds} s`);
  });
});

describe('scripts/sandbox-vm exits 125 with one line naming the cause when', () => {
  it('it is not root', () => {
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', script, 'true'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 125);
    assert.match(r.stderr, /^sandbox-vm: must run as root[^\n]*\n$/);
  });

  it('SANDBOX_VM_ACCEL is not auto, kvm or tcg', () => {
    const r = vm(['true'], { SANDBOX_VM_ACCEL: 'hvf' }, 30_000);
    assert.equal(r.status, 125);
    assert.match(r.stderr, /^sandbox-vm: SANDBOX_VM_ACCEL must be auto, kvm or tcg, not 'hvf'\n$/);
  });

  it('a tool it drives is not installed', () => {
    // ipvsadm lives in /usr/sbin: without it on PATH the script must name it, not boot and fail later.
    const r = vm(['true'], { PATH: '/usr/bin:/bin' }, 30_000);
    assert.equal(r.status, 125);
    assert.match(r.stderr, /^sandbox-vm: 'ipvsadm' is missing: run npm run setup[^\n]*\n$/);
  });

  it('the VM cannot boot (32 MiB is too little for the kernel)', () => {
    const r = vm(['true'], { SANDBOX_MEM: '32M', SANDBOX_VM_ACCEL: 'tcg' }, 150_000);
    assert.equal(r.status, 125);
    assert.match(r.stderr, /^sandbox-vm: the VM stopped before reaching its initramfs[^\n]*\n$/);
    assert.equal(r.stdout, '');
  });
});
