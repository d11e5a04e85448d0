-- Models and promotion policies (MLflow registered models managed by labctl), the journal of MLflow
-- steps an apply runs after its commit, the promotion trail, and the alias → version map the runtime
-- resolves `model: NAME@ALIAS` references from.

CREATE TABLE labctl.models (
  name        text PRIMARY KEY,
  -- The registered model's name in MLflow (defaults to name).
  mlflow_name text NOT NULL,
  description text,
  owner       text,
  labels      jsonb,
  -- Tags labctl sets on the registered model (other tags are left alone).
  tags        jsonb NOT NULL DEFAULT '{}',
  -- alias → {"version": "3"} (pinned) or {"policy": "name"} (moved by a promotion policy).
  aliases     jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE labctl.promotion_policies (
  name         text PRIMARY KEY,
  description  text,
  owner        text,
  labels       jsonb,
  model        text NOT NULL,
  -- {"alias": "challenger"} or {"newest": {"tags": {...}}}
  candidate    jsonb NOT NULL,
  target_alias text NOT NULL,
  gates        jsonb NOT NULL,
  on_drift     text NOT NULL CHECK (on_drift IN ('report', 'restore'))
);

-- MLflow has no transactions: an apply writes its MLflow steps here in its own transaction, runs them
-- after the commit and marks each one done. Steps left pending (a crash, MLflow down) are completed
-- by the next apply or by `labctl apply --resume`; every step is idempotent.
CREATE TABLE labctl.mlflow_journal (
  id         bigserial PRIMARY KEY,
  run_id     bigint NOT NULL REFERENCES labctl.runs (id),
  seq        integer NOT NULL,
  model      text NOT NULL,
  step       jsonb NOT NULL,
  status     text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
  attempts   integer NOT NULL DEFAULT 0,
  error      text,
  created_at timestamptz NOT NULL DEFAULT now(),
  done_at    timestamptz,
  UNIQUE (run_id, seq)
);
CREATE INDEX mlflow_journal_open ON labctl.mlflow_journal (id) WHERE status <> 'done';

-- Every alias move labctl makes: promotions by a policy, pinned aliases set or restored.
CREATE TABLE labctl.promotions (
  id           bigserial PRIMARY KEY,
  model        text NOT NULL,
  mlflow_name  text NOT NULL,
  alias        text NOT NULL,
  from_version text,
  to_version   text NOT NULL,
  policy       text,
  reason       text NOT NULL CHECK (reason IN ('promotion', 'pin', 'restore')),
  gates        jsonb NOT NULL DEFAULT '[]',
  git_sha      text NOT NULL,
  actor        text NOT NULL,
  run_id       bigint NOT NULL REFERENCES labctl.runs (id),
  journal_id   bigint REFERENCES labctl.mlflow_journal (id),
  status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
  planned_at   timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz
);
CREATE INDEX promotions_by_model ON labctl.promotions (model, id DESC);

-- What the aliases of managed models point at, as last read from or written to MLflow.
CREATE TABLE labctl.model_aliases (
  model      text NOT NULL,
  alias      text NOT NULL,
  version    text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model, alias)
);
