import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseSave } from '../../../../src/kernel/ipset/save.ts';

// Captured from `ipset save` (ipset 7.17, Linux 6.1) in the sandbox.
const SAVED = `create A hash:ip,port family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x6b98138b
add A 1.2.3.5,sctp:80
add A 10.0.0.1,tcp:80
add A 1.2.3.5,icmp:echo-request
create C hash:ip,port,ip family inet6 hashsize 1024 maxelem 65536 comment bucketsize 12 initval 0x1b806b44
add C fd00::1,tcp:80,fd00::2 comment "hello world"
create D bitmap:port range 0-65535
add D 30081
add D 30080
create E hash:ip,port,net family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x46f3d23c
add E 1.2.3.4,tcp:80,10.0.0.0/8
add E 1.2.3.4,sctp:80,10.0.0.1
`;

describe('parseSave', () => {
  it('parses headers and members, sorting both', () => {
    assert.deepEqual(parseSave(SAVED), [
      { name: 'A', type: 'hash:ip,port', family: 4, hashsize: 1024, maxelem: 65536, range: undefined, comment: false, members: ['1.2.3.5,icmp:echo-request', '1.2.3.5,sctp:80', '10.0.0.1,tcp:80'] },
      { name: 'C', type: 'hash:ip,port,ip', family: 6, hashsize: 1024, maxelem: 65536, range: undefined, comment: true, members: ['fd00::1,tcp:80,fd00::2'] },
      { name: 'D', type: 'bitmap:port', family: undefined, hashsize: undefined, maxelem: undefined, range: { from: 0, to: 65535 }, comment: false, members: ['30080', '30081'] },
      { name: 'E', type: 'hash:ip,port,net', family: 4, hashsize: 1024, maxelem: 65536, range: undefined, comment: false, members: ['1.2.3.4,sctp:80,10.0.0.1', '1.2.3.4,tcp:80,10.0.0.0/8'] },
    ]);
  });

  it('returns nothing for empty output', () => {
    assert.deepEqual(parseSave(''), []);
  });
});
