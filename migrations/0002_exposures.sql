-- First exposure of a unit to an experiment phase: one row per (experiment, phase, unit), whatever
-- the number of replicas or retries.
CREATE TABLE labctl.exposures (
  experiment       text        NOT NULL,
  phase            integer     NOT NULL,
  unit             text        NOT NULL,
  variant          text        NOT NULL,
  revision         text        NOT NULL,
  first_exposed_at timestamptz NOT NULL,
  PRIMARY KEY (experiment, phase, unit)
);
CREATE INDEX exposures_by_variant ON labctl.exposures (experiment, phase, variant);
