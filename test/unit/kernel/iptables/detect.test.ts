import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CommandError } from '../../../../src/errors.ts';
import type { CommandRunner, RunResult } from '../../../../src/kernel/exec/exec.ts';
import { detectBackend } from '../../../../src/kernel/iptables/detect.ts';

/** Answers each save tool with canned text; a missing entry is a tool that fails. */
function runner(outputs: Record<string, string>): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    run(command: string): Promise<RunResult> {
      calls.push(command);
      const stdout = outputs[command];
      if (stdout === undefined) return Promise.reject(new CommandError({ command, args: [], exitCode: 1, stderr: 'no' }, { operation: 'test' }));
      return Promise.resolve({ stdout, stderr: '', exitCode: 0 });
    },
  };
}

const rules = (n: number): string => `*filter\n:INPUT ACCEPT [0:0]\n${'-A INPUT -j ACCEPT\n'.repeat(n)}COMMIT\n`;
const hint = '*mangle\n:KUBE-IPTABLES-HINT - [0:0]\nCOMMIT\n';

describe('detectBackend (iptables-wrapper rules)', () => {
  const cases: { name: string; outputs: Record<string, string>; backend: 'legacy' | 'nft' }[] = [
    { name: 'kubelet hint in nft wins over more legacy rules', outputs: { 'iptables-nft-save': hint, 'iptables-legacy-save': rules(50) }, backend: 'nft' },
    { name: 'kubelet hint in legacy', outputs: { 'iptables-nft-save': rules(3), 'iptables-legacy-save': hint + rules(1) }, backend: 'legacy' },
    { name: 'more legacy rules (IPv4 and IPv6 counted)', outputs: { 'iptables-nft-save': rules(2), 'iptables-legacy-save': rules(1), 'ip6tables-legacy-save': rules(2) }, backend: 'legacy' },
    { name: 'more nft rules', outputs: { 'iptables-nft-save': rules(4), 'iptables-legacy-save': rules(1) }, backend: 'nft' },
    { name: 'a fresh node: nft', outputs: { 'iptables-nft-save': rules(0), 'iptables-legacy-save': rules(0) }, backend: 'nft' },
    { name: 'nft tools failing (no nf_tables) and legacy rules: legacy', outputs: { 'iptables-legacy-save': rules(1) }, backend: 'legacy' },
    { name: 'no tools at all: nft', outputs: {}, backend: 'nft' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = runner(c.outputs);
      const detected = await detectBackend(r);
      assert.equal(detected.backend, c.backend, detected.reason);
      assert.deepEqual([...r.calls].sort(), ['ip6tables-legacy-save', 'ip6tables-nft-save', 'iptables-legacy-save', 'iptables-nft-save']);
    });
  }
});
