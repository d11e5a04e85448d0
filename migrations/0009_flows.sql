-- Flows: one row per flow (its current version) and every version ever applied, addressed by the
-- SHA-256 of its content (slots, session, steps) and never changed, so a session pinned to a
-- version can always load it.
CREATE TABLE labctl.flows (
  name            text PRIMARY KEY,
  description     text,
  owner           text,
  labels          jsonb,
  current_version text NOT NULL
);

CREATE TABLE labctl.flow_versions (
  name       text NOT NULL,
  version    text NOT NULL,
  slots      jsonb NOT NULL,
  session    jsonb NOT NULL,
  steps      jsonb NOT NULL,
  git_sha    text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, version)
);
