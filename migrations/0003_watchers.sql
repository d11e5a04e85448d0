-- Watchers (labctl watch / labctl up) report their state here so labctl status and GET /v1/status
-- can show it from any process.
CREATE TABLE labctl.watchers (
  id                      text PRIMARY KEY,
  host                    text        NOT NULL,
  pid                     integer     NOT NULL,
  source                  text        NOT NULL,
  leader                  boolean     NOT NULL DEFAULT false,
  state                   text        NOT NULL CHECK (state IN ('Ready', 'Reconciling', 'Stalled', 'Standby')),
  last_applied_revision   text,
  last_attempted_revision text,
  last_error              text,
  last_error_at           timestamptz,
  started_at              timestamptz NOT NULL DEFAULT now(),
  heartbeat_at            timestamptz NOT NULL DEFAULT now()
);
