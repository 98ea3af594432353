-- The event log.
--
-- Positions follow commit safety, not insert time: position = (top-level
-- transaction id << 20) + index of the event within its transaction. A reader
-- only reads positions below (oldest running transaction id << 20), so an
-- event can never become visible below a position a reader has passed, even
-- when publishers' transactions commit out of order. Up to 2^20 events fit
-- in one transaction; xid8 keeps growing past wrap-around, and 2^43
-- transactions is decades of writes at 10,000 transactions per second.
CREATE TABLE :"schema".events (
  position    bigint      PRIMARY KEY,
  id          uuid        NOT NULL,
  stream      text        COLLATE "C" NOT NULL,
  category    text        COLLATE "C" GENERATED ALWAYS AS (split_part(stream, '-', 1)) STORED,
  -- Partition of a consumer with P partitions: stream_hash % P.
  stream_hash integer     GENERATED ALWAYS AS (hashtext(stream) & 2147483647) STORED,
  version     integer     NOT NULL,
  subject     text        COLLATE "C" NOT NULL,
  data        json        NOT NULL,
  metadata    json,
  time        timestamptz NOT NULL DEFAULT statement_timestamp()
);

CREATE UNIQUE INDEX events_id ON :"schema".events (id);

-- Positions are built on transaction ids, which a dump restored into another
-- cluster starts again from near zero: new events would sort before old ones
-- and readers would never see them. Positions therefore use the transaction
-- id plus an offset, raised on open whenever the log is ahead of the
-- cluster's counter (keep_positions_ahead), so positions only ever grow.
CREATE TABLE :"schema".log_clock (
  one        boolean PRIMARY KEY DEFAULT true CHECK (one),
  xid_offset bigint  NOT NULL DEFAULT 0
);
INSERT INTO :"schema".log_clock DEFAULT VALUES;

-- The log's clock: a transaction id in position space (before the << 20).
CREATE FUNCTION :"schema".log_xid(p_xid xid8) RETURNS bigint
LANGUAGE sql STABLE AS $$
  SELECT p_xid::text::bigint + c.xid_offset FROM :"schema".log_clock c
$$;

-- The horizon: readable positions lie below it (see the header).
CREATE FUNCTION :"schema".log_horizon() RETURNS bigint
LANGUAGE sql STABLE AS $$
  SELECT :"schema".log_xid(pg_snapshot_xmin(pg_current_snapshot())) << 20
$$;

-- Raises the offset if the newest position is not below this transaction's
-- own, as after a restore into a cluster whose counter started again.
-- Returns the offset in force. A raise first takes every lock group
-- exclusively (see lock_streams), so appends in flight finish under the old
-- offset and later ones start under the new one: a reader's horizon never
-- passes an event still being written.
CREATE FUNCTION :"schema".keep_positions_ahead() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_group integer;
  v_newest bigint;
  v_now bigint;
BEGIN
  FOR v_attempt IN 1..2 LOOP
    v_newest := (SELECT max(e.position) FROM :"schema".events e) >> 20;
    v_now := :"schema".log_xid(pg_current_xact_id());
    EXIT WHEN v_newest IS NULL OR v_newest < v_now;
    IF v_attempt = 1 THEN
      FOR v_group IN 0..15 LOOP
        PERFORM pg_advisory_xact_lock(hashtext(:'schema'), 1000 + v_group);
      END LOOP;
    ELSE
      UPDATE :"schema".log_clock SET xid_offset = xid_offset + (v_newest - v_now) + 1;
    END IF;
  END LOOP;
  RETURN (SELECT c.xid_offset FROM :"schema".log_clock c);
END $$;

-- Version order and position order agree within a stream (append_events checks).
CREATE UNIQUE INDEX events_stream_version ON :"schema".events (stream, version);
CREATE INDEX events_category_position ON :"schema".events (category, position);

-- Raised for a failed expectedVersion or a lost race on a stream's head.
-- SQLSTATE MR409; DETAIL is JSON: {"stream", "expected", "actual"}.
CREATE FUNCTION :"schema".version_conflict(p_stream text, p_expected integer, p_actual integer)
RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'stream % is at version %, not the expected %', p_stream, p_actual, p_expected
    USING ERRCODE = 'MR409',
          DETAIL = json_build_object('stream', p_stream, 'expected', p_expected, 'actual', p_actual)::text;
END $$;

-- Raised when a stream's head was written by a transaction that began writing
-- after this one: appending now would put version order against position
-- order. Retrying in a new transaction succeeds. SQLSTATE MR40O.
CREATE FUNCTION :"schema".order_conflict(p_stream text)
RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'stream % was appended to by a later transaction; retry in a new transaction', p_stream
    USING ERRCODE = 'MR40O', DETAIL = json_build_object('stream', p_stream)::text;
