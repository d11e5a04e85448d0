-- Core state of labctl: one row per managed resource, typed tables per kind, and the apply audit trail.
CREATE SCHEMA IF NOT EXISTS labctl;

-- Every managed resource, whatever its kind: what was applied, when, from which commit.
CREATE TABLE labctl.resources (
  kind         text        NOT NULL,
  name         text        NOT NULL,
  spec_hash    text        NOT NULL,
  generation   integer     NOT NULL DEFAULT 1,
  git_sha      text        NOT NULL,
  source_file  text,
  applied_at   timestamptz NOT NULL,
  archived_at  timestamptz,
  PRIMARY KEY (kind, name)
);

CREATE TABLE labctl.experiments (
  name              text PRIMARY KEY,
  description       text,
  owner             text,
  labels            jsonb,
  status            text NOT NULL CHECK (status IN ('draft', 'running', 'paused', 'stopped')),
  unit              text NOT NULL,
  seed              text NOT NULL,
  coverage          double precision NOT NULL CHECK (coverage >= 0 AND coverage <= 1),
  phase             integer NOT NULL DEFAULT 1,
  layer_name        text,
  layer_start       double precision,
  layer_end         double precision,
  schedule_start    timestamptz,
  schedule_end      timestamptz,
  targeting         jsonb,
  overrides         jsonb,
  primary_metrics   text[],
  guardrail_metrics text[],
  secondary_metrics text[]
);

CREATE TABLE labctl.experiment_variants (
  experiment  text NOT NULL REFERENCES labctl.experiments(name) ON DELETE CASCADE,
  position    integer NOT NULL,
  key         text NOT NULL,
  weight      double precision NOT NULL CHECK (weight > 0),
  value       jsonb,
  description text,
  PRIMARY KEY (experiment, key)
);

CREATE TABLE labctl.layers (
  name        text PRIMARY KEY,
  description text,
  owner       text,
  labels      jsonb,
  unit        text
);

CREATE TABLE labctl.holdouts (
  name        text PRIMARY KEY,
  description text,
  owner       text,
  labels      jsonb,
  share       double precision NOT NULL CHECK (share >= 0 AND share <= 1),
  experiments text[]
);

CREATE TABLE labctl.metrics (
  name        text PRIMARY KEY,
  description text,
  owner       text,
  labels      jsonb,
  type        text NOT NULL,
  event       text NOT NULL,
  property    text,
  direction   text NOT NULL,
  conversion_window text
);

-- One row per apply attempt: who, which commit, the plan, and how it ended.
CREATE TABLE labctl.runs (
  id          bigserial PRIMARY KEY,
  started_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  actor       text NOT NULL,
  git_sha     text NOT NULL,
  revision    text,
  outcome     text NOT NULL CHECK (outcome IN ('applied', 'no-op', 'failed', 'refused', 'stale')),
  added       integer NOT NULL DEFAULT 0,
  changed     integer NOT NULL DEFAULT 0,
  archived    integer NOT NULL DEFAULT 0,
  error       text,
  plan        jsonb
);

-- The revision currently applied (a single row).
CREATE TABLE labctl.state (
  id         boolean PRIMARY KEY DEFAULT true CHECK (id),
  revision   text NOT NULL,
  git_sha    text NOT NULL,
  run_id     bigint,
  applied_at timestamptz NOT NULL
);
