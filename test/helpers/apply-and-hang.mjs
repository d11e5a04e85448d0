// Crash-test helper: apply the specs under a directory, then stop inside the transaction after every
// write (before COMMIT), print "ready" and wait forever, so the test can SIGKILL this process
// mid-apply. The database comes from DATABASE_URL, else the embedded PGlite at <cwd>/.labctl/db.
//
//   node test/helpers/apply-and-hang.mjs [SPEC_DIR]
import { resolve } from 'node:path';
import { apply } from '../../dist/reconciler/apply/index.js';
import { readSpecDir, SpecLoader } from '../../dist/reconciler/load/index.js';
import { migrate, openDatabase } from '../../dist/adapters/db/index.js';
import { currentProcess } from '../../dist/cli/host.js';

const dir = resolve(process.argv[2] ?? '.');
const state = new SpecLoader().load(await readSpecDir(dir));
if (state.diagnostics.some((d) => d.severity === 'error')) {
  console.error(JSON.stringify(state.diagnostics));
  process.exit(2);
}
const db = await openDatabase({ databaseUrl: process.env.DATABASE_URL || undefined, cwd: process.cwd(), applicationName: 'labctl crash-test', host: currentProcess() });
await migrate(db);
await apply(db, { desired: state.resources }, {
  prune: process.env.PRUNE === '1',
  gitSha: 'crash-test',
  now: () => new Date(),
  actor: 'crash-test',
  lockTimeoutMs: 30_000,
  allowMassArchive: false,
  beforeCommit: async () => {
    process.stdout.write('ready\n');
    // Keep the event loop alive; the promise never resolves.
    setInterval(() => undefined, 60_000);
    await new Promise(() => undefined);
  },
});
console.error('apply returned, which the test did not expect');
process.exit(3);
