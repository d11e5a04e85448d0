-- Events sent to POST /v1/events or imported (docs/event-ingestion-service.md). Partitioned by
-- month on ts so retention drops whole partitions instead of deleting rows. There is no default
-- partition: creating a partition next to a non-empty default fails, so months are created ahead
-- (labctl migrate) and on demand by the store for a backfill.
CREATE TABLE labctl.events (
  id          text             NOT NULL,
  event       text             NOT NULL,
  ts          timestamptz      NOT NULL,
  attributes  jsonb            NOT NULL,
  value       double precision,
  properties  jsonb,
  received_at timestamptz      NOT NULL DEFAULT now()
) PARTITION BY RANGE (ts);

-- Partitioned: every partition gets it, including those created later.
CREATE INDEX events_by_event_ts ON labctl.events (event, ts);

-- A unique key on a partitioned table must include ts, so ids are deduplicated here instead: once
-- stored, an id is a duplicate forever, whatever its timestamp and after its partition is dropped.
CREATE TABLE labctl.event_ids (
  id text        PRIMARY KEY,
  ts timestamptz NOT NULL
);

-- Create the monthly partitions labctl.events_YYYYMM (UTC months) covering [from_ts, to_ts] that
-- do not exist yet; returns how many it created. Serialised by an advisory lock (class "lb", id 6)
-- so replicas and importers creating the same month at once do not collide.
CREATE FUNCTION labctl.ensure_event_partitions(from_ts timestamptz, to_ts timestamptz) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  -- Month arithmetic on timestamp without time zone in UTC: independent of the session TimeZone.
  m       timestamp := date_trunc('month', from_ts AT TIME ZONE 'UTC');
  last    timestamp := date_trunc('month', to_ts AT TIME ZONE 'UTC');
  part    text;
  created integer := 0;
BEGIN
  IF from_ts IS NULL OR to_ts IS NULL OR to_ts < from_ts THEN
    RETURN 0;
  END IF;
  WHILE m <= last LOOP
    part := 'events_' || to_char(m, 'YYYYMM');
    IF to_regclass('labctl.' || part) IS NULL THEN
      PERFORM pg_advisory_xact_lock(27746, 6);
      -- Checked again under the lock, through a fresh snapshot of pg_class (to_regclass may still
      -- answer from this session's catalog cache): another session may have created it meanwhile.
      -- IF NOT EXISTS and the handler are the last line of defence.
      PERFORM 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'labctl' AND c.relname = part;
      IF NOT FOUND THEN
        BEGIN
          EXECUTE format('CREATE TABLE IF NOT EXISTS labctl.%I PARTITION OF labctl.events FOR VALUES FROM (%L) TO (%L)',
                         part, to_char(m, 'YYYY-MM-DD') || ' 00:00:00+00', to_char(m + interval '1 month', 'YYYY-MM-DD') || ' 00:00:00+00');
          created := created + 1;
        EXCEPTION WHEN duplicate_table OR unique_violation THEN
          NULL;
        END;
      END IF;
    END IF;
    m := m + interval '1 month';
  END LOOP;
  RETURN created;
END
$$;

-- Drop the monthly partitions that end at or before cutoff (retention); returns their names. The
-- ids stay in labctl.event_ids, so an expired event sent again is still a duplicate.
CREATE FUNCTION labctl.drop_event_partitions(cutoff timestamptz) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
  part text;
BEGIN
  PERFORM pg_advisory_xact_lock(27746, 6);
  FOR part IN
    SELECT c.relname::text
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE i.inhparent = 'labctl.events'::regclass
       AND n.nspname = 'labctl'
       AND c.relname ~ '^events_[0-9]{6}$'
       AND ((to_date(substr(c.relname, 8), 'YYYYMM') + interval '1 month')::timestamp AT TIME ZONE 'UTC') <= cutoff
     ORDER BY c.relname
  LOOP
    EXECUTE format('DROP TABLE labctl.%I', part);
    RETURN NEXT part;
  END LOOP;
END
$$;
