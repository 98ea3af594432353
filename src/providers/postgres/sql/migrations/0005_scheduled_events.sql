-- Delayed events. A delayed event is not in the log until it is due: it
-- waits here, and the scheduler (one process at a time, under the
-- 'scheduler' lease) appends it with append_events when its time comes and
-- removes it in the same transaction. So it gets its position and version
-- when it is delivered, and per-stream order among delivered events is log
-- order, with every guarantee of the log intact.
CREATE TABLE :"schema".scheduled_events (
  id           uuid        PRIMARY KEY,
  -- Schedule order: breaks ties between events due at the same time.
  seq          bigserial   NOT NULL,
  stream       text        COLLATE "C" NOT NULL,
  subject      text        COLLATE "C" NOT NULL,
  data         json        NOT NULL,
  metadata     json,
  deliver_at   timestamptz NOT NULL,
  scheduled_at timestamptz NOT NULL DEFAULT statement_timestamp()
);

-- Delivery order, and the next due time (its first entry).
CREATE UNIQUE INDEX scheduled_events_due ON :"schema".scheduled_events (deliver_at, seq);
-- Listing one stream's waiting events.
CREATE INDEX scheduled_events_stream ON :"schema".scheduled_events (stream, deliver_at, seq);

-- Keeps a batch from the schedule whole: refuses an id the log already
-- holds, with the error a duplicate id in the log gives (constraint events_id).
CREATE FUNCTION :"schema".event_id_taken(p_id uuid)
RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'an event with id % already exists', p_id
    USING ERRCODE = '23505', CONSTRAINT = 'events_id';
END $$;

-- Delivers up to p_limit due events: appends them with append_events in
-- delivery order (deliver_at, then seq) and removes them from the schedule,
-- in the caller's transaction, if the caller still holds lease p_lease in
-- term p_term (else SQLSTATE MR403). Nothing here takes a transaction id
-- before append_events does (it must, after its locks: see there), so the
-- due rows are read without locking and their removal is checked instead:
-- a row cancelled meanwhile fails the delivery with a serialization error
-- (40001), retried in a new transaction. An event whose id the log already
-- holds (published at once with the same id after it was scheduled) is
-- removed without being appended. Returns one row: how many left the
-- schedule, and the appended events' streams and stream hashes in log order.
CREATE FUNCTION :"schema".deliver_scheduled(p_limit integer, p_lease text, p_holder text, p_term bigint)
RETURNS TABLE (taken integer, streams text[], stream_hashes integer[])
LANGUAGE plpgsql AS $$
DECLARE
  v_ids uuid[];
  v_streams text[];
  v_events json;
  v_removed integer;
BEGIN
  WITH due AS (
    SELECT s.id, s.seq, s.stream, s.subject, s.data, s.metadata, s.deliver_at,
           EXISTS (SELECT 1 FROM :"schema".events e WHERE e.id = s.id) AS logged
    FROM :"schema".scheduled_events s
    WHERE s.deliver_at <= clock_timestamp()
    ORDER BY s.deliver_at, s.seq
    LIMIT p_limit
  )
  SELECT array_agg(d.id),
         array_agg(d.stream ORDER BY d.deliver_at, d.seq) FILTER (WHERE NOT d.logged),
         json_agg(json_build_object('t', d.subject, 'd', d.data, 'm', d.metadata, 'i', d.id, 'e', NULL)
                  ORDER BY d.deliver_at, d.seq) FILTER (WHERE NOT d.logged)
  INTO v_ids, v_streams, v_events
  FROM due d;
  IF v_ids IS NULL THEN
    RETURN;
  END IF;
  IF v_streams IS NOT NULL THEN
    SELECT a.stream_hashes INTO stream_hashes FROM :"schema".append_events(v_streams, v_events) a;
  END IF;
  DELETE FROM :"schema".scheduled_events s WHERE s.id = ANY (v_ids);
  GET DIAGNOSTICS v_removed = ROW_COUNT;
  IF v_removed <> cardinality(v_ids) THEN
    RAISE EXCEPTION 'a due event was cancelled during its delivery; retry' USING ERRCODE = '40001';
  END IF;
  -- Checked last, holding the lease row to commit: a new scheduler cannot
  -- take over in the middle of this delivery, and an old one cannot finish one.
  PERFORM 1 FROM :"schema".leases l
  WHERE l.name = p_lease AND l.holder = p_holder AND l.term = p_term AND l.expires_at > now()
  FOR SHARE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'lease % is no longer held by %', p_lease, p_holder USING ERRCODE = 'MR403';
  END IF;
  taken := v_removed;
  streams := v_streams;
  RETURN NEXT;
END $$;
