// ManifestDaemon with bad entries in its directory: start-up proceeds without them, each is one log
// line naming its file, logged once per change; only a missing directory stops start().
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { DEFAULT_POLL_INTERVAL_MS, ManifestDaemon } from '../../../src/daemon/manifests-daemon.ts';
import { Proxier, type SyncReport } from '../../../src/engine/proxier.ts';
import { createFakeKernel } from '../../../src/kernel/fake-kernel.ts';
import type { Service } from '../../../src/model/types.ts';
import { ManifestError } from '../../../src/sources/manifests/manifest-error.ts';
import { Activity } from '../../helpers/activity.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { familyConfig } from '../../helpers/objects.ts';
import { GOOD, tempDir } from '../manifests/manifest-dir.ts';

interface Line { level: number; msg: string; file?: string; field?: string; code?: string }

let t: Awaited<ReturnType<typeof tempDir>>;
let daemon: ManifestDaemon | undefined;
beforeEach(async () => { t = await tempDir(); });
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  await t.remove();
});

function capture(): { logger: pino.Logger; lines: Line[]; activity: Activity } {
  const lines: Line[] = [];
  const activity = new Activity();
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Line);
      activity.notify();
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines, activity };
}

function startDaemon(dir: string): { daemon: ManifestDaemon; lines: Line[]; reports: SyncReport[]; clock: ManualClock; activity: Activity; kernel: ReturnType<typeof createFakeKernel> } {
  const kernel = createFakeKernel();
  const clock = new ManualClock();
  const { logger, lines, activity } = capture();
  const proxier = new Proxier({ kernel, families: [familyConfig()], logger, clock });
  const reports: SyncReport[] = [];
  daemon = new ManifestDaemon({
    dir, proxier, logger, clock, minSyncPeriodMs: 20, syncPeriodMs: 600_000,
    onSync: (r) => { reports.push(r); activity.notify(); },
  });
  return { daemon, lines, reports, clock, activity, kernel };
}

/** Skip and warning lines about the directory's files (not the engine's own). */
const fileLines = (lines: readonly Line[]): string[] => lines.filter((l) => l.file !== undefined && l.level >= 40).map((l) => `${l.file} ${l.code}`).sort();

describe('ManifestDaemon and bad entries', { timeout: 15_000 }, () => {
  it('starts without the bad entries; one line each; not again on a reload; again when one changes', async () => {
    await t.put('good.yaml', GOOD);
    execFileSync('mkfifo', [join(t.dir, 'fifo.yaml')]);
    await symlink('/nonexistent', join(t.dir, 'dangling.yaml'));
    await symlink('loop.yaml', join(t.dir, 'loop.yaml'));
    await t.put('utf16.yaml', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('kind: Service\n', 'utf16le')]));
    await t.put('typo.yaml', 'kind: Servcie\nmetadata: {name: x}\n');
    const s = startDaemon(t.dir);
    await s.daemon.start();
    await s.clock.advance(0);
    await s.activity.until(() => s.reports.length === 1, 'the first sync');
    assert.deepEqual(s.reports[0]?.failures, []);
    assert.deepEqual((await s.kernel.ipvs.dump()).flatMap((v) => v.destinations.map((x) => x.address)), ['10.244.0.5'], 'the good file is served');
    const expected = ['dangling.yaml ERR_MANIFEST_UNREADABLE', 'fifo.yaml ERR_MANIFEST_NOT_A_FILE', 'loop.yaml ERR_MANIFEST_UNREADABLE', 'typo.yaml ERR_MANIFEST_KIND', 'utf16.yaml ERR_MANIFEST_ENCODING'];
    assert.deepEqual(fileLines(s.lines), expected);
    assert.equal(s.lines.find((l) => l.file === 'typo.yaml')?.level, 40, 'a misspelt kind is a warning');

    assert.equal(await s.daemon.reload(), 0);
    assert.deepEqual(fileLines(s.lines), expected, 'a reload with nothing changed logs nothing');
    await utimes(join(t.dir, 'typo.yaml'), new Date(), new Date(Date.now() + 5000));
    assert.equal(await s.daemon.reload(), 1);
    assert.deepEqual(fileLines(s.lines), [...expected, 'typo.yaml ERR_MANIFEST_KIND'].sort());
  });

  it('a directory that goes away is said once, not every poll, and when it is back', async () => {
    await t.put('good.yaml', GOOD);
    const s = startDaemon(t.dir);
    await s.daemon.start();
    await rm(t.dir, { recursive: true });
    const said = (msg: string): number => s.lines.filter((l) => l.msg === msg).length;
    for (let i = 0; i < 3; i++) {
      await s.clock.advance(DEFAULT_POLL_INTERVAL_MS);
      await s.activity.until(() => said('manifest directory unreadable; previous state kept') === 1, 'the first failed poll');
      await new Promise((resolve) => setTimeout(resolve, 20)); // the poll's readdir is real I/O
    }
    assert.equal(said('manifest directory unreadable; previous state kept'), 1);
    await mkdir(t.dir);
    await s.clock.advance(DEFAULT_POLL_INTERVAL_MS);
    await s.activity.until(() => said('manifest directory readable again') === 1, 'the directory back');
  });

  it('a missing directory fails start() with one error naming it', async () => {
    const s = startDaemon(join(t.dir, 'missing'));
    await assert.rejects(s.daemon.start(), (e: unknown) =>
      e instanceof ManifestError && e.code === 'ERR_MANIFEST_DIRECTORY' && e.message.includes(join(t.dir, 'missing')));
  });

  it('a file where the directory should be fails start() too', async () => {
    await t.put('file', 'x');
    const s = startDaemon(join(t.dir, 'file'));
    await assert.rejects(s.daemon.start(), { code: 'ERR_MANIFEST_DIRECTORY', message: `manifests directory ${join(t.dir, 'file')} is not a directory (ENOTDIR)` });
  });

  it('--once parses with the configured node-port range', async () => {
    await writeFile(join(t.dir, 'np.yaml'), 'kind: Service\nmetadata: {name: np}\nspec: {type: NodePort, clusterIP: 10.96.0.50, ports: [{port: 80, nodePort: 20005}]}\n');
    const services: Service[] = [];
    const proxier = { onServiceUpdate: (_: unknown, s: Service | undefined) => { if (s) services.push(s); }, onEndpointSliceUpdate: () => undefined };
    const once = new ManifestDaemon({
      dir: t.dir, proxier: proxier as unknown as Proxier, logger: pino({ level: 'silent' }), minSyncPeriodMs: 0, syncPeriodMs: 30_000,
      clock: new ManualClock(), limits: { nodePortRange: { from: 20000, to: 20010 } },
    });
    assert.equal(await once.loadOnce(), true);
    assert.deepEqual(services.map((s) => s.ports.map((p) => p.nodePort)), [[20005]]);
  });
});
