import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CommandError, Errno, KernelError } from '../../../../src/errors.ts';
import type { CommandRunner, RunOptions, RunResult } from '../../../../src/kernel/exec/exec.ts';
import { IpsetRestoreError } from '../../../../src/kernel/ipset/errors.ts';
import { RestoreIpset } from '../../../../src/kernel/ipset/restore.ts';
import { IpsetTransaction } from '../../../../src/kernel/ipset/transaction.ts';
import type { SetSpec } from '../../../../src/kernel/ipset/types.ts';

type Reply = RunResult | { fail: string };

/** Records calls and answers each with the next scripted reply. */
class ScriptedRunner implements CommandRunner {
  readonly calls: Array<{ command: string; args: readonly string[]; input: string | undefined }> = [];
  readonly #replies: Reply[];
  constructor(replies: Reply[]) {
    this.#replies = replies;
  }
  run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
    this.calls.push({ command, args, input: options.input });
    const reply = this.#replies.shift() ?? { stdout: '', stderr: '', exitCode: 0 };
    if ('fail' in reply) {
      return Promise.reject(new CommandError({ command, args, exitCode: 1, stderr: reply.fail }, { operation: options.operation }));
    }
    return Promise.resolve(reply);
  }
}

const A: SetSpec = { name: 'KUBE-CLUSTER-IP', type: 'hash:ip,port', family: 4 };
const ok = (stdout = ''): RunResult => ({ stdout, stderr: '', exitCode: 0 });

describe('RestoreIpset', () => {
  it('runs one ipset restore with the rendered text on stdin, and nothing for an empty transaction', async () => {
    const runner = new ScriptedRunner([ok()]);
    const ipset = new RestoreIpset(runner);
    const tx = new IpsetTransaction().create(A).add(A, '10.96.0.1,tcp:443');
    await ipset.apply(tx);
    await ipset.apply(new IpsetTransaction());
    assert.deepEqual(runner.calls, [{ command: 'ipset', args: ['restore'], input: tx.render() }]);
  });

  it('maps "Error in line N" to operation N and classifies it from the state after the failure', async () => {
    const runner = new ScriptedRunner([
      { fail: 'ipset v7.17: Error in line 3: Element cannot be added to the set: it\'s already added\n' },
      ok('create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536\nadd KUBE-CLUSTER-IP 10.0.0.1,tcp:80\nadd KUBE-CLUSTER-IP 10.0.0.2,tcp:80\n'),
    ]);
    const tx = new IpsetTransaction({ exist: false }).add(A, '10.0.0.2,tcp:80').add(A, '10.0.0.1,tcp:80').add(A, '10.0.0.2,tcp:80').add(A, '10.0.0.3,tcp:80');
    // Line 3 is the second add of 10.0.0.2: present now, so the kernel said EEXIST.
    const err: unknown = await new RestoreIpset(runner).apply(tx).catch((e: unknown) => e);
    assert.ok(err instanceof IpsetRestoreError);
    assert.equal(err.line, 3);
    assert.equal(err.errno, Errno.EEXIST);
    assert.equal(err.appliedCount, 2);
    assert.equal(err.object, 'set KUBE-CLUSTER-IP member 10.0.0.2,tcp:80');
    assert.deepEqual(runner.calls.map((c) => c.args), [['restore'], ['save']]);
  });

  it('a set missing at an add line is the tool\'s error: the buffered run before it is uncertain', async () => {
    const runner = new ScriptedRunner([{ fail: 'ipset v7.17: Error in line 4: The set with the given name does not exist\n' }, ok('create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536\n')]);
    const tx = new IpsetTransaction().create(A).add(A, '10.0.0.1,tcp:80').add(A, '10.0.0.2,tcp:80').add({ ...A, name: 'GONE' }, '10.0.0.3,tcp:80');
    const err: unknown = await new RestoreIpset(runner).apply(tx).catch((e: unknown) => e);
    assert.ok(err instanceof IpsetRestoreError);
    assert.equal(err.errno, Errno.ENOENT);
    assert.equal(err.appliedCount, 1);
  });

  it('without a line number the error still is an IpsetRestoreError, with nothing known applied', async () => {
    const runner = new ScriptedRunner([{ fail: 'killed\n' }]);
    const err: unknown = await new RestoreIpset(runner).apply(new IpsetTransaction().create(A)).catch((e: unknown) => e);
    assert.ok(err instanceof IpsetRestoreError);
    assert.equal(err.line, undefined);
    assert.equal(err.appliedCount, 0);
    assert.equal(runner.calls.length, 1);
  });

  it('listMembers of a missing set is KernelError ENOENT (decided by the name list)', async () => {
    const runner = new ScriptedRunner([{ fail: 'ipset v7.17: The set with the given name does not exist\n' }, ok('OTHER\n')]);
    await assert.rejects(new RestoreIpset(runner).listMembers('NOPE'), (e) => e instanceof KernelError && e.errno === Errno.ENOENT);
  });
});
