import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CommandError, Errno, KernelError, ProxierError, ValidationError, errnoName, hasErrno, isExists, isNotFound } from '../../src/errors.ts';

describe('typed errors', () => {
  it('KernelError carries errno, code, operation and object', () => {
    const cause = new Error('netlink reply');
    const err = new KernelError(Errno.EEXIST, { operation: 'ipvs.addService', object: 'TCP 10.96.0.1:443', cause });
    assert.ok(err instanceof ProxierError);
    assert.equal(err.name, 'KernelError');
    assert.equal(err.errno, 17);
    assert.equal(err.code, 'EEXIST');
    assert.equal(err.operation, 'ipvs.addService');
    assert.equal(err.object, 'TCP 10.96.0.1:443');
    assert.equal(err.cause, cause);
    assert.ok(hasErrno(err, Errno.EEXIST));
    assert.ok(!hasErrno(err, Errno.ENOENT));
  });

  it('unknown errno values still get a stable code', () => {
    assert.equal(errnoName(9999), 'E9999');
    assert.equal(new KernelError(9999, { operation: 'x' }).code, 'E9999');
  });

  it('CommandError distinguishes a missing tool from a failing one', () => {
    const missing = new CommandError({ command: 'ipset', args: ['restore'], exitCode: undefined, stderr: '', errno: Errno.ENOENT }, { operation: 'ipset restore' });
    assert.equal(missing.code, 'ERR_COMMAND_NOT_FOUND');
    const failed = new CommandError({ command: 'ipset', args: ['restore'], exitCode: 1, stderr: 'line 1\nline 2: bad\n' }, { operation: 'ipset restore', object: 'set KUBE-CLUSTER-IP' });
    assert.equal(failed.code, 'ERR_COMMAND_FAILED');
    assert.equal(failed.exitCode, 1);
    assert.equal(failed.stderr, 'line 1\nline 2: bad\n');
    assert.match(failed.message, /set KUBE-CLUSTER-IP/);
  });
});

describe('isNotFound / isExists', () => {
  const ctx = { operation: 'test' };
  it('classify by errno only', () => {
    for (const errno of [Errno.ENOENT, Errno.ESRCH, Errno.ENODEV]) assert.equal(isNotFound(new KernelError(errno, ctx)), true);
    assert.equal(isNotFound(new KernelError(Errno.EEXIST, ctx)), false);
    assert.equal(isExists(new KernelError(Errno.EEXIST, ctx)), true);
    assert.equal(isExists(new KernelError(Errno.EBUSY, ctx)), false);
    // a message that merely mentions an errno does not count
    assert.equal(isExists(new Error('failed with EEXIST')), false);
  });
});

describe('ValidationError', () => {
  it('carries the reason apart from the message', () => {
    const e = new ValidationError('port', 0, 'must be 1..65535', { operation: 'test', object: 'svc' });
    assert.equal(e.reason, 'must be 1..65535');
    assert.equal(e.code, 'ERR_INVALID_VALUE');
  });
});
