import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProxierError, ValidationError } from '../../../../src/errors.ts';
import { IptablesTransactionError, UnknownChainError } from '../../../../src/kernel/iptables/errors.ts';
import { parseIptablesSave } from '../../../../src/kernel/iptables/save.ts';
import { IptablesTransaction } from '../../../../src/kernel/iptables/transaction.ts';
import type { JumpRule } from '../../../../src/kernel/iptables/types.ts';

const MASQ_COMMENT = 'Kubernetes service cluster ip + port for masquerade purpose';

function renderError(tx: IptablesTransaction, existing?: string): IptablesTransactionError {
  try {
    tx.render({ existing: existing === undefined ? undefined : parseIptablesSave(existing) });
  } catch (err) {
    assert.ok(err instanceof IptablesTransactionError);
    return err;
  }
  assert.fail('render did not throw');
}

describe('IptablesTransaction render (golden)', () => {
  it('renders declared chains, then rules, per table in filter, nat order', () => {
    const tx = new IptablesTransaction(4)
      .declareChain('nat', 'KUBE-SERVICES')
      .declareChain('nat', 'KUBE-MARK-MASQ')
      .appendRule('nat', 'KUBE-SERVICES', ['-m', 'comment', '--comment', MASQ_COMMENT, '-m', 'set', '--match-set', 'KUBE-CLUSTER-IP', 'dst,dst', '-j', 'KUBE-MARK-MASQ'])
      .appendRule('nat', 'KUBE-SERVICES', ['-s', '10.0.0.1', '-d', '10.96.0.0/12', '-p', 'tcp', '-m', 'tcp', '--dport', '443', '-j', 'ACCEPT'])
      .appendRule('nat', 'KUBE-MARK-MASQ', ['-j', 'MARK', '--or-mark', '0x4000'])
      .declareChain('filter', 'KUBE-FORWARD')
      .declareChain('filter', 'KUBE-FORWARD') // idempotent, like knftables' add chain
      .appendRule('filter', 'KUBE-FORWARD', ['-m', 'conntrack', '--ctstate', 'INVALID', '-j', 'DROP']);
    assert.deepEqual(tx.errors, []);
    assert.equal(tx.needsState(), false);
    assert.equal(tx.render(), [
      '*filter',
      ':KUBE-FORWARD - [0:0]',
      '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
      'COMMIT',
      '*nat',
      ':KUBE-SERVICES - [0:0]',
      ':KUBE-MARK-MASQ - [0:0]',
      `-A KUBE-SERVICES -m comment --comment "${MASQ_COMMENT}" -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ`,
      '-A KUBE-SERVICES -s 10.0.0.1/32 -d 10.96.0.0/12 -p tcp -m tcp --dport 443 -j ACCEPT',
      '-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000',
      'COMMIT',
      '',
    ].join('\n'));
  });

  it('renders IPv6 addresses canonically with /128', () => {
    const tx = new IptablesTransaction(6).declareChain('nat', 'KUBE-SERVICES')
      .appendRule('nat', 'KUBE-SERVICES', ['-d', 'FD00:0::A', '!', '-s', 'fd00:10:244::1/64', '-j', 'ACCEPT']);
    assert.equal(tx.render(), '*nat\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES -d fd00::a/128 ! -s fd00:10:244::/64 -j ACCEPT\nCOMMIT\n');
  });

  it('renders chain deletion as flush, reference removal, then -X', () => {
    const tx = new IptablesTransaction(4)
      .deleteRule('filter', 'INPUT', ['-m', 'comment', '--comment', `it's`, '-j', 'KUBE-OLD'])
      .deleteChain('filter', 'KUBE-OLD');
    assert.equal(tx.render(), `*filter\n:KUBE-OLD - [0:0]\n-D INPUT -m comment --comment "it\\'s" -j KUBE-OLD\n-X KUBE-OLD\nCOMMIT\n`);
  });

  it('renders nothing for an empty transaction', () => {
    assert.equal(new IptablesTransaction(4).render(), '');
  });
});

