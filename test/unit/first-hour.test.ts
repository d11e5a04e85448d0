// A newcomer's first hour: the request `labctl up` suggests is answered with an enrolment (it was
// a layer_miss), and `watch --interval` is checked even without --git (a typo used to pass).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assign } from '../../engine/assignment/assign.js';
import { enrolledExample } from '../../engine/assignment/try-request.js';
import { snapshotFromDir } from '../../reconciler/load/snapshot.js';
import { cli } from '../helpers/cli.js';
import { SAMPLES } from '../helpers/engines.js';

const dir = mkdtempSync(join(tmpdir(), 'labctl-first-hour-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the quick start', () => {
  it("up's suggested request enrols its unit in the sample specs, today and in ten years", async () => {
    const snap = await snapshotFromDir(SAMPLES);
    for (const now of [Date.now(), Date.now() + 10 * 365 * 86_400_000]) {
      const ex = enrolledExample(snap, now)!;
      expect(ex).toBeDefined();
      // Query strings are strings: the suggestion is what GET /v1/assign would see.
      const asQuery = Object.fromEntries(Object.entries(ex.attributes).map(([k, v]) => [k, String(v)]));
      expect(assign(snap, ex.experiment, asQuery, now)).toMatchObject({ inExperiment: true, reason: 'split' });
    }
  });

  it('fills in what simple targeting asks for (the experiment route has only a targeted experiment)', async () => {
    const dir2 = mkdtempSync(join(tmpdir(), 'labctl-first-hour-targeted-'));
    try {
      mkdirSync(join(dir2, 'experiments'));
      writeFileSync(join(dir2, 'experiments', 'cta.yaml'), 'kind: Experiment\nname: signup-cta\nstatus: running\nunit: user_id\ncoverage: 0.1\nvariants:\n  - { key: control, weight: 50, value: { label: Sign up } }\n  - { key: trial, weight: 50, value: { label: Start free trial } }\ntargeting:\n  country: { $in: [NL, BE, DE] }\n');
      const snap = await snapshotFromDir(dir2);
      const ex = enrolledExample(snap, Date.now())!;
      expect(ex.attributes.country).toBe('NL');
      expect(assign(snap, ex.experiment, Object.fromEntries(Object.entries(ex.attributes).map(([k, v]) => [k, String(v)])), Date.now()).inExperiment).toBe(true);
    } finally {
      rmSync(dir2, { recursive: true, force: true });
    }
  });

  it('says so when nothing running enrols anyone', async () => {
    const snap = await snapshotFromDir(SAMPLES);
    expect(enrolledExample({ ...snap, running: [] }, Date.now())).toBeUndefined();
  });
});

describe('watch --interval', () => {
  it.each([
    [['watch', '--interval', '5x'], /invalid --interval "5x"/],
    [['watch', '--interval', '10s'], /--interval applies to --git only/],
    [['watch', '--git', 'file:///nowhere', '--interval', '0'], /--interval must be at least 1s/],
  ])('%j is refused', async (args, message) => {
    const r = await cli(args as string[], { cwd: dir, env: { DATABASE_URL: undefined } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
  });
});
