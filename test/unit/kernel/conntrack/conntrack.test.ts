import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CommandError, ValidationError } from '../../../../src/errors.ts';
import type { CommandRunner, RunOptions, RunResult } from '../../../../src/kernel/exec/exec.ts';
import { ConntrackCli } from '../../../../src/kernel/conntrack/cli.ts';
import { NetnsRunner } from '../../../../src/kernel/conntrack/netns.ts';
import { FakeConntrack, type FakeFlow } from '../../../../src/kernel/conntrack/fake.ts';

interface Call { command: string; args: readonly string[]; options: RunOptions }

/** Plays back tool exits and, like ExecaRunner, throws unless the exit code is 0 or allowed. */
class ScriptedRunner implements CommandRunner {
  readonly calls: Call[] = [];
  readonly #replies: { exitCode: number; stdout?: string }[];

  constructor(replies: { exitCode: number; stdout?: string }[]) {
    this.#replies = replies;
  }

  run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
    this.calls.push({ command, args, options });
    const reply = this.#replies.shift();
    if (reply === undefined) return Promise.reject(new Error(`unexpected call ${command} ${args.join(' ')}`));
    if (reply.exitCode !== 0 && !(options.okExitCodes ?? []).includes(reply.exitCode)) {
      return Promise.reject(new CommandError({ command, args, exitCode: reply.exitCode, stderr: 'whatever text' }, options));
    }
    return Promise.resolve({ stdout: reply.stdout ?? '', stderr: 'any text at all', exitCode: reply.exitCode });
  }
}

const FLOW_LINE = 'udp      17 29 src=10.250.0.1 dst=10.250.0.2 sport=54495 dport=5353 [UNREPLIED] src=10.250.0.2 dst=10.250.0.1 sport=5353 dport=54495 mark=0 use=1\n';

describe('ConntrackCli', () => {
  it('builds the original-tuple arguments and counts the deleted flows printed on stdout', async () => {
    const runner = new ScriptedRunner([{ exitCode: 0, stdout: FLOW_LINE + FLOW_LINE + FLOW_LINE }]);
    const n = await new ConntrackCli(runner).deleteUdpFlows({ family: 4, destination: '10.250.0.2', destinationPort: 5353, source: '10.250.0.1' });
    assert.equal(n, 3);
    assert.deepEqual(runner.calls.map((c) => [c.command, ...c.args]), [
      ['conntrack', '-D', '-p', 'udp', '-f', 'ipv4', '--orig-dst', '10.250.0.2', '--orig-port-dst', '5353', '--orig-src', '10.250.0.1'],
    ]);
  });

  it('canonicalises IPv6 addresses and omits optional selectors', async () => {
    const runner = new ScriptedRunner([{ exitCode: 0, stdout: FLOW_LINE }]);
    await new ConntrackCli(runner).deleteUdpFlows({ family: 6, destination: 'FD00:0250:0:0::2' });
    assert.deepEqual(runner.calls[0]?.args, ['-D', '-p', 'udp', '-f', 'ipv6', '--orig-dst', 'fd00:250::2']);
  });

  it('treats exit 1 with no output as "nothing matched" only after -L confirms conntrack works', async () => {
    const runner = new ScriptedRunner([{ exitCode: 1 }, { exitCode: 0 }]);
    assert.equal(await new ConntrackCli(runner).deleteUdpFlows({ family: 4, destination: '10.96.0.10', destinationPort: 53 }), 0);
    assert.deepEqual(runner.calls.map((c) => c.args[0]), ['-D', '-L']);
    assert.deepEqual(runner.calls[1]?.args.slice(1), runner.calls[0]?.args.slice(1));
  });

  it('reports a conntrack that cannot reach the kernel (exit 1 from -D and -L) as CommandError', async () => {
    const runner = new ScriptedRunner([{ exitCode: 1 }, { exitCode: 1 }]);
    await assert.rejects(
      new ConntrackCli(runner).deleteUdpFlows({ family: 4, destination: '10.96.0.10' }),
      (e: unknown) => e instanceof CommandError && e.exitCode === 1 && e.args[0] === '-L',
    );
  });

  it('propagates parameter problems (exit 2) as CommandError without a second run', async () => {
    const runner = new ScriptedRunner([{ exitCode: 2 }]);
    await assert.rejects(new ConntrackCli(runner).deleteUdpFlows({ family: 4, destination: '10.96.0.10' }), CommandError);
    assert.equal(runner.calls.length, 1);
  });

  for (const [label, filter] of [
    ['an IPv6 destination in an IPv4 filter', { family: 4, destination: 'fd00::1' }],
    ['an IPv4 source in an IPv6 filter', { family: 6, destination: 'fd00::1', source: '10.0.0.1' }],
    ['port 0', { family: 4, destination: '10.0.0.1', destinationPort: 0 }],
    ['an option-looking address', { family: 4, destination: '--flush' }],
    ['family 5', { family: 5, destination: '10.0.0.1' }],
  ] as const) {
    it(`refuses ${label} before running anything`, async () => {
      const runner = new ScriptedRunner([]);
      await assert.rejects(new ConntrackCli(runner).deleteUdpFlows(filter as never), ValidationError);
      assert.equal(runner.calls.length, 0);
    });
  }
});

