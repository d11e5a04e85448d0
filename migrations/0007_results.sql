-- Results: how each experiment is analysed and decided, the richer metric definitions, and the
-- latest computed result per experiment phase (read by status, the results pages and BI tools).
ALTER TABLE labctl.experiments
  ADD COLUMN analysis jsonb,
  ADD COLUMN decision jsonb;

ALTER TABLE labctl.metrics
  ADD COLUMN numerator      text,
  ADD COLUMN denominator    text,
  ADD COLUMN cap_value      double precision,
  ADD COLUMN cap_percentile double precision;

ALTER TABLE labctl.metrics ALTER COLUMN event DROP NOT NULL;

CREATE TABLE labctl.results (
  experiment  text        NOT NULL,
  phase       integer     NOT NULL,
  computed_at timestamptz NOT NULL,
  units       bigint      NOT NULL,
  srm_p_value double precision,
  decision    text        NOT NULL,
  variant     text,
  result      jsonb       NOT NULL,
  PRIMARY KEY (experiment, phase)
);
