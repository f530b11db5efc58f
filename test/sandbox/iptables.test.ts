/**
 * ToolIptables against real iptables-legacy 1.8.9 in the sandbox kernel, compared with what
 * iptables-legacy-save prints, and with FakeIptables fed the same transactions.
 */
import { tool, toolQuiet } from './require-sandbox.ts';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CommandError } from '../../src/errors.ts';
import { ExecaRunner } from '../../src/kernel/exec/exec.ts';
import { FakeIptables } from '../../src/kernel/iptables/fake.ts';
import { ToolIptables } from '../../src/kernel/iptables/iptables.ts';
import { parseIptablesSave } from '../../src/kernel/iptables/save.ts';
import { IptablesTransaction } from '../../src/kernel/iptables/transaction.ts';
import type { IptablesFamily, IptablesState, JumpRule, Table } from '../../src/kernel/iptables/types.ts';
import { addRemoval, analyzeRemoval } from '../../src/ownership/iptables-removal.ts';

const SETS = { 4: 'KUBE-CLUSTER-IP', 6: 'KUBE-6-CLUSTER-IP' } as const;
const CLUSTER_CIDR = { 4: '10.244.0.0/16', 6: 'fd00:10:244::/64' } as const;
const MASQ_COMMENT = 'Kubernetes service cluster ip + port for masquerade purpose';

/** Upstream's jump rules (pkg/proxy/ipvs/proxier.go iptablesJumpChain). */
const JUMPS: JumpRule[] = [
  { table: 'nat', chain: 'OUTPUT', target: 'KUBE-SERVICES', comment: 'kubernetes service portals' },
  { table: 'nat', chain: 'PREROUTING', target: 'KUBE-SERVICES', comment: 'kubernetes service portals' },
  { table: 'nat', chain: 'POSTROUTING', target: 'KUBE-POSTROUTING', comment: 'kubernetes postrouting rules' },
  { table: 'filter', chain: 'FORWARD', target: 'KUBE-FORWARD', comment: 'kubernetes forwarding rules' },
  { table: 'filter', chain: 'INPUT', target: 'KUBE-NODE-PORT', comment: 'kubernetes health check rules' },
  { table: 'filter', chain: 'INPUT', target: 'KUBE-PROXY-FIREWALL', comment: 'kube-proxy firewall rules' },
  { table: 'filter', chain: 'FORWARD', target: 'KUBE-PROXY-FIREWALL', comment: 'kube-proxy firewall rules' },
  { table: 'filter', chain: 'INPUT', target: 'KUBE-IPVS-FILTER', comment: 'kubernetes ipvs access filter' },
  { table: 'filter', chain: 'OUTPUT', target: 'KUBE-IPVS-OUT-FILTER', comment: 'kubernetes ipvs access filter' },
];
const OUR_CHAINS: Record<'nat' | 'filter', string[]> = {
  nat: ['KUBE-SERVICES', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ', 'KUBE-NODE-PORT', 'KUBE-LOAD-BALANCER'],
  filter: ['KUBE-FORWARD', 'KUBE-NODE-PORT', 'KUBE-PROXY-FIREWALL', 'KUBE-IPVS-FILTER', 'KUBE-IPVS-OUT-FILTER', 'KUBE-SOURCE-RANGES-FIREWALL'],
};

const bin = (family: IptablesFamily, name: string): string => `${family === 4 ? 'iptables' : 'ip6tables'}-legacy${name}`;
const realSave = (family: IptablesFamily, table: Table): IptablesState => parseIptablesSave(tool(bin(family, '-save'), '-t', table));
const rulesOf = (s: IptablesState, table: Table, chain: string) => s.tables.get(table)?.chains.get(chain)?.rules;

/** One sync's worth of our chains, in canonical (iptables-save) form. `serviceIp` varies per sync. */
function syncTx(family: IptablesFamily, serviceIp: string): IptablesTransaction {
  const tx = new IptablesTransaction(family);
  for (const table of ['nat', 'filter'] as const) for (const chain of OUR_CHAINS[table]) tx.declareChain(table, chain);
  return tx
    .appendRule('nat', 'KUBE-SERVICES', ['!', '-s', CLUSTER_CIDR[family], '-m', 'comment', '--comment', MASQ_COMMENT, '-m', 'set', '--match-set', SETS[family], 'dst,dst', '-j', 'KUBE-MARK-MASQ'])
    .appendRule('nat', 'KUBE-SERVICES', ['-d', serviceIp, '-p', 'tcp', '-m', 'tcp', '--dport', '443', '-j', 'ACCEPT'])
    .appendRule('nat', 'KUBE-SERVICES', ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'KUBE-NODE-PORT'])
    .appendRule('nat', 'KUBE-MARK-MASQ', ['-j', 'MARK', '--set-xmark', '0x4000/0x4000'])
    .appendRule('nat', 'KUBE-POSTROUTING', ['-m', 'mark', '!', '--mark', '0x4000/0x4000', '-j', 'RETURN'])
    .appendRule('nat', 'KUBE-POSTROUTING', ['-j', 'MARK', '--set-xmark', '0x4000/0x0'])
    .appendRule('nat', 'KUBE-POSTROUTING', ['-m', 'comment', '--comment', 'kubernetes service traffic requiring SNAT', '-j', 'MASQUERADE', '--random-fully'])
    .appendRule('filter', 'KUBE-FORWARD', ['-m', 'conntrack', '--ctstate', 'INVALID', '-j', 'DROP'])
    .appendRule('filter', 'KUBE-FORWARD', ['-m', 'comment', '--comment', 'kubernetes forwarding rules', '-m', 'mark', '--mark', '0x4000/0x4000', '-j', 'ACCEPT'])
    .appendRule('filter', 'KUBE-PROXY-FIREWALL', ['-j', 'KUBE-SOURCE-RANGES-FIREWALL'])
    .appendRule('filter', 'KUBE-IPVS-FILTER', ['-m', 'set', '--match-set', SETS[family], 'dst,dst', '-j', 'RETURN']);
}