describe('NetnsRunner', () => {
  it('prefixes ip netns exec NAME and passes options through', async () => {
    const inner = new ScriptedRunner([{ exitCode: 1 }]);
    const result = await new NetnsRunner(inner, 'ct-a').run('conntrack', ['-L'], { operation: 'x', okExitCodes: [1] });
    assert.equal(result.exitCode, 1);
    assert.deepEqual(inner.calls.map((c) => [c.command, ...c.args]), [['ip', 'netns', 'exec', 'ct-a', 'conntrack', '-L']]);
    assert.deepEqual(inner.calls[0]?.options.okExitCodes, [1]);
  });
  it('refuses namespace names that are not one path component', () => {
    for (const bad of ['', '..', 'a/b', '-n', 'x y']) {
      assert.throws(() => new NetnsRunner(new ScriptedRunner([]), bad), ValidationError, bad);
    }
  });
});

describe('FakeConntrack', () => {
  const flow = (over: Partial<FakeFlow>): FakeFlow => ({
    protocol: 'udp', family: 4, source: '10.0.0.5', sourcePort: 40000, destination: '10.96.0.10', destinationPort: 53, ...over,
  });

  it('deletes only UDP flows whose original tuple matches, and counts them', async () => {
    const ct = new FakeConntrack();
    ct.addFlow(flow({}));
    ct.addFlow(flow({ sourcePort: 40001 }));
    ct.addFlow(flow({ source: '10.0.0.6' }));
    ct.addFlow(flow({ destinationPort: 5353 }));
    ct.addFlow(flow({ protocol: 'tcp' }));
    ct.addFlow(flow({ family: 6, source: 'fd00::5', destination: 'fd00::10' }));
    assert.equal(await ct.deleteUdpFlows({ family: 4, destination: '10.96.0.10', destinationPort: 53, source: '10.0.0.5' }), 2);
    assert.equal(await ct.deleteUdpFlows({ family: 4, destination: '10.96.0.10', destinationPort: 53, source: '10.0.0.5' }), 0);
    assert.equal(await ct.deleteUdpFlows({ family: 4, destination: '10.96.0.10' }), 2);
    assert.deepEqual(ct.flows().map((f) => `${f.protocol} ${f.destination}`), ['tcp 10.96.0.10', 'udp fd00::10']);
    assert.equal(await ct.deleteUdpFlows({ family: 6, destination: 'fd00:0::10' }), 1);
    assert.equal(ct.deletions.length, 4);
  });

  it('rejects a duplicate tuple with EEXIST and invalid filters like the CLI', async () => {
    const ct = new FakeConntrack();
    ct.addFlow(flow({}));
    assert.throws(() => ct.addFlow(flow({})), (e: unknown) => e instanceof Error && 'errno' in e && e.errno === 17);
    await assert.rejects(ct.deleteUdpFlows({ family: 4, destination: 'fd00::1' }), ValidationError);
    assert.equal(ct.flows().length, 1);
  });
});
