/** Parser tests on iptables-save output captured in the sandbox (iptables-legacy 1.8.9). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { IptablesParseError } from '../../../../src/kernel/iptables/errors.ts';
import { parseIptablesSave } from '../../../../src/kernel/iptables/save.ts';
import type { IptablesState, Table } from '../../../../src/kernel/iptables/types.ts';

const fixture = (name: string): string => readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8');

function chainNames(state: IptablesState, table: Table): string[] {
  return [...(state.tables.get(table)?.chains.keys() ?? [])];
}
function rules(state: IptablesState, table: Table, chain: string): readonly (readonly string[])[] | undefined {
  return state.tables.get(table)?.chains.get(chain)?.rules;
}

describe('parseIptablesSave', () => {
  const cases: { name: string; file: string; check: (s: IptablesState) => void }[] = [
    {
      name: 'IPv4 nat and filter',
      file: 'save-ipv4.txt',
      check: (s) => {
        assert.deepEqual([...s.tables.keys()], ['filter', 'nat']);
        assert.deepEqual(chainNames(s, 'nat'), [
          'PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING', 'KUBE-LOAD-BALANCER', 'KUBE-MARK-MASQ', 'KUBE-NODE-PORT', 'KUBE-POSTROUTING', 'KUBE-SERVICES',
        ]);
        const forward = s.tables.get('filter')?.chains.get('FORWARD');
        assert.deepEqual(forward, {
          name: 'FORWARD', builtin: true, policy: 'DROP',
          rules: [['-m', 'comment', '--comment', 'kubernetes forwarding rules', '-j', 'KUBE-FORWARD']],
        });
        assert.deepEqual(s.tables.get('nat')?.chains.get('KUBE-LOAD-BALANCER'), { name: 'KUBE-LOAD-BALANCER', builtin: false, policy: undefined, rules: [] });
        assert.deepEqual(rules(s, 'nat', 'KUBE-MARK-MASQ'), [['-j', 'MARK', '--set-xmark', '0x4000/0x4000']]);
        assert.deepEqual(rules(s, 'nat', 'KUBE-SERVICES')?.[0], [
          '!', '-s', '10.244.0.0/16', '-m', 'comment', '--comment', 'Kubernetes service cluster ip + port for masquerade purpose',
          '-m', 'set', '--match-set', 'KUBE-CLUSTER-IP', 'dst,dst', '-j', 'KUBE-MARK-MASQ',
        ]);
        assert.deepEqual(rules(s, 'filter', 'KUBE-FORWARD')?.[2], ['-m', 'comment', '--comment', `it's "quoted"`, '-j', 'ACCEPT']);
        assert.equal(rules(s, 'filter', 'DOCKER')?.length, 1);
      },
    },
    {
      name: 'IPv4 nat with counters (-c)',
      file: 'save-ipv4-counters-nat.txt',
      check: (s) => {
        assert.deepEqual([...s.tables.keys()], ['nat']);
        assert.deepEqual(rules(s, 'nat', 'OUTPUT'), [['-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES']]);
        assert.deepEqual(rules(s, 'nat', 'KUBE-NODE-PORT'), [['-p', 'tcp', '-m', 'tcp', '--dport', '30000:32767', '-j', 'KUBE-MARK-MASQ']]);
      },
    },
    {
      name: 'IPv6',
      file: 'save-ipv6.txt',
      check: (s) => {
        assert.deepEqual([...s.tables.keys()], ['filter', 'nat']);
        assert.deepEqual(rules(s, 'filter', 'INPUT'), [['-s', 'fe80::/10', '-p', 'ipv6-icmp', '-j', 'ACCEPT']]);
        assert.deepEqual(rules(s, 'nat', 'KUBE-SERVICES')?.[1], ['-d', 'fd00::a/128', '-p', 'tcp', '-m', 'tcp', '--dport', '443', '-j', 'ACCEPT']);
        assert.equal(s.tables.get('nat')?.chains.get('POSTROUTING')?.policy, 'ACCEPT');
      },
    },
  ];
  for (const c of cases) it(c.name, () => c.check(parseIptablesSave(fixture(c.file))));

  it('parses the same for counters and no counters', () => {
    const plain = parseIptablesSave(fixture('save-ipv4.txt')).tables.get('nat');
    const counted = parseIptablesSave(fixture('save-ipv4-counters-nat.txt')).tables.get('nat');
    assert.deepEqual(counted, plain);
  });

  it('parses empty output (no tables loaded) as no tables', () => {
    assert.equal(parseIptablesSave('').tables.size, 0);
  });

  it('skips tables outside nat/filter/mangle/raw', () => {
    const s = parseIptablesSave('*security\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n*raw\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n');
    assert.deepEqual([...s.tables.keys()], ['raw']);
  });

  const bad: [string, string, number][] = [
    ['rule outside a table', '-A INPUT -j ACCEPT\n', 1],
    ['missing COMMIT', '*filter\n:INPUT ACCEPT [0:0]\n', 3],
    ['rule for an undeclared chain', '*filter\n-A NOPE -j ACCEPT\nCOMMIT\n', 2],
    ['unterminated quote', '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT --comment "x\nCOMMIT\n', 3],
    ['malformed chain line', '*filter\n:INPUT\nCOMMIT\n', 2],
    ['not a rule', '*filter\n:INPUT ACCEPT [0:0]\n-I INPUT -j ACCEPT\nCOMMIT\n', 3],
  ];
  for (const [name, text, line] of bad) {
    it(`rejects ${name} with a typed error naming the line`, () => {
      assert.throws(() => parseIptablesSave(text), (err: unknown) => err instanceof IptablesParseError && err.code === 'ERR_IPTABLES_PARSE' && err.line === line);
    });
  }
});
