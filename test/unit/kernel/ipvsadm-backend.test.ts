import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KernelError} from '../../../src/errors.ts';
import { CommandError, Errno, ValidationError } from '../../../src/errors.ts';
import type { CommandRunner, RunOptions, RunResult } from '../../../src/kernel/exec/exec.ts';
import { IpvsadmIpvs } from '../../../src/kernel/ipvs/ipvsadm.ts';
import { renderOperationArgs } from '../../../src/kernel/ipvs/ipvsadm-render.ts';
import { checkIpvsadmLimits } from '../../../src/kernel/ipvs/ipvsadm-limits.ts';
import { normalizeOperation } from '../../../src/kernel/ipvs/validate.ts';
import { ServiceFlag, type IpvsOperation, type RealServer, type VirtualServer, type VirtualServerKey } from '../../../src/kernel/ipvs/types.ts';

interface Call { command: string; args: readonly string[]; options: RunOptions }

/** Replays canned results (as captured from ipvsadm 1.31) and records every call. */
class ScriptedRunner implements CommandRunner {
  readonly calls: Call[] = [];
  readonly #results: RunResult[];
  constructor(results: RunResult[]) {
    this.#results = results;
  }
  run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
    this.calls.push({ command, args, options });
    const result = this.#results.shift();
    if (result === undefined) return Promise.reject(new Error('unexpected call'));
    return Promise.resolve(result);
  }
}

const key: VirtualServerKey = { kind: 'address', family: 4, protocol: 'TCP', address: '10.0.0.1', port: 80 };
const svc = (extra: Partial<VirtualServer> = {}): VirtualServer =>
  ({ key, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff, ...extra });
const rs = (extra: Partial<RealServer> = {}): RealServer =>
  ({ family: 4, address: '10.1.0.1', port: 8080, forward: 'masq', weight: 3, upperThreshold: 0, lowerThreshold: 0, ...extra });

describe('ipvsadm restore lines', () => {
  const cases: [IpvsOperation, string][] = [
    [{ op: 'addService', service: svc() }, '-A -t 10.0.0.1:80 -s rr'],
    [{ op: 'updateService', service: svc({ scheduler: 'sh', flags: ServiceFlag.PERSISTENT | ServiceFlag.SCHED2 | ServiceFlag.HASHED, timeout: 60, netmask: 0xffffff00 }) },
      '-E -t 10.0.0.1:80 -s sh -p 60 -M 255.255.255.0 -b flag-2'],
    [{ op: 'addService', service: { key: { kind: 'fwmark', family: 6, fwmark: 4294967295 }, scheduler: 'mh', flags: ServiceFlag.SCHED1 | ServiceFlag.SCHED2, timeout: 0, netmask: 128 } },
      '-A -f 4294967295 -6 -s mh -b flag-1,flag-2'],
    [{ op: 'addService', service: { key: { ...key, protocol: 'UDP', family: 6, address: 'FD00:0::1' }, scheduler: 'rr', flags: ServiceFlag.ONEPACKET, timeout: 0, netmask: 128 } },
      '-A -u [fd00::1]:80 -s rr -o'],
    [{ op: 'deleteService', key: { ...key, protocol: 'SCTP' } }, '-D --sctp-service 10.0.0.1:80'],
    [{ op: 'addDestination', service: key, destination: rs({ upperThreshold: 100, lowerThreshold: 10 }) }, '-a -t 10.0.0.1:80 -r 10.1.0.1:8080 -m -w 3 -x 100 -y 10'],
    [{ op: 'updateDestination', service: key, destination: rs({ forward: 'droute', port: 80, weight: 0 }) }, '-e -t 10.0.0.1:80 -r 10.1.0.1:80 -g -w 0 -x 0 -y 0'],
    [{ op: 'addDestination', service: key, destination: rs({ forward: 'tunnel', family: 6, address: 'fd01::1', port: 80 }) }, '-a -t 10.0.0.1:80 -r [fd01::1]:80 -i -w 3 -x 0 -y 0'],
    [{ op: 'deleteDestination', service: { kind: 'fwmark', family: 4, fwmark: 7 }, destination: { family: 4, address: '10.1.0.1', port: 0 } }, '-d -f 7 -r 10.1.0.1:0'],
  ];
  for (const [op, line] of cases) {
    it(line, () => {
      const normalized = normalizeOperation(op);
      checkIpvsadmLimits(normalized);
      assert.equal(renderOperationArgs(normalized).join(' '), line);
    });
  }

  const refused: [string, IpvsOperation][] = [
    ['timeout without persistence', { op: 'addService', service: svc({ timeout: 5 }) }],
    ['persistence timeout 0', { op: 'addService', service: svc({ flags: ServiceFlag.PERSISTENT }) }],
    ['persistence timeout above 31 days', { op: 'addService', service: svc({ flags: ServiceFlag.PERSISTENT, timeout: 2678401 }) }],
    ['one-packet on TCP', { op: 'addService', service: svc({ flags: ServiceFlag.ONEPACKET }) }],
    ['sh flag-3', { op: 'addService', service: svc({ scheduler: 'sh', flags: ServiceFlag.SCHED3 }) }],
    ['unknown flag bits', { op: 'addService', service: svc({ flags: 0x100 }) }],
    ['unknown scheduler name', { op: 'addService', service: svc({ scheduler: 'bogus' }) }],
    ['fwmark 0', { op: 'deleteService', key: { kind: 'fwmark', family: 4, fwmark: 0 } }],
    ['family mismatch', { op: 'deleteService', key: { ...key, address: 'fd00::1' } }],
    ['local forwarding', { op: 'addDestination', service: key, destination: rs({ forward: 'local' }) }],
    ['droute to another port', { op: 'addDestination', service: key, destination: rs({ forward: 'droute' }) }],
    ['masq to the other family', { op: 'addDestination', service: key, destination: rs({ family: 6, address: 'fd01::1' }) }],
    ['weight above INT_MAX', { op: 'addDestination', service: key, destination: rs({ weight: 2147483648 }) }],
    ['address with a newline', { op: 'addDestination', service: key, destination: rs({ address: '10.1.0.1\n-C' }) }],
  ];
  for (const [name, op] of refused) {
    it(`refuses ${name}`, () => assert.throws(() => checkIpvsadmLimits(normalizeOperation(op)), ValidationError));
  }
});

