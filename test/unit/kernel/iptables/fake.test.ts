import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CommandError } from '../../../../src/errors.ts';
import { IptablesTransactionError } from '../../../../src/kernel/iptables/errors.ts';
import { FakeIptables } from '../../../../src/kernel/iptables/fake.ts';
import { parseIptablesSave } from '../../../../src/kernel/iptables/save.ts';
import { IptablesTransaction } from '../../../../src/kernel/iptables/transaction.ts';
import type { IptablesFamily, JumpRule, Table } from '../../../../src/kernel/iptables/types.ts';

const JUMPS: JumpRule[] = [
  { table: 'nat', chain: 'OUTPUT', target: 'KUBE-SERVICES', comment: 'kubernetes service portals' },
  { table: 'nat', chain: 'PREROUTING', target: 'KUBE-SERVICES', comment: 'kubernetes service portals' },
  { table: 'nat', chain: 'POSTROUTING', target: 'KUBE-POSTROUTING', comment: 'kubernetes postrouting rules' },
  { table: 'filter', chain: 'FORWARD', target: 'KUBE-FORWARD', comment: 'kubernetes forwarding rules' },
];

function sync(family: IptablesFamily = 4): IptablesTransaction {
  return new IptablesTransaction(family)
    .declareChain('nat', 'KUBE-SERVICES').declareChain('nat', 'KUBE-POSTROUTING').declareChain('nat', 'KUBE-MARK-MASQ')
    .appendRule('nat', 'KUBE-SERVICES', ['-m', 'set', '--match-set', 'KUBE-CLUSTER-IP', 'dst,dst', '-j', 'KUBE-MARK-MASQ'])
    .appendRule('nat', 'KUBE-MARK-MASQ', ['-j', 'MARK', '--set-xmark', '0x4000/0x4000'])
    .appendRule('nat', 'KUBE-POSTROUTING', ['-j', 'MASQUERADE', '--random-fully'])
    .declareChain('filter', 'KUBE-FORWARD')
    .appendRule('filter', 'KUBE-FORWARD', ['-m', 'conntrack', '--ctstate', 'INVALID', '-j', 'DROP']);
}

function withSets(...names: string[]): FakeIptables {
  return new FakeIptables({ setExists: (name) => names.includes(name) });
}

async function rules(fake: FakeIptables, table: Table, chain: string, family: IptablesFamily = 4): Promise<readonly (readonly string[])[] | undefined> {
  return (await fake.save(family, table)).tables.get(table)?.chains.get(chain)?.rules;
}

function restoreFailure(exitCode: number) {
  return (err: unknown): boolean => err instanceof CommandError && err.code === 'ERR_COMMAND_FAILED' && err.exitCode === exitCode;
}

