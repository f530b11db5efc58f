// analyzeRemoval + addRemoval on the fake kernel loaded with a real node's foreign and upstream state.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CommandError } from '../../../src/errors.ts';
import { createFakeKernel, type FakeKernel } from '../../../src/kernel/fake-kernel.ts';
import { IptablesTransaction } from '../../../src/kernel/iptables/transaction.ts';
import type { IptablesFamily } from '../../../src/kernel/iptables/types.ts';
import { addRemoval, analyzeRemoval, isEmptyRemoval, type RemovalScope } from '../../../src/ownership/iptables-removal.ts';
import { desiredIptables } from '../../../src/desired/iptables-rules.ts';
import { iptablesTransaction } from '../../../src/plan/ipvs-steps.ts';
import { familyConfig } from '../../helpers/objects.ts';
import { FOREIGN, fakeSave, foreignIptablesLines, foreignNode, loadIntoFake, upstreamNode } from '../../helpers/node-fixtures.ts';

async function loaded(fixture = upstreamNode()): Promise<FakeKernel> {
  const kernel = createFakeKernel();
  await loadIntoFake(kernel, fixture);
  return kernel;
}

/**
 * Applies a removal as its caller does: `all` on its own (--cleanup), `adopted` in the restore that
 * also rewrites our chains (a full sync), since upstream's KUBE-SERVICES still jumps to its chains.
 */
async function remove(kernel: FakeKernel, family: IptablesFamily, scope: RemovalScope) {
  const analysis = analyzeRemoval(await kernel.iptables.save(family), scope);
  const ours = scope === 'adopted' ? desiredIptables(familyConfig({ family, clusterCIDR: undefined })) : undefined;
  await kernel.iptables.restore(family, iptablesTransaction(family, ours, analysis.removal));
  return analysis;
}

/** `table/chain` of every KUBE- chain in a save. */
function kubeChains(save: string): string[] {
  let table = '';
  const out: string[] = [];
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    if (line.startsWith(':KUBE-')) out.push(`${table}/${line.slice(1).split(' ')[0] ?? ''}`);
  }
  return out.sort();
}

