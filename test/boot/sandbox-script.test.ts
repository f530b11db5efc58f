// scripts/sandbox from the outside: exit status, separate streams, timeout, argument quoting.
// Each case boots the real user-mode-linux kernel (~5 s).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { boot as run, projectRoot } from './boot.ts';

describe('scripts/sandbox', () => {
  it('runs in a kernel with IPVS, keeps stdout and stderr apart, returns the status, passes arguments verbatim', () => {
    const script = 'printf "%s|" "$@"; grep -c "^ip_vs " /proc/modules; echo to-stderr >&2; exit 7';
    const result = run(['bash', '-c', script, 'argv0', 'a b', '$(id)', "it's"], { IPVS_PROXIER_PROBE: 'x' });
    assert.equal(result.status, 7);
    assert.equal(result.stdout, 'a b|$(id)|it\'s|1\n');
    assert.equal(result.stderr, 'to-stderr\n');
  });

  it('passes our environment prefix and marks the sandbox', () => {
    const result = run(['bash', '-c', 'echo "$IPVS_PROXIER_PROBE $IPVS_PROXIER_SANDBOX $(node --version | cut -d. -f1)"'], { IPVS_PROXIER_PROBE: 'seen' });
    assert.equal(result.status, 0);
    assert.equal(result.stdout, 'seen 1 v24\n');
  });

  it('kills a command that outlives SANDBOX_TIMEOUT and says so', () => {
    const result = run(['sleep', '600'], { SANDBOX_TIMEOUT: '12' });
    assert.equal(result.status, 124);
    assert.match(result.stderr, /timed out after 12s/);
  });

  it('a missing command fails with a status, not a hang', () => {
    const result = run(['ipvs-proxier-no-such-command']);
    assert.equal(result.status, 127);
  });
});

describe('scripts/sandbox refuses to start, in one line, when', () => {
  it('it is not root', () => {
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', `${projectRoot}scripts/sandbox`, 'true'], { encoding: 'utf8' });
    assert.equal(r.status, 125);
    assert.match(r.stderr, /^sandbox: must run as root[^\n]*\n$/);
  });

  it('a tool it drives is not installed', () => {
    // ipvsadm lives in /usr/sbin: without it on PATH the sandbox must name it, not boot and fail later.
    const r = run(['true'], { PATH: '/usr/bin:/bin' });
    assert.equal(r.status, 125);
    assert.match(r.stderr, /^sandbox: 'ipvsadm' is missing: run npm run setup[^\n]*\n$/);
  });
});
