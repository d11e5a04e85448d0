// The MLflow calls only the benchmark needs (a training job's experiment, runs and metrics, and the
// naive per-version read of the baseline), made through labctl's client transport (same retries and
// limiter as the product's calls), so labctl's shipped client stays what labctl itself uses.
const { modelVersionFromWire } = await import('../dist/adapters/mlflow/types.js');

/** Create an experiment; returns its id. */
export async function createExperiment(client, name) {
  const r = await client.request('POST', 'experiments/create', { body: { name }, idempotent: true });
  return String(r.experiment_id);
}

/** Start a run; returns its id. */
export async function createRun(client, { experimentId, runName }) {
  const r = await client.request('POST', 'runs/create', { body: { experiment_id: experimentId, start_time: Date.now(), run_name: runName }, idempotent: false });
  return r.run.info.run_id || r.run.info.run_uuid;
}

/** Log metric values (step 0, now) to a run in one request (the benchmark logs a handful). */
export async function logMetrics(client, runId, metrics) {
  const timestamp = Date.now();
  await client.request('POST', 'runs/log-batch', { body: { run_id: runId, metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, timestamp, step: 0 })) }, idempotent: true });
}

/** End a run as FINISHED. */
export async function finishRun(client, runId) {
  await client.request('POST', 'runs/update', { body: { run_id: runId, status: 'FINISHED', end_time: Date.now() }, idempotent: true });
}

/** One model version (the baseline's read per version). */
export async function getModelVersion(client, name, version) {
  const r = await client.request('GET', 'model-versions/get', { query: { name, version }, idempotent: true });
  return modelVersionFromWire(r.model_version);
}
