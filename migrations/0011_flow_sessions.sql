-- Flow sessions when REDIS_URL is unset (with Redis they live there), and the step log: one row
-- per step a session ran, with what went in and out, the provider's request and response, tokens
-- and latency, so a conversation can be shown, costed and replayed without calling a model again.
CREATE TABLE labctl.flow_sessions (
  id         text PRIMARY KEY,
  flow       text NOT NULL,
  version    bigint NOT NULL,
  state      jsonb NOT NULL,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX flow_sessions_expires_at ON labctl.flow_sessions (expires_at);

CREATE TABLE labctl.flow_steps (
  session       text NOT NULL,
  seq           integer NOT NULL,
  flow          text NOT NULL,
  flow_version  text NOT NULL,
  turn          integer NOT NULL,
  step          text NOT NULL,
  type          text NOT NULL,
  attempt       integer NOT NULL DEFAULT 1,
  input         jsonb,
  output        jsonb,
  provider      text,
  model         text,
  request       jsonb,
  response      jsonb,
  input_tokens  integer,
  output_tokens integer,
  latency_ms    double precision,
  error         jsonb,
  at            timestamptz NOT NULL,
  PRIMARY KEY (session, seq)
);
CREATE INDEX flow_steps_flow_at ON labctl.flow_steps (flow, at);
