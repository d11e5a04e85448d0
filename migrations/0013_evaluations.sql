-- Offline evaluation: the applied Evaluation specs, every run of one, and each row's result.
-- A run records exactly what it scored (the target's version, the SHA-256 of the dataset's bytes
-- and of the asserts), so a promotion gate can ask for a passing run of that very combination and
-- a re-run can reuse results of rows it has seen with the same target version and asserts.
CREATE TABLE labctl.evaluations (
  name           text PRIMARY KEY,
  description    text,
  owner          text,
  labels         jsonb,
  target_kind    text NOT NULL CHECK (target_kind IN ('prompt', 'flow', 'experiment', 'model')),
  target_name    text NOT NULL,
  -- A prompt or flow's pinned version prefix, or the model version scored (else its alias).
  target_version text,
  target_alias   text,
  target_server  text,
  target_output  jsonb,
  dataset        jsonb NOT NULL,
  asserts        jsonb NOT NULL,
  pass_rate      double precision NOT NULL CHECK (pass_rate >= 0 AND pass_rate <= 1)
);

-- The id is chosen by whoever starts the run (the CLI, or the job that a worker may resume after
-- a crash), so retried work writes into the same run instead of a second one.
CREATE TABLE labctl.evaluation_runs (
  id             text PRIMARY KEY,
  evaluation     text NOT NULL,
  -- What was scored: the prompt, flow or model (an experiment's run has one run per variant).
  target_kind    text NOT NULL CHECK (target_kind IN ('prompt', 'flow', 'model')),
  target_name    text NOT NULL,
  -- The content version of a prompt or flow, or the registered model version.
  target_version text NOT NULL,
  -- The experiment variant whose target this run scored, when the evaluation targets an experiment.
  variant        text,
  dataset_digest text,
  assert_digest  text NOT NULL,
  status         text NOT NULL CHECK (status IN ('queued', 'running', 'passed', 'failed', 'error')),
  started_at     timestamptz,
  finished_at    timestamptz,
  rows           integer,
  passed         integer,
  failed         integer,
  pass_rate      double precision,
  -- The pass rate the spec asked for, and dataset-level metrics (accuracy, auc, rmse) with their verdicts.
  threshold      double precision NOT NULL,
  metrics        jsonb,
  error          jsonb,
  git_sha        text,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX evaluation_runs_evaluation ON labctl.evaluation_runs (evaluation, created_at DESC);
-- What a gate looks up: a run of this target version on this dataset with these asserts.
CREATE INDEX evaluation_runs_scored ON labctl.evaluation_runs (target_kind, target_name, target_version, dataset_digest, assert_digest);

CREATE TABLE labctl.evaluation_results (
  run_id     text NOT NULL REFERENCES labctl.evaluation_runs(id) ON DELETE CASCADE,
  row_index  integer NOT NULL,
  -- SHA-256 of the row's canonical JSON: the cache key, with the run's target version and assert digest.
  row_key    text NOT NULL,
  output     jsonb,
  passed     boolean NOT NULL,
  -- Each assert's verdict: [{ type, pass, score, reason, error? }].
  asserts    jsonb NOT NULL DEFAULT '[]',
  latency_ms double precision,
  cost_usd   double precision,
  error      jsonb,
  PRIMARY KEY (run_id, row_index)
);
CREATE INDEX evaluation_results_row_key ON labctl.evaluation_results (row_key);
