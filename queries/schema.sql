-- Desk Monitor data contract.
--
-- What the dashboard reads, as ClickHouse DDL. It creates the embedded demo
-- desk and tells a remote operator which columns the dashboard relies on.
-- Database and table names are the defaults of lib/config.py DEFAULT_TABLES;
-- a remote with other names is mapped there (or through DESK_TABLES), never
-- by editing queries.
--
-- Conventions
-- * Every timestamp is UTC. Event times are DateTime64(3, 'UTC');
--   binance.klines_1h.open_time keeps the feed's DateTime('UTC').
-- * The sync (local -> remote ClickHouse) can deliver a row twice. Tables it
--   feeds are ReplacingMergeTree on the row's natural key, so merges remove
--   copies eventually; until they run, every dashboard query de-duplicates
--   on that key itself, the newest synced_at winning (ORDER BY synced_at DESC
--   LIMIT 1 BY key, or argMax(..., synced_at)), so numbers are right either way
--   and the queries also work on a plain MergeTree remote.
-- * Missing is NULL, never 0: a column that can be unknown is Nullable.
-- * ingested_at = insert time on the local ClickHouse; synced_at = insert
--   time on the remote. synced_at - ingested_at is the sync latency.
--
-- Least-privilege reader (run on the remote by an admin): the user and settings profile of README,
-- Configuration ("Read-only"): readonly = 1 holding the dashboard's own settings, SELECT grants only.

CREATE DATABASE IF NOT EXISTS maicro_monitors;
CREATE DATABASE IF NOT EXISTS maicro_logs;
CREATE DATABASE IF NOT EXISTS binance;
CREATE DATABASE IF NOT EXISTS hyperliquid;

-- One row per Hyperliquid fill. Natural key: (account, tid).
CREATE TABLE IF NOT EXISTS maicro_monitors.trades
(
    time           DateTime64(3, 'UTC'),
    account        LowCardinality(String),
    coin           LowCardinality(String),
    side           LowCardinality(String),      -- 'B' buy, 'A' sell
    px             Float64,
    sz             Float64,                     -- unsigned size in coin units
    start_position Float64,                     -- signed position before the fill
    dir            LowCardinality(String),      -- 'Open Long', 'Close Short', ...
    closed_pnl     Float64,                     -- realized PnL of this fill, USD
    fee            Float64,                     -- fee paid, in fee_token (negative = rebate)
    fee_token      LowCardinality(String),
    oid            UInt64,
    tid            UInt64,
    cloid          Nullable(String),
    crossed        Bool,                        -- true = taker
    hash           String,
    ingested_at    DateTime64(3, 'UTC'),
    synced_at      DateTime64(3, 'UTC'),
    INDEX coin_idx coin TYPE set(512) GRANULARITY 4
)
ENGINE = ReplacingMergeTree(synced_at)
PARTITION BY toYYYYMM(time)
ORDER BY (account, time, tid);

