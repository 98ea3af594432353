-- Makes the rest of this transaction walk indexes in their own order, as
-- read_events does for itself: with sorts and bitmap scans off, a prune's
-- LIMITed scan of the (category, position) index reads only the rows it
-- returns, however large the category and whatever the statistics say.
-- No parameters. Returns one row (ignored).
SELECT set_config('enable_sort', 'off', true),
       set_config('enable_incremental_sort', 'off', true),
       set_config('enable_bitmapscan', 'off', true);
