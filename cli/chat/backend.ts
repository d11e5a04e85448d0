import type { JsonObject } from '../../core/types.js';
import { HttpError } from '../../core/http.js';
import { llmProviders } from '../../adapters/llm/index.js';
import { loadFixtures } from '../../adapters/files/fixtures.js';
import { MemorySessionStore } from '../../adapters/sessions/index.js';
import type { Snapshot } from '../../engine/assignment/snapshot.js';
import { FlowRuntime, MemoryStepLog, type TurnAnswer, type TurnHooks } from '../../runtime/flows/index.js';
import { RuntimeAnswerError, type ChatBackend } from './types.js';

/** The flow runtime in this process over the specs of a directory: sessions and the step log in memory. */
export class InProcessChatBackend implements ChatBackend {
  readonly where: string;
  private readonly runtime: FlowRuntime;

  constructor(snapshot: Snapshot, dir: string, env: NodeJS.ProcessEnv, shown: string) {
    this.where = `in-process from ${shown}`;
    const source = { current: snapshot, health: () => ({ status: 'ready' as const, revision: snapshot.revision, ageSeconds: 0, lastError: null, reloads: 0 }) };
    const providers = llmProviders(env, { fixtures: loadFixtures(env.LABCTL_FIXTURES_DIR || dir) });
    this.runtime = new FlowRuntime({ source, store: new MemorySessionStore(), log: new MemoryStepLog(), providers });
  }

  start(flow: string, input: { attributes?: JsonObject; experiment?: string; slots?: JsonObject }, hooks: TurnHooks): Promise<TurnAnswer> {
    return asAnswerError(this.runtime.start(flow, input, hooks));
  }

  message(session: string, text: string, hooks: TurnHooks): Promise<TurnAnswer> {
    return asAnswerError(this.runtime.message(session, text, hooks));
  }

  async close(): Promise<void> {}
}

/** The runtime's HTTP errors, as the HTTP backend reports them, so the chat shows both alike. */
async function asAnswerError<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof HttpError) throw new RuntimeAnswerError(e.status, e.code, e.message);
    throw e;
  }
}
