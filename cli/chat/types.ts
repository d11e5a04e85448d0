import type { JsonObject } from '../../core/types.js';
import type { TurnAnswer, TurnHooks } from '../../runtime/flows/index.js';

/** Where `labctl chat` talks to a flow: a running serve, or a runtime in this process. */
export interface ChatBackend {
  readonly where: string;
  start(flow: string, input: { attributes?: JsonObject; experiment?: string; slots?: JsonObject }, hooks: TurnHooks): Promise<TurnAnswer>;
  message(session: string, text: string, hooks: TurnHooks): Promise<TurnAnswer>;
  close(): Promise<void>;
}

/** An error answer of the runtime, shown as it came. */
export class RuntimeAnswerError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}