function reset(): void {
  for (const family of [4, 6] as const) {
    for (const table of ['nat', 'filter']) {
      toolQuiet(bin(family, ''), '-w', '-t', table, '-F');
      toolQuiet(bin(family, ''), '-w', '-t', table, '-X');
    }
    toolQuiet(bin(family, ''), '-w', '-t', 'filter', '-P', 'FORWARD', 'ACCEPT');
  }
  for (const set of Object.values(SETS)) toolQuiet('ipset', 'destroy', set);
}

describe('iptables (legacy) in the sandbox kernel', { timeout: 90_000 }, () => {
  const ipt = new ToolIptables(new ExecaRunner(), { backend: 'legacy' });

  before(() => {
    reset();
    tool('ipset', 'create', SETS[4], 'hash:ip,port');
    tool('ipset', 'create', SETS[6], 'hash:ip,port', 'family', 'inet6');
    // Foreign state that --noflush must leave alone: a DOCKER chain and rules in built-in chains.
    tool('iptables-legacy', '-w', '-t', 'filter', '-N', 'DOCKER');
    tool('iptables-legacy', '-w', '-t', 'filter', '-A', 'DOCKER', '-d', '172.17.0.2/32', '-p', 'tcp', '-m', 'tcp', '--dport', '80', '-j', 'ACCEPT');
    tool('iptables-legacy', '-w', '-t', 'filter', '-A', 'INPUT', '-i', 'lo', '-j', 'ACCEPT');
    tool('iptables-legacy', '-w', '-t', 'filter', '-A', 'FORWARD', '-j', 'DOCKER');
    tool('iptables-legacy', '-w', '-t', 'nat', '-A', 'OUTPUT', '-d', '192.0.2.1/32', '-j', 'RETURN');
  });
  after(reset);

  it('restores our chains with --noflush; iptables-legacy-save shows exactly them, foreign rules intact', async () => {
    await ipt.restore(4, syncTx(4, '10.96.0.1'));
    const nat = realSave(4, 'nat');
    assert.deepEqual(rulesOf(nat, 'nat', 'KUBE-SERVICES'), [
      ['!', '-s', '10.244.0.0/16', '-m', 'comment', '--comment', MASQ_COMMENT, '-m', 'set', '--match-set', 'KUBE-CLUSTER-IP', 'dst,dst', '-j', 'KUBE-MARK-MASQ'],
      ['-d', '10.96.0.1/32', '-p', 'tcp', '-m', 'tcp', '--dport', '443', '-j', 'ACCEPT'],
      ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'KUBE-NODE-PORT'],
    ]);
    assert.match(tool('iptables-legacy-save', '-t', 'nat'), /^-A KUBE-SERVICES ! -s 10\.244\.0\.0\/16 -m comment --comment "Kubernetes service cluster ip \+ port for masquerade purpose" -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ$/m);
    assert.deepEqual(rulesOf(nat, 'nat', 'OUTPUT'), [['-d', '192.0.2.1/32', '-j', 'RETURN']]);
    const filter = realSave(4, 'filter');
    assert.deepEqual(rulesOf(filter, 'filter', 'DOCKER'), [['-d', '172.17.0.2/32', '-p', 'tcp', '-m', 'tcp', '--dport', '80', '-j', 'ACCEPT']]);
    assert.deepEqual(rulesOf(filter, 'filter', 'INPUT'), [['-i', 'lo', '-j', 'ACCEPT']]);
    assert.deepEqual(rulesOf(filter, 'filter', 'FORWARD'), [['-j', 'DOCKER']]);
    // Our save parser sees the same as the tool itself.
    assert.deepEqual(await ipt.save(4, 'filter'), filter);
  });

  it('FakeIptables given the same transactions ends in the same state as the kernel', async () => {
    const fake = new FakeIptables({ setExists: (name, family) => name === SETS[family] });
    fake.applyRestoreText(4, tool('iptables-legacy-save', '-t', 'filter').replace(/^:KUBE.*\n|^-A KUBE.*\n|^-A \S+ .*-j KUBE.*\n/gm, ''));
    fake.applyRestoreText(4, '*nat\n-A OUTPUT -d 192.0.2.1/32 -j RETURN\nCOMMIT\n');
    await ipt.restore(4, syncTx(4, '10.96.0.2'));
    await fake.restore(4, syncTx(4, '10.96.0.2'));
    await ipt.ensureJumps(4, JUMPS);
    await fake.ensureJumps(4, JUMPS);
    for (const table of ['nat', 'filter'] as const) {
      assert.deepEqual((await fake.save(4, table)).tables.get(table), realSave(4, table).tables.get(table), table);
    }
  });

  it('ensures the built-in jumps exactly once across repeated syncs, without flushing built-in chains', async () => {
    for (const ip of ['10.96.0.3', '10.96.0.4', '10.96.0.5']) {
      await ipt.restore(4, syncTx(4, ip));
      await ipt.ensureJumps(4, JUMPS);
    }
    const filter = realSave(4, 'filter');
    // -I prepends, so the jumps ensured last sit on top, as with upstream's sequential iptables -I.
    assert.deepEqual(rulesOf(filter, 'filter', 'INPUT'), [
      ['-m', 'comment', '--comment', 'kubernetes ipvs access filter', '-j', 'KUBE-IPVS-FILTER'],
      ['-m', 'comment', '--comment', 'kube-proxy firewall rules', '-j', 'KUBE-PROXY-FIREWALL'],
      ['-m', 'comment', '--comment', 'kubernetes health check rules', '-j', 'KUBE-NODE-PORT'],
      ['-i', 'lo', '-j', 'ACCEPT'],
    ]);
    assert.equal(rulesOf(filter, 'filter', 'FORWARD')?.length, 3);
    assert.equal(rulesOf(filter, 'filter', 'OUTPUT')?.length, 1);
    const nat = realSave(4, 'nat');
    assert.deepEqual(rulesOf(nat, 'nat', 'OUTPUT'), [['-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES'], ['-d', '192.0.2.1/32', '-j', 'RETURN']]);
    assert.equal(rulesOf(nat, 'nat', 'KUBE-SERVICES')?.[1]?.[1], '10.96.0.5/32', 'chains rewritten whole, last sync wins');
    assert.equal(rulesOf(nat, 'nat', 'KUBE-SERVICES')?.length, 3);
    // A duplicate left by someone else is removed.
    tool('iptables-legacy', '-w', '-t', 'nat', '-A', 'OUTPUT', '-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES');
    await ipt.ensureJumps(4, JUMPS);
    assert.equal(rulesOf(realSave(4, 'nat'), 'nat', 'OUTPUT')?.length, 2);
  });

  it('is all-or-nothing per table: a rule the kernel refuses leaves that table untouched (same exit code as the fake)', async () => {
    const before = tool('iptables-legacy-save');
    const bad = syncTx(4, '10.96.0.9').appendRule('nat', 'KUBE-SERVICES', ['-m', 'set', '--match-set', 'KUBE-NO-SUCH-SET', 'dst', '-j', 'ACCEPT']);
    let exitCode: number | undefined;
    await assert.rejects(ipt.restore(4, bad), (err: unknown) => {
      exitCode = err instanceof CommandError ? err.exitCode : undefined;
      return err instanceof CommandError && err.code === 'ERR_COMMAND_FAILED' && err.command === 'iptables-legacy-restore';
    });
    assert.equal(exitCode, 2);
    const strip = (text: string): string => text.replace(/^#.*\n/gm, '');
    // filter renders before nat and is identical to what is there, so the whole save is unchanged.
    assert.equal(strip(tool('iptables-legacy-save')), strip(before));
    const fake = new FakeIptables({ setExists: (name) => name === SETS[4] });
    await assert.rejects(fake.restore(4, bad), (err: unknown) => err instanceof CommandError && err.exitCode === exitCode);
  });

  it('IPv6: ip6tables-legacy-restore, a set match, and jumps', async () => {
    await ipt.restore(6, syncTx(6, 'fd00::a'));
    await ipt.ensureJumps(6, JUMPS);
    await ipt.ensureJumps(6, JUMPS);
    const nat = realSave(6, 'nat');
    assert.deepEqual(rulesOf(nat, 'nat', 'KUBE-SERVICES')?.slice(0, 2), [
      ['!', '-s', 'fd00:10:244::/64', '-m', 'comment', '--comment', MASQ_COMMENT, '-m', 'set', '--match-set', 'KUBE-6-CLUSTER-IP', 'dst,dst', '-j', 'KUBE-MARK-MASQ'],
      ['-d', 'fd00::a/128', '-p', 'tcp', '-m', 'tcp', '--dport', '443', '-j', 'ACCEPT'],
    ]);
    assert.equal(rulesOf(nat, 'nat', 'PREROUTING')?.length, 1);
    assert.equal(rulesOf(realSave(6, 'filter'), 'filter', 'INPUT')?.length, 3);
    assert.deepEqual(rulesOf(realSave(4, 'nat'), 'nat', 'KUBE-SERVICES')?.[1]?.[1], '10.96.0.5/32', 'IPv4 untouched');
  });

  it('the set match counts exactly the packets to a member of the ipset', async () => {
    tool('ipset', 'add', SETS[4], '10.96.7.7,tcp:80');
    tool('ip', 'link', 'set', 'lo', 'up');
    tool('ip', 'address', 'add', '10.96.7.7/32', 'dev', 'lo');
    try {
      // tcp-reset answers at once, so connect() fails fast instead of retrying SYNs. The kernel's
      // REJECT checkentry refuses tcp-reset without -p tcp (restore exits 1 at COMMIT).
      const tx = new IptablesTransaction(4).declareChain('filter', 'KUBE-IPVS-OUT-FILTER')
        .appendRule('filter', 'KUBE-IPVS-OUT-FILTER', ['-p', 'tcp', '-m', 'set', '--match-set', SETS[4], 'dst,dst', '-j', 'REJECT', '--reject-with', 'tcp-reset']);
      await ipt.restore(4, tx);
      const connect = (port: number): void => toolQuiet('timeout', '5', 'bash', '-c', `exec 3<>/dev/tcp/10.96.7.7/${port}`);
      connect(80);
      const afterMember = packets();
      connect(81); // not in the set: refused by the stack (nobody listens), not by the rule
      assert.equal(afterMember, 1);
      assert.equal(packets(), 1);
    } finally {
      toolQuiet('ip', 'address', 'del', '10.96.7.7/32', 'dev', 'lo');
    }
  });

  it('waits for the xtables lock with --wait, and fails with exit 4 when it times out', async () => {
    const holder = spawn('flock', ['/run/xtables.lock', 'sleep', '4'], { stdio: 'ignore' });
    try {
      while (tryLock()) await sleep(50);
      const short = new ToolIptables(new ExecaRunner(), { backend: 'legacy', waitSeconds: 1 });
      await assert.rejects(short.restore(4, new IptablesTransaction(4).declareChain('filter', 'KUBE-NODE-PORT')),
        (err: unknown) => err instanceof CommandError && err.exitCode === 4);
      const started = Date.now();
      await ipt.restore(4, new IptablesTransaction(4).declareChain('filter', 'KUBE-NODE-PORT'));
      assert.ok(Date.now() - started > 500, 'restore waited for the lock');
    } finally {
      holder.kill();
    }
  });

  it('the ownership module\'s removal unhooks and deletes all of it in one restore, leaving foreign state; idempotent', async () => {
    for (const family of [4, 6] as const) {
      for (let pass = 0; pass < 2; pass++) {
        const { removal } = analyzeRemoval(await ipt.save(family), 'all');
        assert.deepEqual(removal.heldChains, []);
        await ipt.restore(family, addRemoval(new IptablesTransaction(family), removal));
      }
    }
    assert.doesNotMatch(tool('iptables-legacy-save') + tool('ip6tables-legacy-save'), /KUBE/);
    const filter = realSave(4, 'filter');
    assert.deepEqual(rulesOf(filter, 'filter', 'INPUT'), [['-i', 'lo', '-j', 'ACCEPT']]);
    assert.deepEqual(rulesOf(filter, 'filter', 'FORWARD'), [['-j', 'DOCKER']]);
    assert.equal(rulesOf(filter, 'filter', 'DOCKER')?.length, 1);
    assert.deepEqual(rulesOf(realSave(4, 'nat'), 'nat', 'OUTPUT'), [['-d', '192.0.2.1/32', '-j', 'RETURN']]);
  });
});

/** Packets counted by the one rule of KUBE-IPVS-OUT-FILTER (iptables-save -c prefixes [packets:bytes]). */
function packets(): number {
  const line = tool('iptables-legacy-save', '-c', '-t', 'filter').split('\n').find((l) => l.includes('-A KUBE-IPVS-OUT-FILTER '));
  const m = /^\[(\d+):\d+\] -A KUBE-IPVS-OUT-FILTER -p tcp -m set --match-set KUBE-CLUSTER-IP dst,dst -j REJECT --reject-with tcp-reset$/.exec(line ?? '');
  assert.ok(m, line);
  return Number(m[1]);
}

/** True while nobody else holds the xtables lock. */
function tryLock(): boolean {
  try {
    tool('flock', '-n', '/run/xtables.lock', 'true');
    return true;
  } catch {
    return false;
  }
}