END $$;

-- Takes the locks an append to these streams needs, held to commit.
-- Appends to a stream take turns, never fail each other. Each stream hashes
-- to one of 256 buckets, grouped by 16 into 16 groups. A call touching at
-- most 16 buckets holds their groups shared and the buckets exclusively; a
-- larger call holds its groups exclusively. Locks are taken groups first,
-- each level in ascending order, so a call holds at most 32 and calls cannot
-- deadlock.
CREATE FUNCTION :"schema".lock_streams(p_streams text[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_space integer := hashtext(:'schema');
  v_bucket integer;
  v_buckets integer[];
  v_key integer;
BEGIN
  IF cardinality(p_streams) = 1 THEN
    v_bucket := hashtext(p_streams[1]) & 255;
    PERFORM pg_advisory_xact_lock_shared(v_space, 1000 + (v_bucket >> 4)),
            pg_advisory_xact_lock(v_space, v_bucket);
    RETURN;
  END IF;
  v_buckets := ARRAY(SELECT DISTINCT hashtext(s) & 255 FROM unnest(p_streams) s ORDER BY 1);
  FOREACH v_key IN ARRAY ARRAY(SELECT DISTINCT 1000 + (b >> 4) FROM unnest(v_buckets) b ORDER BY 1) LOOP
    IF cardinality(v_buckets) <= 16 THEN
      PERFORM pg_advisory_xact_lock_shared(v_space, v_key);
    ELSE
      PERFORM pg_advisory_xact_lock(v_space, v_key);
    END IF;
  END LOOP;
  IF cardinality(v_buckets) <= 16 THEN
    FOREACH v_key IN ARRAY v_buckets LOOP
      PERFORM pg_advisory_xact_lock(v_space, v_key);
    END LOOP;
  END IF;
END $$;

-- Appends a batch atomically. p_streams holds each event's stream; p_events,
-- in the same order, a JSON array of objects {"t": subject, "d": data,
-- "m": metadata or null, "i": id, "e": expected version or null}, where the
-- expected version is the version the stream must be at before the event.
-- One JSON document is parsed once into typed rows (json_to_recordset), far
-- cheaper than an array literal per column; it reads JSON null data as SQL
-- NULL, which becomes JSON null again. Returns one row: the first
-- event's position (the others follow one by one, in input order), the time,
-- and each event's version and stream hash, in input order.
--
-- The transaction id is taken after lock_streams, and versions are computed
-- in a later statement (a fresh snapshot), so every earlier append to our
-- streams is committed, visible, and has a lower id: versions follow
-- positions. Only a caller's transaction that already had an id (outbox) can
-- still meet a head written later (order_conflict).
CREATE FUNCTION :"schema".append_events(p_streams text[], p_events json)
RETURNS TABLE (first_position bigint, appended_at timestamptz, versions integer[], stream_hashes integer[])
LANGUAGE plpgsql AS $$
DECLARE
  v_count integer := cardinality(p_streams);
  v_index integer := coalesce(nullif(current_setting('millrace.tx_event_index', true), ''), '0')::integer;
  v_base bigint;
BEGIN
  IF v_index + v_count > 1048576 THEN
    RAISE EXCEPTION 'a transaction may append at most 1048576 events' USING ERRCODE = 'MR413';
  END IF;
  PERFORM :"schema".lock_streams(p_streams);
  v_base := (:"schema".log_xid(pg_current_xact_id()) << 20) + v_index;
  PERFORM set_config('millrace.tx_event_index', (v_index + v_count)::text, true);

  -- One event, the commonest call: a statement simple enough to plan once.
  IF v_count = 1 THEN
    RETURN QUERY
    WITH inserted AS (
      INSERT INTO :"schema".events AS e (position, id, stream, version, subject, data, metadata)
      SELECT v_base, r.i, p_streams[1], coalesce(h.version, -1) + 1, r.t, coalesce(r.d, 'null'), r.m
      FROM json_to_recordset(p_events) AS r(t text, d json, m json, i uuid, e integer)
      LEFT JOIN LATERAL (
        SELECT x.version, x.position FROM :"schema".events x
        WHERE x.stream = p_streams[1] ORDER BY x.version DESC LIMIT 1
      ) h ON true
      WHERE (r.e IS NULL OR r.e = coalesce(h.version, -1)
             OR :"schema".version_conflict(p_streams[1], r.e, coalesce(h.version, -1)))
        AND (h.position IS NULL OR h.position < v_base OR :"schema".order_conflict(p_streams[1]))
      RETURNING e.position, e.version, e.time, e.stream_hash
    )
    SELECT i.position, i.time, ARRAY[i.version], ARRAY[i.stream_hash] FROM inserted i;
    RETURN;
  END IF;

  RETURN QUERY
  WITH input AS (
    SELECT x.ord, x.stream, x.subject, coalesce(x.data, 'null') AS data, x.metadata, x.id, x.expected
    FROM ROWS FROM (
      unnest(p_streams),
      json_to_recordset(p_events) AS (t text, d json, m json, i uuid, e integer)
    ) WITH ORDINALITY AS x(stream, subject, data, metadata, id, expected, ord)
  ), heads AS (
    SELECT s.stream, h.version, h.position
    FROM (SELECT DISTINCT i.stream FROM input i) s
    LEFT JOIN LATERAL (
      SELECT e.version, e.position FROM :"schema".events e
      WHERE e.stream = s.stream ORDER BY e.version DESC LIMIT 1
    ) h ON true
  ), numbered AS (
    SELECT i.*, h.position AS head_position,
           coalesce(h.version, -1)
             + row_number() OVER (PARTITION BY i.stream ORDER BY i.ord)::integer AS version
    FROM input i JOIN heads h USING (stream)
  ), inserted AS (
    INSERT INTO :"schema".events AS e (position, id, stream, version, subject, data, metadata)
    SELECT v_base + n.ord - 1, n.id, n.stream, n.version, n.subject, n.data, n.metadata
    FROM numbered n
    WHERE (n.expected IS NULL OR n.expected = n.version - 1
           OR :"schema".version_conflict(n.stream, n.expected, n.version - 1))
      AND (n.head_position IS NULL OR n.head_position < v_base
           OR :"schema".order_conflict(n.stream))
    RETURNING e.position, e.version, e.time, e.stream_hash
  )
  SELECT min(i.position), min(i.time),
         array_agg(i.version ORDER BY i.position), array_agg(i.stream_hash ORDER BY i.position)
  FROM inserted i;
END $$;

-- The position just before the first event at or after a time, found by
-- bisecting the position index: times rise with positions, give or take the
-- length of a transaction. Returns the position to read "after".
CREATE FUNCTION :"schema".position_before_time(p_time timestamptz)
RETURNS bigint LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_low bigint;   -- every event below v_low is older than p_time
  v_high bigint;  -- the first event at or above v_high is not older (or none exists)
  v_mid bigint;
  v_found bigint;
BEGIN
  SELECT min(e.position), max(e.position) + 1 INTO v_low, v_high FROM :"schema".events e;
  IF v_low IS NULL THEN RETURN 0; END IF;
  WHILE v_low < v_high LOOP
    v_mid := v_low + (v_high - v_low) / 2;
    SELECT e.position INTO v_found FROM :"schema".events e
    WHERE e.position >= v_mid ORDER BY e.position LIMIT 1;
    IF (SELECT e.time FROM :"schema".events e WHERE e.position = v_found) >= p_time THEN
      v_high := v_mid;
    ELSE
      v_low := v_found + 1;
    END IF;
  END LOOP;
  SELECT e.position INTO v_found FROM :"schema".events e
  WHERE e.position >= v_low ORDER BY e.position LIMIT 1;
  RETURN coalesce(v_found, v_low) - 1;
END $$;

-- How to scan a sequence, or one partition of it, in log order: a WHERE
-- clause and an ORDER BY for dynamic SQL whose parameters are $1 after
-- (bigint), $2 partition (integer), $3 sequence name (text) and $4, for a
-- stream, the version read "after". Callers disable sorts and bitmap scans,
-- so the planner must deliver the order from an index, whatever its
-- statistics say. Where the key columns are plain columns, the bounds are row
-- comparisons naming them all, so exactly one index has that order. A
-- partition's slot is an expression (stream_hash % P, spliced as a literal to
-- match its index), which row comparisons cannot use as an index bound; there
-- equality on the slot makes the partition index the most selective one with
-- the order, cheaper by a factor of P than any other.
CREATE FUNCTION :"schema".scan_clauses(p_sequence text, p_partitions integer, OUT where_sql text, OUT order_sql text)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  v_kind text := split_part(p_sequence, ':', 1);
  v_slot text := format('stream_hash %% %s = $2', p_partitions);
BEGIN
  IF p_partitions IS NULL OR p_partitions < 1 OR p_partitions > 1024 THEN
    RAISE EXCEPTION 'partition count % is out of range', p_partitions USING ERRCODE = '22023';
  END IF;
  IF v_kind = 'log' THEN
    order_sql := 'position';
    where_sql := CASE WHEN p_partitions = 1 THEN '' ELSE v_slot || ' AND ' END || 'position > $1';
  ELSIF v_kind = 'category' AND p_partitions = 1 THEN
    order_sql := 'category, position';
    where_sql := '(category, position) > ($3, $1) AND (category, position) <= ($3, 9223372036854775807)';
  ELSIF v_kind = 'category' THEN
    order_sql := 'position';
    where_sql := 'category = $3 AND ' || v_slot || ' AND position > $1';
  ELSIF v_kind = 'stream' THEN
    order_sql := 'stream, version';
    where_sql := '(stream, version) > ($3, $4) AND (stream, version) <= ($3, 2147483647)';
  ELSE
    RAISE EXCEPTION 'unknown sequence %', p_sequence USING ERRCODE = '22023';
  END IF;
END $$;

-- The version of a stream's last event at or before a position (-1: none),
-- found by walking the stream's index back from its head over unread events.
CREATE FUNCTION :"schema".stream_version_at(p_stream text, p_position bigint)
RETURNS integer LANGUAGE sql STABLE AS $$
  SELECT coalesce((SELECT e.version FROM :"schema".events e
                   WHERE e.stream = p_stream AND e.position <= p_position
                   ORDER BY e.version DESC LIMIT 1), -1)
$$;

-- Reads a sequence (p_sequence: 'log', 'category:<name>' or 'stream:<name>'),
-- or partition p_partition of p_partitions, after a position, in log order.
-- Returns up to p_limit events whose subject matches one of p_subjects
-- (regexes; empty matches all), each with `horizon`: events at or above it
-- are committed but not yet readable, because a transaction that began
-- writing earlier is still open. With no events, one row carries the horizon
-- alone. STABLE, so the horizon and the scan share one snapshot.
CREATE FUNCTION :"schema".read_events(
  p_sequence text, p_partitions integer, p_partition integer, p_after bigint, p_limit integer, p_subjects text[]
) RETURNS TABLE (
  horizon bigint, event_position bigint, event_id uuid, event_stream text, event_category text,
  event_version integer, event_subject text, event_data json, event_metadata json, event_time timestamptz
)
LANGUAGE plpgsql STABLE
SET enable_sort = off SET enable_incremental_sort = off SET enable_bitmapscan = off AS $$
DECLARE
  v_horizon bigint := :"schema".log_horizon();
  v_name text := substr(p_sequence, strpos(p_sequence, ':') + 1);
  v_version integer;
  v_scan record;
BEGIN
  v_scan := :"schema".scan_clauses(p_sequence, p_partitions);
  IF p_sequence LIKE 'stream:%' THEN
    v_version := :"schema".stream_version_at(v_name, p_after);
  END IF;
  RETURN QUERY EXECUTE format(
    'SELECT $7, position, id, stream, category, version, subject, data, metadata, time
     FROM %I.events
     WHERE %s AND (cardinality($6) = 0 OR subject ~ ANY ($6))
     ORDER BY %s LIMIT $5', :'schema', v_scan.where_sql, v_scan.order_sql)
    USING p_after, p_partition, v_name, v_version, p_limit, p_subjects, v_horizon;
  IF NOT FOUND THEN
    horizon := v_horizon;
    RETURN NEXT;
  END IF;
END $$;

-- Counts the committed events of a sequence, or of one partition, after a
-- position (a consumer's lag), walking the same index range read_events
-- does. Events committed above the horizon count too: they are backlog, only
-- not yet readable.
CREATE FUNCTION :"schema".count_after(
  p_sequence text, p_partitions integer, p_partition integer, p_after bigint, p_subjects text[]
) RETURNS bigint
LANGUAGE plpgsql STABLE
SET enable_sort = off SET enable_incremental_sort = off SET enable_bitmapscan = off AS $$
DECLARE
  v_name text := substr(p_sequence, strpos(p_sequence, ':') + 1);
  v_version integer;
  v_scan record;
  v_count bigint;
BEGIN
  v_scan := :"schema".scan_clauses(p_sequence, p_partitions);
  IF p_sequence LIKE 'stream:%' THEN
    v_version := :"schema".stream_version_at(v_name, p_after);
  END IF;
  EXECUTE format(
    'SELECT count(*) FROM %I.events
     WHERE %s AND (cardinality($5) = 0 OR subject ~ ANY ($5))',
    :'schema', v_scan.where_sql)
    INTO v_count USING p_after, p_partition, v_name, v_version, p_subjects;
  RETURN v_count;
END $$;
