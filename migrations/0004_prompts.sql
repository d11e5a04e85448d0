-- Prompts: one row per prompt (its current version) and every version ever applied, addressed by
-- the SHA-256 of its content and never changed.
CREATE TABLE labctl.prompts (
  name            text PRIMARY KEY,
  description     text,
  owner           text,
  labels          jsonb,
  tags            text[],
  current_version text NOT NULL,
  mlflow          jsonb
);

CREATE TABLE labctl.prompt_versions (
  name       text NOT NULL,
  version    text NOT NULL,
  type       text NOT NULL CHECK (type IN ('text', 'chat')),
  template   text,
  messages   jsonb,
  variables  jsonb NOT NULL,
  model      jsonb,
  git_sha    text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, version)
);