describe('analyzeRemoval', () => {
  it('"all" removes every chain and jump of ours and upstream\'s in one restore per family, and nothing foreign', async () => {
    const kernel = await loaded();
    const before = await Promise.all([fakeSave(kernel, 4), fakeSave(kernel, 6)]);
    for (const family of [4, 6] as const) {
      const { removal } = await remove(kernel, family, 'all');
      assert.deepEqual(removal.heldChains, []);
    }
    assert.equal(kernel.iptables.restoreInputs.length, 2 + 2, 'the fixture loads, then one removal restore per family');
    for (const [i, family] of ([4, 6] as const).entries()) {
      const after = await fakeSave(kernel, family);
      assert.deepEqual(foreignIptablesLines(after), foreignIptablesLines(before[i] ?? ''));
      assert.deepEqual(kubeChains(after), kubeChains(await foreignOnlySave(family)));
    }
  });

  it('"adopted" on its own is refused as the kernel would: our KUBE-SERVICES still jumps to upstream\'s chains', async () => {
    const kernel = await loaded();
    const { removal } = analyzeRemoval(await kernel.iptables.save(4), 'adopted');
    await assert.rejects(kernel.iptables.restore(4, addRemoval(new IptablesTransaction(4), removal)), (e: unknown) => e instanceof CommandError && e.exitCode === 1);
  });

  it('"adopted", in the restore that rewrites our chains, leaves ours; only upstream leftovers go', async () => {
    const kernel = await loaded();
    await remove(kernel, 4, 'adopted');
    const after = await fakeSave(kernel, 4);
    const ours = [
      'filter/KUBE-FORWARD', 'filter/KUBE-IPVS-FILTER', 'filter/KUBE-IPVS-OUT-FILTER', 'filter/KUBE-NODE-PORT', 'filter/KUBE-PROXY-FIREWALL',
      'filter/KUBE-SOURCE-RANGES-FIREWALL', 'nat/KUBE-LOAD-BALANCER', 'nat/KUBE-MARK-MASQ', 'nat/KUBE-NODE-PORT', 'nat/KUBE-POSTROUTING', 'nat/KUBE-SERVICES',
    ];
    assert.deepEqual(kubeChains(after), [...kubeChains(await foreignOnlySave(4)), ...ours].sort());
    assert.match(after, /^-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES$/m);
    assert.doesNotMatch(after, /KUBE-NODEPORTS|KUBE-EXTERNAL-SERVICES|KUBE-SVC-|KUBE-SEP-|KUBE-PROXY-CANARY|load balancer firewall/);
  });

  it('reports only sets that rules staying on the node match: foreign ones, never upstream\'s', async () => {
    const kernel = await loaded();
    for (const family of [4, 6] as const) {
      for (const scope of ['adopted', 'all'] as const) {
        const { setsInUse } = analyzeRemoval(await kernel.iptables.save(family), scope);
        for (const set of setsInUse.keys()) assert.ok((FOREIGN.sets as readonly string[]).includes(set), `${set} (IPv${family}, ${scope})`);
      }
    }
  });

  it('a foreign rule jumping to a chain of ours holds it: flushed, kept, reported; the foreign rule stays', async () => {
    const kernel = await loaded();
    kernel.iptables.applyRestoreText(4, '*nat\n-A PREROUTING -i eth9 -j KUBE-SERVICES\nCOMMIT\n*filter\n-A FORWARD -i eth9 -j KUBE-NODE-PORT\nCOMMIT\n');
    const { removal } = await remove(kernel, 4, 'all');
    assert.deepEqual(removal.heldChains.map((c) => [c.table, c.chain, c.heldBy.chain, c.heldBy.args.join(' ')]), [
      ['filter', 'KUBE-NODE-PORT', 'FORWARD', '-i eth9 -j KUBE-NODE-PORT'],
      ['nat', 'KUBE-SERVICES', 'PREROUTING', '-i eth9 -j KUBE-SERVICES'],
    ]);
    const nat = (await kernel.iptables.save(4, 'nat')).tables.get('nat');
    assert.deepEqual(nat?.chains.get('KUBE-SERVICES')?.rules, [], 'flushed');
    assert.ok(nat?.chains.get('PREROUTING')?.rules.some((r) => r.join(' ') === '-i eth9 -j KUBE-SERVICES'));
    // The sets its old rules matched are free now.
    assert.ok(!analyzeRemoval(await kernel.iptables.save(4), 'all').setsInUse.has('KUBE-CLUSTER-IP'));
  });

  it('a foreign rule matching a set of ours keeps that set in use', async () => {
    const kernel = await loaded();
    kernel.iptables.applyRestoreText(4, '*filter\n-A FORWARD -m set --match-set KUBE-NODE-PORT-TCP dst -j ACCEPT\nCOMMIT\n');
    const { setsInUse } = analyzeRemoval(await kernel.iptables.save(4), 'adopted');
    assert.deepEqual(setsInUse.get('KUBE-NODE-PORT-TCP'), { table: 'filter', chain: 'FORWARD', args: ['-m', 'set', '--match-set', 'KUBE-NODE-PORT-TCP', 'dst', '-j', 'ACCEPT'] });
  });

  it('renders flushes, then unhooks, then deletes; a second analysis finds nothing (idempotent)', async () => {
    const kernel = await loaded();
    // IPv4 holds iptables mode's leftovers too; upstream IPVS mode's chains and jumps are ours (rewritten, not removed).
    const { removal } = analyzeRemoval(await kernel.iptables.save(4), 'adopted');
    assert.equal(addRemoval(new IptablesTransaction(4), removal).render(), [
      '*filter',
      ':KUBE-EXTERNAL-SERVICES - [0:0]',
      ':KUBE-NODEPORTS - [0:0]',
      ':KUBE-PROXY-CANARY - [0:0]',
      ':KUBE-SERVICES - [0:0]',
      '-D INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
      '-D INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
      '-D INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
      '-D FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-D FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
      '-D OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-X KUBE-EXTERNAL-SERVICES',
      '-X KUBE-NODEPORTS',
      '-X KUBE-PROXY-CANARY',
      '-X KUBE-SERVICES',
      'COMMIT',
      '*nat',
      ':KUBE-EXT-ERIFXISQEP7F7OF4 - [0:0]',
      ':KUBE-NODEPORTS - [0:0]',
      ':KUBE-PROXY-CANARY - [0:0]',
      ':KUBE-SEP-IT2ZTR26TO4XFPTO - [0:0]',
      ':KUBE-SVC-ERIFXISQEP7F7OF4 - [0:0]',
      '-X KUBE-EXT-ERIFXISQEP7F7OF4',
      '-X KUBE-NODEPORTS',
      '-X KUBE-PROXY-CANARY',
      '-X KUBE-SEP-IT2ZTR26TO4XFPTO',
      '-X KUBE-SVC-ERIFXISQEP7F7OF4',
      'COMMIT',
      '*mangle',
      ':KUBE-PROXY-CANARY - [0:0]',
      '-X KUBE-PROXY-CANARY',
      'COMMIT',
      '',
    ].join('\n'));
    await remove(kernel, 4, 'adopted');
    assert.ok(isEmptyRemoval(analyzeRemoval(await kernel.iptables.save(4), 'adopted').removal));
    // An IPVS-mode-only node (the IPv6 fixture) has no leftovers any more: its chains are ours.
    assert.ok(isEmptyRemoval(analyzeRemoval(await kernel.iptables.save(6), 'adopted').removal));
  });

  it('unhooks every copy of a duplicated jump', async () => {
    const kernel = await loaded();
    kernel.iptables.applyRestoreText(4, '*filter\n-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS\nCOMMIT\n');
    const { removal } = await remove(kernel, 4, 'adopted');
    assert.equal(removal.unhook.filter((r) => r.args.includes('KUBE-NODEPORTS')).length, 2);
    assert.doesNotMatch(await fakeSave(kernel, 4), /KUBE-NODEPORTS/);
  });
});

/** What the fixture's foreign part alone looks like (the target of a complete removal). */
async function foreignOnlySave(family: IptablesFamily): Promise<string> {
  return fakeSave(await loaded(foreignNode()), family);
}
