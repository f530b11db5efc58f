// --cleanup in the real kernel: everything we own goes, in both families, foreign objects stay.
//
// The node is dual-stack while the flags name only IPv4 (`--cluster-cidr` with one family, as most
// kubeadm configs have): cleanup must still find ours in both families. Issue 9: the ip6tables
// rules reference the KUBE-6-* sets, so skipping IPv6 iptables left every set "in use" (EBUSY).
import './require-sandbox.ts';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tool } from './require-sandbox.ts';
import { resetProxierState } from './reset.ts';

const bin = fileURLToPath(new URL('../../bin/ipvs-proxier.js', import.meta.url));
const examples = fileURLToPath(new URL('../../manifests/examples', import.meta.url));
const IPV4_ONLY = ['--cluster-cidr', '10.244.0.0/16'];

function proxier(...args: string[]): void {
  execFileSync(process.execPath, [bin, '--iptables-backend', 'legacy', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

function iptablesText(save: string): string {
  return tool(save, '-t', 'nat') + tool(save, '-t', 'filter');
}

describe('ipvs-proxier --cleanup', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cleanup-'));

  before(() => {
    resetProxierState();
    for (const f of readdirSync(examples)) copyFileSync(join(examples, f), join(dir, f));
    writeFileSync(join(dir, 'web6.yaml'), [
      'apiVersion: v1', 'kind: Service', 'metadata: {name: web6, namespace: default}',
      'spec: {clusterIP: "fd00:96::20", clusterIPs: ["fd00:96::20"], ipFamilies: [IPv6], ports: [{name: http, port: 80}]}',
    ].join('\n'));
    // Foreign objects that must survive.
    tool('ipvsadm', '-A', '-t', '192.0.2.50:80', '-s', 'wlc');
    tool('ipset', 'create', 'FOREIGN-SET', 'hash:ip');
    for (const cmd of ['iptables-legacy', 'ip6tables-legacy']) {
      tool(cmd, '-t', 'nat', '-N', 'FOREIGN-CHAIN');
      tool(cmd, '-t', 'nat', '-A', 'PREROUTING', '-j', 'FOREIGN-CHAIN');
    }
    proxier('--manifests', dir, '--once', '--hostname-override', 'demo-node', ...IPV4_ONLY);
  });

  after(() => {
    resetProxierState();
    for (const cmd of ['iptables-legacy', 'ip6tables-legacy']) {
      tool(cmd, '-t', 'nat', '-D', 'PREROUTING', '-j', 'FOREIGN-CHAIN');
      tool(cmd, '-t', 'nat', '-X', 'FOREIGN-CHAIN');
    }
    tool('ipset', 'destroy', 'FOREIGN-SET');
    rmSync(dir, { recursive: true, force: true });
  });

  it('the daemon programmed both families first', () => {
    const ipvs = tool('ipvsadm', '-Sn');
    assert.match(ipvs, /10\.96\.0\.10:80/);
    assert.match(ipvs, /\[fd00:96::20\]:80/);
    assert.match(tool('ipset', 'list', '-n'), /^KUBE-6-CLUSTER-IP$/m);
    assert.match(iptablesText('ip6tables-legacy-save'), /-j KUBE-SERVICES/);
    assert.match(tool('ip', '-6', 'addr', 'show', 'dev', 'kube-ipvs0'), /fd00:96::20/);
  });

  it('removes our virtual servers, chains, jumps, sets and kube-ipvs0 in both families, with IPv4-only flags, and nothing else', () => {
    proxier('--cleanup', ...IPV4_ONLY);
    assert.equal(tool('ipvsadm', '-Sn'), '-A -t 192.0.2.50:80 -s wlc\n');
    assert.deepEqual(tool('ipset', 'list', '-n').trim().split('\n'), ['FOREIGN-SET']);
    for (const save of ['iptables-legacy-save', 'ip6tables-legacy-save']) {
      const text = iptablesText(save);
      assert.doesNotMatch(text, /KUBE-/, save);
      assert.match(text, /^-A PREROUTING -j FOREIGN-CHAIN$/m, save);
    }
    assert.throws(() => tool('ip', 'link', 'show', 'kube-ipvs0'));
  });

  it('is idempotent: a second cleanup succeeds with nothing to do', () => {
    proxier('--cleanup');
    assert.equal(tool('ipvsadm', '-Sn'), '-A -t 192.0.2.50:80 -s wlc\n');
  });
});
