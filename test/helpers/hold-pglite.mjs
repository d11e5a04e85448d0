// Holds the embedded PGlite database at <cwd>/.labctl/db open until stdin closes or it is killed:
// prints "ready <pid>" once the database is open.
//
//   node test/helpers/hold-pglite.mjs
import { openDatabase } from '../../dist/adapters/db/index.js';
import { currentProcess } from '../../dist/cli/host.js';

const db = await openDatabase({ cwd: process.cwd(), applicationName: 'labctl hold-test', host: currentProcess() });
await db.query('SELECT 1');
process.stdout.write(`ready ${process.pid}\n`);
const stop = async () => {
  await db.close();
  process.exit(0);
};
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
