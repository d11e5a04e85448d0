import { migrate } from '../../adapters/db/migrate.js';
import { openDatabase } from '../../adapters/db/open.js';
import { currentProcess } from '../host.js';
import { EXIT, type CliIO } from '../io.js';

/** labctl migrate: bring the state store's schema up to date. */
export async function migrateCommand(io: CliIO): Promise<number> {
  const db = await openDatabase({ databaseUrl: io.env.DATABASE_URL || undefined, cwd: io.cwd, applicationName: 'labctl migrate', host: currentProcess() });
  try {
    const applied = await migrate(db);
    io.stdout.write(applied.length ? applied.map((m) => `applied ${m}\n`).join('') + `Schema up to date (${db.engine}).\n` : `Schema already up to date (${db.engine}).\n`);
    return EXIT.ok;
  } finally {
    await db.close();
  }
}
