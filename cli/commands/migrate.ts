import { openDatabase } from '../../adapters/db/open.js';
import { migrateAll } from '../context.js';
import { currentProcess } from '../host.js';
import { EXIT, type CliIO } from '../io.js';

/** labctl migrate: bring the state store's schema up to date. */
export async function migrateCommand(io: CliIO): Promise<number> {
  const db = await openDatabase({ databaseUrl: io.env.DATABASE_URL || undefined, cwd: io.cwd, applicationName: 'labctl migrate', host: currentProcess() });
  try {
    const { applied, events } = await migrateAll(io, db);
    const lines = applied.map((m) => `applied ${m}\n`);
    if (events.created > 0) lines.push(`created ${events.created} monthly event partition(s)\n`);
    for (const name of events.dropped) lines.push(`dropped labctl.${name}: its events are older than LABCTL_EVENT_RETENTION=${io.env.LABCTL_EVENT_RETENTION}\n`);
    io.stdout.write(lines.length ? lines.join('') + `Schema up to date (${db.engine}).\n` : `Schema already up to date (${db.engine}).\n`);
    return EXIT.ok;
  } finally {
    await db.close();
  }
}