describe('FakeIptables', () => {
  it('restores chains and rules, and saves them in iptables-save order', async () => {
    const fake = withSets('KUBE-CLUSTER-IP');
    await fake.restore(4, sync());
    const nat = (await fake.save(4, 'nat')).tables.get('nat');
    assert.deepEqual([...(nat?.chains.keys() ?? [])], ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING', 'KUBE-MARK-MASQ', 'KUBE-POSTROUTING', 'KUBE-SERVICES']);
    assert.deepEqual(await rules(fake, 'filter', 'KUBE-FORWARD'), [['-m', 'conntrack', '--ctstate', 'INVALID', '-j', 'DROP']]);
    assert.equal(fake.saveCount, 2, 'a self-contained transaction needs no save before restore');
  });

  it('rewrites declared chains whole on each sync (no duplicated rules)', async () => {
    const fake = withSets('KUBE-CLUSTER-IP');
    await fake.restore(4, sync());
    await fake.restore(4, sync());
    assert.equal((await rules(fake, 'nat', 'KUBE-SERVICES'))?.length, 1);
  });

  it('rejects a rule matching a missing set; that table applies nothing, earlier tables stay', async () => {
    const fake = withSets();
    await assert.rejects(fake.restore(4, sync()), restoreFailure(2));
    // filter committed before nat failed: iptables-restore commits table by table.
    assert.deepEqual(await rules(fake, 'filter', 'KUBE-FORWARD'), [['-m', 'conntrack', '--ctstate', 'INVALID', '-j', 'DROP']]);
    assert.equal(await rules(fake, 'nat', 'KUBE-SERVICES'), undefined);
  });

  it('asks the injected lookup with the family', async () => {
    const asked: [string, number][] = [];
    const fake = new FakeIptables({ setExists: (name, family) => { asked.push([name, family]); return true; } });
    await fake.restore(6, sync(6));
    assert.deepEqual(asked, [['KUBE-CLUSTER-IP', 6]]);
    assert.equal(await rules(fake, 'nat', 'KUBE-SERVICES', 4), undefined, 'IPv4 state is separate');
  });

  it('is all-or-nothing per COMMIT', () => {
    const fake = withSets();
    fake.applyRestoreText(4, '*filter\n:KEEP - [0:0]\n-A KEEP -j ACCEPT\nCOMMIT\n');
    assert.throws(() => fake.applyRestoreText(4, '*filter\n:KEEP - [0:0]\n:NEW - [0:0]\n-A NEW -j NOPE\nCOMMIT\n'), restoreFailure(2));
    const state = parseIptablesSave('*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:KEEP - [0:0]\n-A KEEP -j ACCEPT\nCOMMIT\n');
    return fake.save(4, 'filter').then((s) => assert.deepEqual(s, state));
  });

  const failures: [string, string, number][] = [
    ['-A into a missing chain', '*filter\n-A NOCHAIN -j ACCEPT\nCOMMIT\n', 1],
    ['-D of a missing rule', '*filter\n-D INPUT -j ACCEPT\nCOMMIT\n', 1],
    ['-X of a built-in chain', '*filter\n-X INPUT\nCOMMIT\n', 1],
    ['-X of a missing chain', '*filter\n-X NOSUCH\nCOMMIT\n', 1],
    ['-X of a non-empty chain', '*filter\n:A - [0:0]\n-A A -j ACCEPT\n-X A\nCOMMIT\n', 1],
    ['-X of a referenced chain', '*filter\n:A - [0:0]\n-A INPUT -j A\n-X A\nCOMMIT\n', 1],
    ['a jump to a missing chain', '*filter\n-A INPUT -j NOPE\nCOMMIT\n', 2],
    ['a jump to a built-in chain', '*filter\n-A INPUT -j OUTPUT\nCOMMIT\n', 2],
    ['a chain name over 28 characters', '*filter\n:KUBE-TOO-LONG-NAME-0123456789ABC - [0:0]\nCOMMIT\n', 2],
    ['an unknown table', '*bogus\nCOMMIT\n', 2],
    ['a missing COMMIT', '*filter\n-A INPUT -j ACCEPT\n', 1],
    ['a policy on a user chain', '*filter\n:A ACCEPT [0:0]\nCOMMIT\n', 1],
  ];
  for (const [name, text, exitCode] of failures) {
    it(`rejects ${name} with exit ${exitCode} (as iptables-legacy-restore 1.8.9) and changes nothing`, async () => {
      const fake = withSets();
      const before = await fake.save(4);
      assert.throws(() => fake.applyRestoreText(4, text), restoreFailure(exitCode));
      assert.deepEqual(await fake.save(4), before);
    });
  }

  it('leaves built-in chains alone on a chain line, and applies -I/-P/-N/-F', async () => {
    const fake = withSets();
    fake.applyRestoreText(4, '*filter\n-A INPUT -j ACCEPT\n-I INPUT -m comment --comment "a b" -j ACCEPT\n-P FORWARD DROP\n-N X\n-A X -j DROP\n-F X\nCOMMIT\n');
    fake.applyRestoreText(4, '*filter\n:INPUT - [0:0]\nCOMMIT\n');
    const filter = (await fake.save(4, 'filter')).tables.get('filter');
    assert.deepEqual(filter?.chains.get('INPUT')?.rules, [['-m', 'comment', '--comment', 'a b', '-j', 'ACCEPT'], ['-j', 'ACCEPT']]);
    assert.equal(filter?.chains.get('FORWARD')?.policy, 'DROP');
    assert.deepEqual(filter?.chains.get('X')?.rules, []);
  });

  it('ensures jumps exactly once across repeated syncs, keeping foreign rules', async () => {
    const fake = withSets('KUBE-CLUSTER-IP');
    fake.applyRestoreText(4, '*nat\n:DOCKER - [0:0]\n-A OUTPUT -j DOCKER\nCOMMIT\n');
    for (let i = 0; i < 3; i++) {
      await fake.restore(4, sync());
      await fake.ensureJumps(4, JUMPS);
    }
    assert.deepEqual(await rules(fake, 'nat', 'OUTPUT'), [
      ['-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES'],
      ['-j', 'DOCKER'],
    ]);
    assert.equal((await rules(fake, 'filter', 'FORWARD'))?.length, 1);
    // Only the first ensureJumps wrote anything; later ones found every jump in the save.
    assert.equal(fake.restoreInputs.filter((t) => t.includes('-I ')).length, 1);
  });

  it('removes duplicated jumps', async () => {
    const fake = withSets('KUBE-CLUSTER-IP');
    await fake.restore(4, sync());
    const dup = '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD\n';
    fake.applyRestoreText(4, `*filter\n${dup}${dup}-A FORWARD -j ACCEPT\n${dup}COMMIT\n`);
    await fake.ensureJumps(4, JUMPS);
    assert.deepEqual(await rules(fake, 'filter', 'FORWARD'), [['-j', 'ACCEPT'], ['-m', 'comment', '--comment', 'kubernetes forwarding rules', '-j', 'KUBE-FORWARD']]);
  });

  it('rejects ensuring a jump to a chain that does not exist, before running restore', async () => {
    const fake = withSets();
    await assert.rejects(fake.ensureJumps(4, JUMPS), (err: unknown) => err instanceof IptablesTransactionError && err.errors.length === 4);
    assert.equal(fake.restoreInputs.length, 0);
  });

  it('rejects a transaction of the other family', async () => {
    await assert.rejects(withSets().restore(6, sync(4)), (err: unknown) => err instanceof Error && 'code' in err && err.code === 'ERR_IPTABLES_FAMILY');
  });

  it('accepts the rules of a real iptables-save as restore input', async () => {
    const text = readFileSync(new URL('fixtures/save-ipv4.txt', import.meta.url), 'utf8');
    const fake = withSets('KUBE-CLUSTER-IP', 'KUBE-LOOP-BACK');
    fake.applyRestoreText(4, text);
    assert.deepEqual(await fake.save(4, 'nat'), { tables: new Map([['nat', parseIptablesSave(text).tables.get('nat')]]) });
  });
});
