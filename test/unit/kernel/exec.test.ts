import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CommandError, Errno } from '../../../src/errors.ts';
import { ExecaRunner } from '../../../src/kernel/exec/exec.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';

// Runs real processes on the host: these tools exist on every Debian machine.
describe('ExecaRunner', () => {
  const runner = new ExecaRunner();

  it('passes input on stdin and arguments as an array (no shell)', async () => {
    const result = await runner.run('cat', [], { input: 'a;b $(x)\n', operation: 'test' });
    assert.equal(result.stdout, 'a;b $(x)\n');
    const echoed = await runner.run('printf', ['%s|', '$(id)', 'a b'], { operation: 'test' });
    assert.equal(echoed.stdout, '$(id)|a b|');
  });

  it('a non-zero exit is a CommandError with exit code and stderr', async () => {
    await assert.rejects(runner.run('sh', ['-c', 'echo oops >&2; exit 3'], { operation: 'test run', object: 'thing' }), (err: unknown) => {
      assert.ok(err instanceof CommandError);
      assert.equal(err.exitCode, 3);
      assert.equal(err.stderr, 'oops\n');
      assert.equal(err.operation, 'test run');
      assert.equal(err.object, 'thing');
      return true;
    });
  });

  it('allowed exit codes are not failures', async () => {
    const result = await runner.run('sh', ['-c', 'exit 1'], { operation: 'test', okExitCodes: [1] });
    assert.equal(result.exitCode, 1);
  });

  it('a missing tool is ENOENT / ERR_COMMAND_NOT_FOUND', async () => {
    await assert.rejects(runner.run('ipvs-proxier-no-such-tool', [], { operation: 'test' }), (err: unknown) => {
      assert.ok(err instanceof CommandError);
      assert.equal(err.errno, Errno.ENOENT);
      assert.equal(err.code, 'ERR_COMMAND_NOT_FOUND');
      return true;
    });
  });

  it('a timeout (on the injected clock) is reported as ETIMEDOUT', async () => {
    const clock = new ManualClock();
    let settled = false;
    const run = new ExecaRunner(clock).run('sleep', ['5'], { operation: 'test', timeoutMs: 100 }).finally(() => { settled = true; });
    await clock.advance(99);
    assert.equal(settled, false, 'still running before the timeout');
    const rejected = assert.rejects(run, (err: unknown) => {
      assert.ok(err instanceof CommandError);
      assert.equal(err.code, 'ETIMEDOUT');
      return true;
    });
    await clock.advance(1);
    await rejected;
  });
});
