-- Effective execution lag: for each holdings date D in [start, end], the
-- weight-space TE of the snapshot at the end of the snapshot hour (UTC) against the model targets
-- dated D-0, D-1, ..., D-{max_lag}; the lag with the smallest TE is the day's
-- effective lag (the desk's schedule is T+2: D trades the weights dated D-2).
--
-- The snapshot is the hourly timeline (timeline.sql, embedded below as the
-- `snapshot` CTE by queries/tracking/tracking_error.py): held coins and their
-- actual_weight come from there, so positions, prices and equity have one
-- definition. For lag L the rows are every held coin plus every coin with a
-- target dated D-L (a coin missing on one side is 0 there):
--   te = sqrt(sum over priced rows of (actual_weight - weight_{D-L})^2)
-- which at L = 2 is the page's daily TE. Rows held but unpriced (no price or
-- equity) are left out and counted in n_unpriced.
-- NULL, never 0: te when no target row is dated D-L (has_targets = 0), and
-- when the book holds positions none of which can be priced (no equity);
-- best_lag when no lag has a te. Ties go to the scheduled lag, then to the
-- lag nearest to it (the smaller first).
-- Targets are de-duplicated on (date, sym) like the timeline's.
-- Row = (holdings_date, lag) for every day of the range and every lag.
-- Parameters: start, end (Date), hour_end (UInt8: the snapshot hour + 1, timeline.sql), max_lag (UInt8), scheduled_lag
-- (UInt8), map_coins, map_symbols, map_mult (the timeline's).
WITH
    snapshot AS
    (
__TIMELINE_SQL__
    ),
    lags AS
    (
        SELECT toUInt8(number) AS lag FROM numbers(toUInt64({max_lag:UInt8}) + 1)
    ),
    days AS
    (
        SELECT {start:Date} + toIntervalDay(number) AS holdings_date
        FROM numbers(toUInt64(dateDiff('day', {start:Date}, {end:Date}) + 1))
    ),
    lag_targets AS
    (
        SELECT date, sym, weight
        FROM {targets_db:Identifier}.{targets_tbl:Identifier}
        WHERE date BETWEEN {start:Date} - toIntervalDay({max_lag:UInt8}) AND {end:Date}
        LIMIT 1 BY date, sym
    ),
    pairs AS
    (
        SELECT h.holdings_date AS holdings_date, l.lag AS lag, h.sym AS sym,
               h.actual_weight AS actual_weight, toNullable(0.0) AS weight, toUInt8(1) AS is_held
        FROM (SELECT holdings_date, sym, actual_weight FROM snapshot WHERE pos_units != 0) AS h
        CROSS JOIN lags AS l
        UNION ALL
        SELECT t.date + toIntervalDay(l.lag) AS holdings_date, l.lag AS lag, t.sym AS sym,
               toNullable(0.0) AS actual_weight, toNullable(t.weight) AS weight, toUInt8(0) AS is_held
        FROM lag_targets AS t
        CROSS JOIN lags AS l
        WHERE holdings_date BETWEEN {start:Date} AND {end:Date}
    ),
    per_symbol AS
    (
        SELECT holdings_date, lag, sym,
               sum(ifNull(actual_weight, 0.0)) AS a,
               sum(ifNull(weight, 0.0)) AS w,
               max(is_held) = 1 AS held,
               min(is_held) = 0 AS has_target_row,
               countIf(is_held = 1 AND actual_weight IS NULL) > 0 AS unpriced
        FROM pairs
        GROUP BY holdings_date, lag, sym
    ),
    per_lag AS
    (
        SELECT holdings_date, lag,
               sumIf(pow(a - w, 2), NOT unpriced) AS sq_err,
               countIf(has_target_row) AS n_target_rows,
               countIf(held) AS n_held,
               countIf(held AND NOT unpriced) AS n_held_priced,
               countIf(unpriced) AS n_unpriced
        FROM per_symbol
        GROUP BY holdings_date, lag
    ),
    swept AS
    (
        SELECT
            d.holdings_date AS holdings_date,
            l.lag AS lag,
            toUInt8(ifNull(p.n_target_rows, 0) > 0) AS has_targets,
            ifNull(p.n_held, 0) AS n_held,
            ifNull(p.n_unpriced, 0) AS n_unpriced,
            if(has_targets = 1 AND NOT (n_held > 0 AND ifNull(p.n_held_priced, 0) = 0),
               sqrt(ifNull(p.sq_err, 0.0)), NULL) AS te
        FROM days AS d
        CROSS JOIN lags AS l
        LEFT JOIN per_lag AS p ON p.holdings_date = d.holdings_date AND p.lag = l.lag
    )
SELECT
    holdings_date,
    lag,
    te,
    toBool(has_targets) AS has_targets,
    n_held,
    n_unpriced,
    if(countIf(te IS NOT NULL) OVER w > 0,
       toNullable(argMinIf(lag, (te, abs(toInt16(lag) - toInt16({scheduled_lag:UInt8})), lag), te IS NOT NULL) OVER w),
       NULL) AS best_lag
FROM swept
WINDOW w AS (PARTITION BY holdings_date)
ORDER BY holdings_date, lag
