// An in-process runtime (the routes `labctl serve` mounts for assignment, prompts, events and
// results) on an open database, for tests that drive the whole loop over real HTTP.
import type { Database } from '../../core/db.js';
import type { Snapshot } from '../../engine/assignment/snapshot.js';
import type { SnapshotHealth } from '../../kinds/routes.js';
import { eventRoutes } from '../../runtime/events/routes.js';
import { ExposureWriter } from '../../runtime/exposures/writer.js';
import { LiveSnapshot } from '../../runtime/live/live.js';
import { resultRoutes } from '../../runtime/results/routes.js';
import { RuntimeServer } from '../../runtime/server/server.js';

export interface InProcessRuntime {
  url: string;
  exposures: ExposureWriter;
}

/** Run fn against a runtime on db, then shut it down. Results are never cached (max age 0). */
export async function withRuntime<T>(db: Database, fn: (rt: InProcessRuntime) => Promise<T>): Promise<T> {
  const live = await LiveSnapshot.open({ db });
  const exposures = new ExposureWriter(db, { flushMs: 50 });
  const server = new RuntimeServer({ source: live, exposures, routes: [...eventRoutes({ db }), ...resultRoutes({ db, maxAgeMs: 0 })] });
  try {
    const url = `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}`;
    return await fn({ url, exposures });
  } finally {
    await server.shutdown();
    await exposures.close();
    await live.close();
  }
}

/** A SnapshotSource that never changes (for RuntimeServer without a database). */
export function staticSource(snap: Snapshot): { current: Snapshot; health(): SnapshotHealth } {
  return {
    current: snap,
    health() {
      return { status: 'ready', revision: this.current.revision, ageSeconds: 0, lastError: null, reloads: 0 };
    },
  };
}