describe('IpvsadmIpvs with a scripted runner', () => {
  const SNAPSHOT = '-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.1.0.1:8080 -m -w 3\n';

  it('writes one ipvsadm -R with a -S -n snapshot first', async () => {
    const runner = new ScriptedRunner([{ stdout: SNAPSHOT, stderr: '', exitCode: 0 }]);
    const ipvs = new IpvsadmIpvs(runner, { command: '/sbin/ipvsadm' });
    const result = await ipvs.apply([{ op: 'deleteService', key }]);
    assert.deepEqual(result, { attempted: 1, failures: [] });
    assert.deepEqual(runner.calls.map((c) => [c.command, c.args, c.options.input, c.options.okExitCodes]), [
      ['/sbin/ipvsadm', ['-R'], '-S -n\n-D -t 10.0.0.1:80\n', [255]],
    ]);
  });

  it('attributes refusals with the model when it agrees with ipvsadm', async () => {
    const runner = new ScriptedRunner([{ stdout: SNAPSHOT, stderr: 'Service already exists\nNo such destination\n', exitCode: 255 }]);
    const ops: IpvsOperation[] = [
      { op: 'addService', service: svc() },
      { op: 'addDestination', service: key, destination: rs({ address: '10.1.0.2' }) },
      { op: 'deleteDestination', service: key, destination: { family: 4, address: '10.1.0.9', port: 8080 } },
    ];
    const result = await new IpvsadmIpvs(runner).apply(ops);
    assert.deepEqual(result.failures.map((f) => [f.index, f.operation === ops[f.index ?? -1], (f.error as KernelError).errno]), [
      [0, true, Errno.EEXIST], [2, true, Errno.ENOENT],
    ]);
    const cause = result.failures[1]?.error.cause;
    assert.ok(cause instanceof CommandError && cause.stderr === 'No such destination');
  });

  it('falls back to index undefined when the model disagrees (e.g. a missing scheduler module)', async () => {
    const runner = new ScriptedRunner([{ stdout: '', stderr: 'Scheduler or persistence engine not found\n', exitCode: 0 }]);
    const result = await new IpvsadmIpvs(runner).apply([
      { op: 'addService', service: svc({ scheduler: 'lblcr' }) },
      { op: 'addService', service: svc({ key: { ...key, port: 81 } }) },
    ]);
    assert.deepEqual(result.failures.map((f) => [f.index, f.operation, f.error.code]), [[undefined, undefined, 'ERR_COMMAND_FAILED']]);
  });

  it('lists destinations of a missing service as empty (ipvsadm exits 1)', async () => {
    const runner = new ScriptedRunner([{ stdout: '', stderr: 'No such service\n', exitCode: 1 }]);
    assert.deepEqual(await new IpvsadmIpvs(runner).listDestinations(key), []);
    assert.equal(runner.calls[0]?.options.input,
      '-L -n --exact -t 10.0.0.1:80\n-L -n --thresholds -t 10.0.0.1:80\n-L -n --persistent-conn -t 10.0.0.1:80\n-L -n --stats --exact -t 10.0.0.1:80\n');
  });

  it('sets and reads timeouts with --set and -L --timeout', async () => {
    const runner = new ScriptedRunner([{ stdout: '', stderr: '', exitCode: 0 }, { stdout: 'Timeout (tcp tcpfin udp): 901 0 301\n', stderr: '', exitCode: 0 }]);
    const ipvs = new IpvsadmIpvs(runner);
    await ipvs.setTimeouts({ tcp: 901, tcpFin: 0, udp: 301 });
    assert.deepEqual(await ipvs.getTimeouts(), { tcp: 901, tcpFin: 0, udp: 301 });
    assert.deepEqual(runner.calls.map((c) => c.args), [['--set', '901', '0', '301'], ['-L', '-n', '--timeout']]);
    await assert.rejects(ipvs.setTimeouts({ tcp: -1, tcpFin: 0, udp: 0 }), ValidationError);
  });
});