describe('IptablesTransaction ensured jumps', () => {
  const portals: JumpRule = { table: 'nat', chain: 'OUTPUT', target: 'KUBE-SERVICES', comment: 'kubernetes service portals' };
  const base = '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n';
  const jumpLine = '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES\n';

  it('needs a fresh save', () => {
    const tx = new IptablesTransaction(4).ensureJump(portals);
    assert.equal(tx.needsState(), true);
    assert.throws(() => tx.render(), (err: unknown) => err instanceof ProxierError && err.code === 'ERR_IPTABLES_STATE_REQUIRED');
  });

  it('inserts a missing jump with -I', () => {
    const tx = new IptablesTransaction(4).ensureJump(portals).ensureJump({ ...portals, chain: 'POSTROUTING', position: 'append', comment: undefined });
    assert.equal(tx.render({ existing: parseIptablesSave(`${base}COMMIT\n`) }),
      '*nat\n-I OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES\n-A POSTROUTING -j KUBE-SERVICES\nCOMMIT\n');
  });

  it('renders nothing when the jump exists once', () => {
    const tx = new IptablesTransaction(4).ensureJump(portals);
    assert.equal(tx.render({ existing: parseIptablesSave(`${base}${jumpLine}COMMIT\n`) }), '');
  });

  it('deletes extra copies', () => {
    const tx = new IptablesTransaction(4).ensureJump(portals);
    const text = tx.render({ existing: parseIptablesSave(`${base}${jumpLine}-A OUTPUT -j ACCEPT\n${jumpLine}${jumpLine}COMMIT\n`) });
    const del = '-D OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES';
    assert.equal(text, `*nat\n${del}\n${del}\nCOMMIT\n`);
  });

  it('accepts a target declared in the same transaction without it existing', () => {
    const tx = new IptablesTransaction(4).declareChain('nat', 'KUBE-SERVICES').ensureJump(portals);
    const empty = parseIptablesSave('*nat\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n');
    assert.equal(tx.render({ existing: empty }),
      '*nat\n:KUBE-SERVICES - [0:0]\n-I OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES\nCOMMIT\n');
  });

  it('rejects a jump to a chain that does not exist', () => {
    const err = renderError(new IptablesTransaction(4).ensureJump(portals), '*nat\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n');
    assert.ok(err.errors[0] instanceof UnknownChainError);
    assert.equal(err.errors[0].code, 'ERR_IPTABLES_UNKNOWN_CHAIN');
  });

  it('rejects a jump from a chain that is not built-in, and to a built-in chain', () => {
    const tx = new IptablesTransaction(4)
      .ensureJump({ ...portals, chain: 'KUBE-X' })
      .ensureJump({ ...portals, chain: 'INPUT', table: 'raw' })
      .ensureJump({ ...portals, target: 'INPUT' });
    assert.equal(tx.errors.length, 3);
  });
});

