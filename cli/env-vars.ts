// The environment variables labctl reads, and which commands read them: the source of each
// command's "Environment:" help and of the table in docs/cli.md (a test keeps the code, this list
// and that table in step).

export interface EnvVar {
  name: string;
  /** Commands that read it (as typed: `models history`, `events import`); '*' for every command. */
  commands: readonly string[] | '*';
  summary: string;
}

const DB = ['plan', 'apply', 'migrate', 'status', 'report', 'events import', 'models history', 'serve', 'watch', 'up'];
const MLFLOW = ['plan', 'apply', 'watch', 'up'];
const RUNTIME = ['serve', 'up'];
// Flows talk to models from serve and from an in-process chat.
const LLM = ['serve', 'up', 'chat'];

export const ENV_VARS: readonly EnvVar[] = [
  { name: 'DATABASE_URL', commands: DB, summary: 'PostgreSQL URL of the state store (unset: the embedded database in ./.labctl/db)' },
  { name: 'LABCTL_EVENT_RETENTION', commands: DB, summary: 'drop event partitions older than this duration (e.g. 400d; unset: keep events)' },
  { name: 'LABCTL_ACTOR', commands: ['apply', 'watch', 'up'], summary: 'who applies, recorded in the audit trail (default: the CI user, then git user.name)' },
  { name: 'LABCTL_RESULTS_DATABASE_URL', commands: ['plan', 'report', 'status', 'serve', 'up'], summary: 'a read replica of DATABASE_URL that runs the results aggregate' },
  { name: 'LABCTL_ADMIN_TOKEN', commands: ['serve', 'watch', 'up'], summary: 'enables POST /v1/reconcile (the git webhook) with this bearer token' },
  { name: 'LABCTL_INGEST_TOKEN', commands: RUNTIME, summary: 'POST /v1/events requires Authorization: Bearer <token>' },
  { name: 'LABCTL_RESULTS_MAX_AGE', commands: RUNTIME, summary: 'how long GET /v1/experiments/{name}/results reuses a result (default 60s)' },
  { name: 'REDIS_URL', commands: RUNTIME, summary: 'Redis for flow sessions (unset: sessions in the state database)' },
  { name: 'LABCTL_FIXTURES_DIR', commands: LLM, summary: 'the directory whose fixtures/ answers the scripted LLM provider (default: the working directory)' },
  { name: 'ANTHROPIC_API_KEY', commands: LLM, summary: 'API key of prompts with model.provider anthropic' },
  { name: 'ANTHROPIC_BASE_URL', commands: LLM, summary: 'another Anthropic-compatible endpoint (a proxy, a gateway)' },
  { name: 'OPENAI_API_KEY', commands: LLM, summary: 'API key of prompts with model.provider openai (optional with OPENAI_BASE_URL)' },
  { name: 'OPENAI_BASE_URL', commands: LLM, summary: 'an OpenAI-compatible server: vLLM, Ollama, llama.cpp, a gateway' },
  { name: 'LABCTL_CACHE_DIR', commands: ['watch'], summary: 'where watch --git keeps its clones (default ~/.cache/labctl/git)' },
  { name: 'XDG_CACHE_HOME', commands: ['watch'], summary: 'the cache root LABCTL_CACHE_DIR defaults under' },
  { name: 'MLFLOW_TRACKING_URI', commands: MLFLOW, summary: 'the MLflow tracking server for models, promotions and the prompt mirror (unset: skipped)' },
  { name: 'MLFLOW_TRACKING_TOKEN', commands: MLFLOW, summary: 'bearer token for MLflow' },
  { name: 'MLFLOW_TRACKING_USERNAME', commands: MLFLOW, summary: 'basic-auth user for MLflow (with MLFLOW_TRACKING_PASSWORD)' },
  { name: 'MLFLOW_TRACKING_PASSWORD', commands: MLFLOW, summary: 'basic-auth password for MLflow' },
  { name: 'MLFLOW_HTTP_REQUEST_TIMEOUT', commands: MLFLOW, summary: 'seconds per MLflow request attempt (default 30)' },
  { name: 'MLFLOW_HTTP_REQUEST_MAX_RETRIES', commands: MLFLOW, summary: 'retries of a failed MLflow request (default 3)' },
  { name: 'NO_COLOR', commands: '*', summary: 'any value turns colours off' },
  { name: 'FORCE_COLOR', commands: '*', summary: 'any value but 0 turns colours on when not a terminal' },
  { name: 'LABCTL_DEBUG', commands: '*', summary: 'print the stack trace of an internal error' },
];

/** The variables a command reads (every variable for the top-level help). */
export function envVarsFor(command?: string): EnvVar[] {
  if (command === undefined) return [...ENV_VARS];
  return ENV_VARS.filter((v) => v.commands === '*' || v.commands.includes(command));
}

/** An "Environment:" block for --help. */
export function envHelp(command?: string): string {
  const vars = envVarsFor(command);
  const width = Math.max(...vars.map((v) => v.name.length));
  const intro = command === undefined ? 'Environment (each command\'s --help lists the ones it reads; docs/cli.md#environment-variables):' : 'Environment:';
  return `\n${intro}\n${vars.map((v) => `  ${v.name.padEnd(width)}  ${v.summary}`).join('\n')}\n`;
}
