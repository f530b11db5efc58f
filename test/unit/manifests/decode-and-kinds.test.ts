// The pure parts of the manifests source: UTF-8 validation (where the first bad byte is) and the
// kind check (which kinds are a typo of ours, which are someone else's).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeManifest, firstInvalidUtf8 } from '../../../src/sources/manifests/decode.ts';
import { classifyKind, editDistance } from '../../../src/sources/manifests/kinds.ts';
import { FileFailureError } from '../../../src/sources/manifests/manifest-error.ts';

describe('firstInvalidUtf8', () => {
  const cases: [string, number[], number][] = [
    ['ASCII', [0x61, 0x62], -1],
    ['2-, 3- and 4-byte sequences', [0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80], -1],
    ['a Latin-1 é', [0x61, 0xe9, 0x62], 1],
    ['a lone continuation byte', [0x61, 0x80], 1],
    ['overlong 2-byte (C0)', [0xc0, 0x80], 0],
    ['overlong 3-byte (E0 80)', [0x61, 0xe0, 0x80, 0x80], 1],
    ['a UTF-16 surrogate (ED A0)', [0xed, 0xa0, 0x80], 0],
    ['beyond U+10FFFF (F4 90)', [0xf4, 0x90, 0x80, 0x80], 0],
    ['truncated at the end', [0x61, 0xe2, 0x82], 1],
  ];
  for (const [name, bytes, at] of cases) {
    it(name, () => assert.equal(firstInvalidUtf8(Uint8Array.from(bytes)), at));
  }

  it('agrees with TextDecoder on what is valid, and the message says where', () => {
    assert.equal(decodeManifest(Buffer.from('\uFEFFkind: Service\n')), 'kind: Service\n', 'a UTF-8 byte-order mark is dropped');
    assert.throws(() => decodeManifest(Buffer.from([0x61, 0x0a, 0x62, 0xe9])), (e: unknown) =>
      e instanceof FileFailureError && e.failure.code === 'ERR_MANIFEST_ENCODING' && e.failure.reason.includes('byte 0xe9 on line 2 (offset 3)'));
  });
});

describe('classifyKind', () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ kind: 'Service' }, 'ours'],
    [{ kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1' }, 'ours'],
    [{ kind: 'Deployment', apiVersion: 'apps/v1' }, 'other'],
    [{ kind: 'ConfigMap', apiVersion: 'v1' }, 'other'],
    [{ kind: 'Endpoints', apiVersion: 'v1' }, 'other'],
    [{ kind: 'ServiceAccount', apiVersion: 'v1' }, 'other'],
    [{ kind: 'ServiceMonitor', apiVersion: 'monitoring.coreos.com/v1' }, 'other'],
    [{ kind: 'Secret' }, 'other'],
    [{ kind: 'Servcie' }, 'suspicious'],
    [{ kind: 'Sevice' }, 'suspicious'],
    [{ kind: 'service' }, 'suspicious'],
    [{ kind: 'SERVICE' }, 'suspicious'],
    [{ kind: 'EndpointSlices' }, 'suspicious'],
    [{ kind: 'endpointslice' }, 'suspicious'],
    [{}, 'suspicious'],
    [{ kind: '' }, 'suspicious'],
    [{ kind: 42 }, 'suspicious'],
    [{ kind: 'Ingress', apiVersion: 'v1' }, 'suspicious'],
    [{ kind: 'Endpoints', apiVersion: 'discovery.k8s.io/v1' }, 'suspicious'],
  ];
  for (const [object, verdict] of cases) {
    it(`${JSON.stringify(object)} is ${verdict}`, () => assert.equal(classifyKind(object).verdict, verdict));
  }

  it('editDistance stops early past its limit', () => {
    assert.equal(editDistance('Service', 'Servcie', 2), 2);
    assert.equal(editDistance('Service', 'Secret', 2), 3);
    assert.equal(editDistance('Service', 'ServiceAccount', 2), 3);
  });
});