describe('IptablesTransaction validation (recorded, never thrown while building)', () => {
  const invalid: [string, (tx: IptablesTransaction) => void, string][] = [
    ['a 29-character chain name', (tx) => tx.declareChain('nat', 'KUBE-SVC-ABCDEFGHIJKLMNOPQRST'), 'chain'],
    ['a chain name with a dot', (tx) => tx.declareChain('nat', 'KUBE.X'), 'chain'],
    ['a chain name with a colon', (tx) => tx.declareChain('nat', 'KUBE:X'), 'chain'],
    ['a chain name with a space', (tx) => tx.declareChain('nat', 'KUBE X'), 'chain'],
    ['an unknown table', (tx) => tx.declareChain('security' as 'nat', 'KUBE-X'), 'table'],
    ['declaring a built-in chain', (tx) => tx.declareChain('filter', 'INPUT'), 'chain'],
    ['deleting a built-in chain', (tx) => tx.deleteChain('nat', 'OUTPUT'), 'chain'],
    ['appending to an undeclared chain', (tx) => tx.appendRule('filter', 'INPUT', ['-j', 'ACCEPT']), 'chain'],
    ['a comment with a newline', (tx) => tx.declareChain('nat', 'K').appendRule('nat', 'K', ['--comment', 'a\n-A INPUT -j DROP']), 'comment'],
    ['a comment with a quote', (tx) => tx.declareChain('nat', 'K').appendRule('nat', 'K', ['--comment', 'a" -j DROP "']), 'comment'],
    ['an argument with a backslash', (tx) => tx.declareChain('nat', 'K').appendRule('nat', 'K', ['--log-prefix', 'a\\']), 'rule argument'],
    ['an empty rule', (tx) => tx.declareChain('nat', 'K').appendRule('nat', 'K', []), 'rule'],
    ['an empty argument', (tx) => tx.declareChain('nat', 'K').appendRule('nat', 'K', ['-j', 'ACCEPT', '']), 'rule argument'],
    ['a command option inside a rule', (tx) => tx.declareChain('nat', 'K').appendRule('nat', 'K', ['-j', 'ACCEPT', '-X', 'INPUT']), 'rule argument'],
    ['an option without its value', (tx) => tx.declareChain('nat', 'K').appendRule('nat', 'K', ['-s']), 'rule argument'],
    ['an IPv6 address in an IPv4 rule', (tx) => tx.declareChain('nat', 'K').appendRule('nat', 'K', ['-d', 'fd00::1']), 'address'],
    ['an octal-looking address', (tx) => tx.declareChain('nat', 'K').appendRule('nat', 'K', ['-d', '010.0.0.1']), 'address'],
    ['a hostname', (tx) => tx.declareChain('nat', 'K').appendRule('nat', 'K', ['-s', 'example.com']), 'address'],
    ['a port out of range', (tx) => tx.declareChain('nat', 'K').appendRule('nat', 'K', ['--dport', '65536']), 'port'],
    ['a port range with three parts', (tx) => tx.declareChain('nat', 'K').appendRule('nat', 'K', ['--dport', '1:2:3']), 'port'],
    ['a 32-character set name', (tx) => tx.declareChain('nat', 'K').appendRule('nat', 'K', ['--match-set', 'S'.repeat(32), 'dst']), 'set'],
    ['a bad jump target', (tx) => tx.declareChain('nat', 'K').appendRule('nat', 'K', ['-j', 'bad target']), 'target'],
    ['declaring and deleting one chain', (tx) => tx.declareChain('nat', 'K').deleteChain('nat', 'K'), 'chain'],
  ];
  for (const [name, build, field] of invalid) {
    it(`records ${name}`, () => {
      const tx = new IptablesTransaction(4);
      assert.doesNotThrow(() => build(tx));
      assert.equal(tx.errors.length, 1, JSON.stringify(tx.errors.map((e) => e.message)));
      const [error] = tx.errors;
      assert.ok(error instanceof ValidationError);
      assert.equal(error.field, field);
      const thrown = renderError(tx);
      assert.equal(thrown.code, 'ERR_IPTABLES_TRANSACTION');
      assert.equal(thrown.errors[0], error);
    });
  }

  it('accepts port lists and ranges, and names the object in errors', () => {
    const tx = new IptablesTransaction(4).declareChain('filter', 'K')
      .appendRule('filter', 'K', ['-p', 'tcp', '-m', 'multiport', '--dports', '80,443,30000:32767', '-j', 'ACCEPT'])
      .appendRule('filter', 'K', ['-d', '300.0.0.1']);
    assert.equal(tx.errors.length, 1);
    assert.equal(tx.errors[0]?.object, 'filter/K');
  });

  it('rejects at render a rule jumping to an undeclared chain unless a save shows it', () => {
    const tx = new IptablesTransaction(4).declareChain('filter', 'K').appendRule('filter', 'K', ['-j', 'DOCKER']);
    assert.equal(tx.needsState(), true);
    assert.ok(renderError(tx).errors[0] instanceof UnknownChainError);
    const existing = parseIptablesSave('*filter\n:INPUT ACCEPT [0:0]\n:DOCKER - [0:0]\nCOMMIT\n');
    assert.equal(tx.render({ existing }), '*filter\n:K - [0:0]\n-A K -j DOCKER\nCOMMIT\n');
  });

  it('rejects at render a rule jumping to a chain deleted in the same transaction', () => {
    const tx = new IptablesTransaction(4).declareChain('filter', 'K').deleteChain('filter', 'OLD').appendRule('filter', 'K', ['-g', 'OLD']);
    const existing = parseIptablesSave('*filter\n:INPUT ACCEPT [0:0]\n:OLD - [0:0]\nCOMMIT\n');
    const err = renderError(tx, '*filter\n:INPUT ACCEPT [0:0]\n:OLD - [0:0]\nCOMMIT\n');
    assert.ok(err.errors[0] instanceof UnknownChainError);
    assert.ok(existing.tables.get('filter')?.chains.has('OLD'));
  });
});
