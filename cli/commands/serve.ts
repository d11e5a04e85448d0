import { createColors } from 'picocolors';
import { ExposureWriter } from '../../runtime/exposures/writer.js';
import { LiveSnapshot } from '../../runtime/live/live.js';
import { RuntimeServer } from '../../runtime/server/server.js';
import { adminRoutes } from '../../runtime/server/admin.js';
import { resultRoutes } from '../../runtime/results/routes.js';
import { eventRoutes, newEventIngestStats } from '../../runtime/events/routes.js';
import { registerEventMetrics } from '../../runtime/events/metrics.js';
import { llmCallMetrics } from '../../runtime/flows/metrics.js';
import type { Performed } from '../../runtime/flows/effects.js';
import { maintainEventStorage } from '../../adapters/events/retention.js';
import type { Database } from '../../core/db.js';
import type { SessionStore } from '../../core/sessions.js';
import { openSessionStore } from '../../adapters/sessions/index.js';
import { llmProviders } from '../../adapters/llm/index.js';
import { loadFixtures } from '../../adapters/files/fixtures.js';
import { FlowRuntime, flowRoutes, replayRoute, StepLog } from '../../runtime/flows/index.js';
import { eventRetention, openMigrated, openResultsReader, resultsMaxAge } from '../context.js';
import { CliError } from '../errors.js';
import { EXIT, useColor, type CliIO } from '../io.js';

export interface ServeFlags {
  port: string;
  host: string;
}

/** A running runtime: server, live snapshot and exposure writer over one database. */
export interface Runtime {
  server: RuntimeServer;
  live: LiveSnapshot;
  exposures: ExposureWriter;
  sessions: SessionStore;
  port: number;
  stop(): Promise<void>;
}

/** Parse a TCP port flag. */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`invalid --port "${value}"`, 'use a number from 0 to 65535');
  return port;
}

/** Start the runtime on an open database (shared with apply/watch in `labctl up`). */
export async function startRuntime(io: CliIO, db: Database, port: number, host: string): Promise<Runtime> {
  const retentionMs = eventRetention(io);
  const maxAgeMs = resultsMaxAge(io);
  const reader = await openResultsReader(io, 'serve');
  const live = await LiveSnapshot.open({ db });
  const exposures = new ExposureWriter(db);
  const log = (l: string) => io.stderr.write(l + '\n');
  const ingest = newEventIngestStats();
  const events = eventRoutes({ db, token: io.env.LABCTL_INGEST_TOKEN || undefined, retentionMs, log, stats: ingest });
  const providers = llmProviders(io.env, { fixtures: loadFixtures(io.env.LABCTL_FIXTURES_DIR || io.cwd) });
  const sessions = await openSessionStore({ redisUrl: io.env.REDIS_URL || undefined, db });
  // The registry is the server's, made below; calls are observed once it exists.
  let observeLlm: (p: Performed) => void = () => undefined;
  const flows = new FlowRuntime({ source: live, store: sessions, log: new StepLog(db), providers, exposures, onLlmCall: (p) => observeLlm(p) });
  const server = new RuntimeServer({
    source: live,
    exposures,
    log,
    routes: [...adminRoutes({ db, token: io.env.LABCTL_ADMIN_TOKEN || undefined, source: live, log }), ...events, ...resultRoutes({ db, maxAgeMs, reader }), ...flowRoutes(flows), replayRoute(flows)],
  });
  registerEventMetrics(server.metrics.registry, ingest);
  observeLlm = llmCallMetrics(server.metrics.registry);
  // Daily: the partitions ahead (a long-running serve crosses month ends) and the retention.
  const maintain = setInterval(() => {
    maintainEventStorage(db, { nowMs: Date.now(), retentionMs })
      .then((r) => r.dropped.forEach((name) => log(`labctl serve: dropped labctl.${name} (events older than LABCTL_EVENT_RETENTION)`)))
      .catch((e: Error) => log(`labctl serve: event partition maintenance failed, next run in 24 h: ${e.message}`));
  }, 86_400_000);
  maintain.unref();
  let bound: number;
  try {
    bound = await server.listen(port, host);
  } catch (e) {
    clearInterval(maintain);
    await live.close();
    await reader?.close();
    await sessions.close();
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') throw new CliError(`port ${port} on ${host} is already in use`, 'stop the other process or pass --port');
    throw e;
  }
  live.on('change', (s: { revision: string }) => io.stderr.write(`labctl serve: now serving revision ${s.revision}\n`));
  live.on('degraded', (e: Error) => io.stderr.write(`labctl serve: database unreachable, serving the last snapshot: ${e.message}\n`));
  return {
    server,
    live,
    exposures,
    sessions,
    port: bound,
    async stop() {
      clearInterval(maintain);
      await server.shutdown();
      await sessions.close();
      await exposures.close();
      await live.close();
      await reader?.close();
    },
  };
}

/** Resolve when SIGTERM or SIGINT arrives. */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string) => () => {
      process.off('SIGTERM', term);
      process.off('SIGINT', int);
      resolve(sig);
    };
    const term = on('SIGTERM');
    const int = on('SIGINT');
    process.once('SIGTERM', term);
    process.once('SIGINT', int);
  });
}

/** labctl serve: the runtime HTTP service over the applied state. */
export async function serveCommand(io: CliIO, flags: ServeFlags): Promise<number> {
  const port = parsePort(flags.port);
  const db = await openMigrated(io, 'serve');
  let runtime: Runtime;
  try {
    runtime = await startRuntime(io, db, port, flags.host);
  } catch (e) {
    await db.close();
    throw e;
  }
  const c = createColors(useColor(io, 'stderr'));
  const snap = runtime.live.current;
  io.stderr.write(`${c.green('labctl serve')} listening on http://${flags.host}:${runtime.port} — revision ${snap.revision}, ${snap.running.length} running experiment(s), ${db.engine}\n`);
  const sig = await untilSignal();
  io.stderr.write(`labctl serve: ${sig}, draining…\n`);
  await runtime.stop();
  await db.close();
  return EXIT.ok;
}
