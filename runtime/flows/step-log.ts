import type { Queryable } from '../../core/db.js';
import type { Json } from '../../core/types.js';

/**
 * One row of the step log (labctl.flow_steps): a step the engine ran, a model or tool call the
 * runtime made for it, a user message, or a turn that failed. `seq` numbers a session's rows from
 * 0; it is assigned inside the session's own compare-and-set write, so a retried flush can never
 * write a row twice (the primary key drops the repeat).
 */
export interface StepLogRow {
  seq: number;
  flow: string;
  flowVersion: string;
  turn: number;
  step: string;
  /** The step's action (collect, say, llm …), or `start`, `user`, `llm_call`, `tool_call`, `load_flow`, `turn_failed`. */
  type: string;
  attempt: number;
  input?: Json;
  output?: Json;
  provider?: string;
  model?: string;
  request?: Json;
  response?: Json;
  inputTokens?: number;
  outputTokens?: number;
  latencyMs?: number;
  error?: Json;
  /** Epoch milliseconds. */
  at: number;
}

/** Where step-log rows go: the database, or this process for `labctl chat --dir`. */
export interface StepLogStore {
  append(session: string, rows: readonly StepLogRow[]): Promise<void>;
  read(session: string): Promise<StepLogRow[]>;
}

/** Rows kept in this process (an offline chat has no database). */
export class MemoryStepLog implements StepLogStore {
  private readonly rows = new Map<string, Map<number, StepLogRow>>();

  async append(session: string, rows: readonly StepLogRow[]): Promise<void> {
    let m = this.rows.get(session);
    if (!m) this.rows.set(session, (m = new Map()));
    for (const r of rows) if (!m.has(r.seq)) m.set(r.seq, r);
  }

  async read(session: string): Promise<StepLogRow[]> {
    return [...(this.rows.get(session)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
  }
}

/** The step log in PostgreSQL (or the embedded database). */
export class StepLog implements StepLogStore {
  constructor(private readonly db: Queryable) {}

  /** Append rows; rows already there (same session and seq) are left as they are. */
  async append(session: string, rows: readonly StepLogRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.query(
      `INSERT INTO labctl.flow_steps (session, seq, flow, flow_version, turn, step, type, attempt, input, output, provider, model, request, response,
                                      input_tokens, output_tokens, latency_ms, error, at)
       SELECT $1, seq, flow, "flowVersion", turn, step, type, attempt, input, output, provider, model, request, response,
              "inputTokens", "outputTokens", "latencyMs", error, to_timestamp(at / 1000.0)
         FROM jsonb_to_recordset($2::jsonb) AS t(seq integer, flow text, "flowVersion" text, turn integer, step text, type text, attempt integer,
              input jsonb, output jsonb, provider text, model text, request jsonb, response jsonb, "inputTokens" integer, "outputTokens" integer,
              "latencyMs" double precision, error jsonb, at double precision)
       ON CONFLICT (session, seq) DO NOTHING`,
      [session, JSON.stringify(rows)],
    );
  }

  /** Every row of a session, in order. */
  async read(session: string): Promise<StepLogRow[]> {
    const rows = await this.db.query<Record<string, unknown>>(
      `SELECT seq, flow, flow_version, turn, step, type, attempt, input, output, provider, model, request, response, input_tokens, output_tokens, latency_ms, error,
              (extract(epoch FROM at) * 1000)::float8 AS at
         FROM labctl.flow_steps WHERE session = $1 ORDER BY seq`,
      [session],
    );
    return rows.map((r) => {
      const row: StepLogRow = { seq: r.seq as number, flow: r.flow as string, flowVersion: r.flow_version as string, turn: r.turn as number, step: r.step as string, type: r.type as string, attempt: r.attempt as number, at: Math.round(Number(r.at)) };
      for (const [col, key] of FIELDS) if (r[col] !== null && r[col] !== undefined) (row as unknown as Record<string, unknown>)[key] = col.endsWith('tokens') || col === 'latency_ms' ? Number(r[col]) : r[col];
      return row;
    });
  }
}

const FIELDS: ReadonlyArray<readonly [string, string]> = [
  ['input', 'input'],
  ['output', 'output'],
  ['provider', 'provider'],
  ['model', 'model'],
  ['request', 'request'],
  ['response', 'response'],
  ['input_tokens', 'inputTokens'],
  ['output_tokens', 'outputTokens'],
  ['latency_ms', 'latencyMs'],
  ['error', 'error'],
];
