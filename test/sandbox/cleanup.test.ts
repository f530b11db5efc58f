// --cleanup in the real kernel: everything we own goes, foreign objects stay.
import './require-sandbox.ts';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tool } from './require-sandbox.ts';
import { resetProxierState } from './reset.ts';

const bin = fileURLToPath(new URL('../../bin/ipvs-proxier.js', import.meta.url));
const examples = fileURLToPath(new URL('../../manifests/examples', import.meta.url));

function proxier(...args: string[]): void {
  execFileSync(process.execPath, [bin, '--iptables-backend', 'legacy', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

describe('ipvs-proxier --cleanup', () => {
  before(() => {
    resetProxierState();
    // Foreign objects that must survive.
    tool('ipvsadm', '-A', '-t', '192.0.2.50:80', '-s', 'wlc');
    tool('ipset', 'create', 'FOREIGN-SET', 'hash:ip');
    tool('iptables-legacy', '-t', 'nat', '-N', 'FOREIGN-CHAIN');
    tool('iptables-legacy', '-t', 'nat', '-A', 'PREROUTING', '-j', 'FOREIGN-CHAIN');
    proxier('--manifests', examples, '--once', '--hostname-override', 'demo-node');
  });

  after(() => {
    resetProxierState();
    tool('iptables-legacy', '-t', 'nat', '-D', 'PREROUTING', '-j', 'FOREIGN-CHAIN');
    tool('iptables-legacy', '-t', 'nat', '-X', 'FOREIGN-CHAIN');
    tool('ipset', 'destroy', 'FOREIGN-SET');
  });

  it('removes our virtual servers, chains, jumps, sets and kube-ipvs0, and nothing else', () => {
    assert.match(tool('ipvsadm', '-Sn'), /10\.96\.0\.10:80/, 'the daemon programmed the kernel first');
    proxier('--cleanup');
    assert.equal(tool('ipvsadm', '-Sn'), '-A -t 192.0.2.50:80 -s wlc\n');
    assert.deepEqual(tool('ipset', 'list', '-n').trim().split('\n'), ['FOREIGN-SET']);
    const nat = tool('iptables-legacy-save', '-t', 'nat') + tool('iptables-legacy-save', '-t', 'filter');
    assert.doesNotMatch(nat, /KUBE-/);
    assert.match(nat, /^-A PREROUTING -j FOREIGN-CHAIN$/m);
    assert.throws(() => tool('ip', 'link', 'show', 'kube-ipvs0'));
  });

  it('is idempotent: a second cleanup succeeds with nothing to do', () => {
    proxier('--cleanup');
    assert.equal(tool('ipvsadm', '-Sn'), '-A -t 192.0.2.50:80 -s wlc\n');
  });
});