-- Exchange-reported positions. Natural key: (account, ts, coin).
CREATE TABLE IF NOT EXISTS maicro_monitors.positions_snapshots
(
    ts             DateTime64(3, 'UTC'),
    account        LowCardinality(String),
    coin           LowCardinality(String),
    szi            Float64,                     -- signed units
    entry_px       Nullable(Float64),
    position_value Nullable(Float64),           -- |szi| * mark, USD
    unrealized_pnl Nullable(Float64),
    leverage       Nullable(Float64),
    liquidation_px Nullable(Float64),
    margin_used    Nullable(Float64),
    ingested_at    DateTime64(3, 'UTC'),
    synced_at      DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(synced_at)
PARTITION BY toYYYYMM(ts)
ORDER BY (account, ts, coin);

-- Account equity. Natural key: (account, ts).
CREATE TABLE IF NOT EXISTS maicro_monitors.account_snapshots
(
    ts                DateTime64(3, 'UTC'),
    account           LowCardinality(String),
    account_value     Nullable(Float64),        -- equity, USD
    total_ntl_pos     Nullable(Float64),
    total_margin_used Nullable(Float64),
    withdrawable      Nullable(Float64),
    ingested_at       DateTime64(3, 'UTC'),
    synced_at         DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(synced_at)
PARTITION BY toYYYYMM(ts)
ORDER BY (account, ts);

-- Hourly funding payments. Natural key: (account, coin, time).
CREATE TABLE IF NOT EXISTS maicro_monitors.funding
(
    time         DateTime64(3, 'UTC'),
    account      LowCardinality(String),
    coin         LowCardinality(String),
    usdc         Float64,                       -- signed: + received, - paid
    szi          Float64,
    funding_rate Float64,
    ingested_at  DateTime64(3, 'UTC'),
    synced_at    DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(synced_at)
PARTITION BY toYYYYMM(time)
ORDER BY (account, time, coin);

-- Non-trading cash movements. Deposits and withdrawals are never PnL.
-- Natural key: (account, time, hash).
CREATE TABLE IF NOT EXISTS maicro_monitors.ledger
(
    time        DateTime64(3, 'UTC'),
    account     LowCardinality(String),
    type        LowCardinality(String),         -- deposit, withdraw, transfer, ...
    usdc        Float64,                        -- signed: + into the account
    hash        String,
    ingested_at DateTime64(3, 'UTC'),
    synced_at   DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(synced_at)
ORDER BY (account, time, hash);

-- Order status log: one row per observed status. Natural key: (account, oid, status).
CREATE TABLE IF NOT EXISTS maicro_monitors.orders
(
    time        DateTime64(3, 'UTC'),
    account     LowCardinality(String),
    oid         UInt64,
    cloid       Nullable(String),
    coin        LowCardinality(String),
    side        LowCardinality(String),
    limit_px    Float64,
    sz          Float64,                        -- remaining size
    orig_sz     Float64,
    order_type  LowCardinality(String),         -- Limit, Ioc, Alo, ...
    status      LowCardinality(String),         -- open, filled, canceled, rejected, ...
    ingested_at DateTime64(3, 'UTC'),
    synced_at   DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(synced_at)
PARTITION BY toYYYYMM(time)
ORDER BY (account, oid, status);

-- One row per monitor run. Natural key: (monitor, host, ts).
CREATE TABLE IF NOT EXISTS maicro_monitors.monitor_heartbeat
(
    ts          DateTime64(3, 'UTC'),
    monitor     LowCardinality(String),         -- account, positions, trades, orders, funding, ledger, ohlcv, sync
    host        LowCardinality(String),
    status      LowCardinality(String),         -- ok / error
    message     String,
    rows        UInt64,
    duration_ms UInt32
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (monitor, host, ts);

-- One row per table per sync run. Natural key: (database, table, started_at).
CREATE TABLE IF NOT EXISTS maicro_monitors.sync_log
(
    started_at    DateTime64(3, 'UTC'),
    finished_at   Nullable(DateTime64(3, 'UTC')),
    database      LowCardinality(String),
    table         LowCardinality(String),
    rows          UInt64,
    max_source_ts Nullable(DateTime64(3, 'UTC')),
    status        LowCardinality(String),       -- ok / error
    error         String
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(started_at)
ORDER BY (database, table, started_at);

-- The model's daily target weights. `date` is the signal date; holdings date D
-- trades the weights dated D-2 (T+2), D-1 is the T+1 reference.
-- Natural key: (date, sym).
CREATE TABLE IF NOT EXISTS maicro_logs.positions_jianan_v6
(
    date   Date,
    sym    LowCardinality(String),              -- Hyperliquid coin name
    weight Float64                              -- signed fraction of equity
)
ENGINE = ReplacingMergeTree
ORDER BY (date, sym);

-- Binance hourly candles. Natural key: (symbol, open_time).
CREATE TABLE IF NOT EXISTS binance.klines_1h
(
    open_time DateTime('UTC'),
    symbol    LowCardinality(String),           -- BTCUSDT, 1000PEPEUSDT, ...
    open      Float64,
    high      Float64,
    low       Float64,
    close     Float64,
    volume    Float64
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(open_time)
ORDER BY (symbol, open_time);

-- Hyperliquid's trading rules per perpetual, from the public info endpoint's `meta` request
-- (POST https://api.hyperliquid.xyz/info with {"type": "meta"}; the main perp dex, `dex` left empty).
-- The ingestion writes one row per entry of the answer's `universe` array each time it polls (every
-- poll writes every coin, so a coin missing from the newest poll is no longer listed):
--   coin          <- universe[i].name         ('BTC', 'kPEPE': the name fills and positions carry)
--   sz_decimals   <- universe[i].szDecimals   sizes are whole multiples of 10^-sz_decimals coin units
--   max_leverage  <- universe[i].maxLeverage
--   only_isolated <- universe[i].onlyIsolated (absent in the answer = false)
--   is_delisted   <- universe[i].isDelisted   (absent in the answer = false)
--   updated_at    =  when the ingestion read the answer (UTC)
-- marginTables and marginTableId are not stored. The rebalance ticket rounds each leg toward zero to
-- the coin's size step and drops legs below the exchange's minimum order value (lib/config.py
-- HL_MIN_ORDER_USD); without this table, or without a row for a coin, it rounds to 6 significant digits
-- and says so. Natural key: (coin, updated_at).
CREATE TABLE IF NOT EXISTS hyperliquid.asset_meta
(
    updated_at    DateTime64(3, 'UTC'),
    coin          LowCardinality(String),
    sz_decimals   UInt8,
    max_leverage  UInt16,
    only_isolated Bool,
    is_delisted   Bool,
    ingested_at   DateTime64(3, 'UTC'),
    synced_at     DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(synced_at)
PARTITION BY toYYYYMM(updated_at)
ORDER BY (coin, updated_at);
