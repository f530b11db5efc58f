/** ToolIptables against a recording CommandRunner: which binaries, which arguments, what stdin. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CommandError, ValidationError } from '../../../../src/errors.ts';
import type { CommandRunner, RunOptions, RunResult } from '../../../../src/kernel/exec/exec.ts';
import { BACKEND_ENV, resolveBackend } from '../../../../src/kernel/iptables/backend.ts';
import { ToolIptables } from '../../../../src/kernel/iptables/iptables.ts';
import { IptablesTransaction } from '../../../../src/kernel/iptables/transaction.ts';

interface Call {
  command: string;
  args: readonly string[];
  input: string | undefined;
}

class RecordingRunner implements CommandRunner {
  readonly calls: Call[] = [];
  readonly saveOutput: string;
  constructor(saveOutput: string) {
    this.saveOutput = saveOutput;
  }
  run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
    this.calls.push({ command, args, input: options.input });
    const stdout = command.endsWith('-save') ? this.saveOutput : '';
    return Promise.resolve({ stdout, stderr: '', exitCode: 0 });
  }
}

const SAVE = readFileSync(new URL('fixtures/save-ipv4.txt', import.meta.url), 'utf8');

describe('ToolIptables', () => {
  it('restores with one iptables-legacy-restore --noflush --wait process, text on stdin', async () => {
    const runner = new RecordingRunner(SAVE);
    const ipt = new ToolIptables(runner, { backend: 'legacy' });
    await ipt.restore(4, new IptablesTransaction(4).declareChain('nat', 'KUBE-SERVICES').appendRule('nat', 'KUBE-SERVICES', ['-j', 'RETURN']));
    assert.deepEqual(runner.calls, [{
      command: 'iptables-legacy-restore', args: ['--noflush', '--wait=5'],
      input: '*nat\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES -j RETURN\nCOMMIT\n',
    }]);
  });

  it('uses the ip6tables nft binaries for IPv6 and the configured wait', async () => {
    const runner = new RecordingRunner(SAVE);
    const ipt = new ToolIptables(runner, { backend: 'nft', waitSeconds: 2 });
    await ipt.restore(6, new IptablesTransaction(6).declareChain('filter', 'K'));
    await ipt.save(6, 'filter');
    assert.deepEqual(runner.calls.map((c) => [c.command, ...c.args]), [
      ['ip6tables-nft-restore', '--noflush', '--wait=2'],
      ['ip6tables-nft-save', '-t', 'filter'],
    ]);
  });

  it('ensureJumps saves the one table involved and restores only what is missing', async () => {
    const runner = new RecordingRunner(SAVE);
    const ipt = new ToolIptables(runner, { backend: 'legacy' });
    await ipt.ensureJumps(4, [
      { table: 'nat', chain: 'OUTPUT', target: 'KUBE-SERVICES', comment: 'kubernetes service portals' },
      { table: 'nat', chain: 'OUTPUT', target: 'KUBE-NODE-PORT', comment: 'kubernetes health check rules' },
    ]);
    assert.deepEqual(runner.calls, [
      { command: 'iptables-legacy-save', args: ['-t', 'nat'], input: undefined },
      {
        command: 'iptables-legacy-restore', args: ['--noflush', '--wait=5'],
        input: '*nat\n-I OUTPUT -m comment --comment "kubernetes health check rules" -j KUBE-NODE-PORT\nCOMMIT\n',
      },
    ]);
  });

  it('runs no restore when every jump exists', async () => {
    const runner = new RecordingRunner(SAVE);
    await new ToolIptables(runner, { backend: 'legacy' }).ensureJumps(4, [
      { table: 'filter', chain: 'FORWARD', target: 'KUBE-FORWARD', comment: 'kubernetes forwarding rules' },
    ]);
    assert.deepEqual(runner.calls.map((c) => c.command), ['iptables-legacy-save']);
  });

  it('passes a failing restore through as the runner CommandError', async () => {
    const failing: CommandRunner = {
      run: (command, args, options) => Promise.reject(new CommandError({ command, args, exitCode: 1, stderr: 'line 2 failed' }, options)),
    };
    await assert.rejects(
      new ToolIptables(failing, { backend: 'legacy' }).restore(4, new IptablesTransaction(4).declareChain('nat', 'K')),
      (err: unknown) => err instanceof CommandError && err.exitCode === 1 && err.operation === 'iptables.restore',
    );
  });

  it('chooses the backend from the option, then the environment, then nft', () => {
    assert.equal(resolveBackend('legacy', { [BACKEND_ENV]: 'nft' }), 'legacy');
    assert.equal(resolveBackend(undefined, { [BACKEND_ENV]: 'legacy' }), 'legacy');
    assert.equal(resolveBackend(undefined, {}), 'nft');
    assert.throws(() => resolveBackend(undefined, { [BACKEND_ENV]: 'iptables' }), (err: unknown) => err instanceof ValidationError && err.field === 'backend');
  });
});
