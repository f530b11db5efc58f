import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { quoteArg, renderArgs, ruleSets, ruleTarget, tokenizeLine } from '../../../../src/kernel/iptables/text.ts';

describe('iptables restore line syntax', () => {
  const cases: [string, string[] | undefined][] = [
    ['-A X -j ACCEPT', ['-A', 'X', '-j', 'ACCEPT']],
    ['-A X  -m comment --comment "a b" -j Y', ['-A', 'X', '-m', 'comment', '--comment', 'a b', '-j', 'Y']],
    // iptables-save escapes quotes inside quoted strings (xtables_save_string).
    [String.raw`-A X --comment "it\'s \"q\"" -j Y`, ['-A', 'X', '--comment', `it's "q"`, '-j', 'Y']],
    [String.raw`-A X --comment "a\\b"`, ['-A', 'X', '--comment', 'a\\b']],
    ['-A X --comment ""', ['-A', 'X', '--comment', '']],
    ['-A X --comment "open', undefined],
  ];
  for (const [line, expected] of cases) {
    it(`tokenizes ${line}`, () => assert.deepEqual(tokenizeLine(line), expected));
  }

  it('quotes only what needs quoting, and round-trips', () => {
    assert.equal(quoteArg('KUBE-SERVICES'), 'KUBE-SERVICES');
    assert.equal(quoteArg('10.0.0.0/8'), '10.0.0.0/8');
    assert.equal(quoteArg('a b'), '"a b"');
    const args = ['-m', 'comment', '--comment', `it's "x" \\ y`, '!', '-s', '10.0.0.1/32'];
    assert.deepEqual(tokenizeLine(renderArgs(args)), args);
  });

  it('finds the target and the sets of a rule', () => {
    const rule = ['-m', 'set', '--match-set', 'A', 'dst,dst', '-m', 'set', '!', '--match-set', 'B', 'dst', '-g', 'KUBE-X'];
    assert.equal(ruleTarget(rule), 'KUBE-X');
    assert.deepEqual(ruleSets(rule), ['A', 'B']);
    assert.equal(ruleTarget(['-p', 'tcp']), undefined);
  });
});
