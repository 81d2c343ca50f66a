"""One place for the desk monitor's settings: table map, thresholds, limits.

Everything a remote operator may need to change (table names, query time
limit, monitor intervals) can be overridden from the environment or from
`.streamlit/secrets.toml`; everything else is a named constant here so no
page or query hard-codes its own copy.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The embedded demo desk (nothing configured). DESK_DEMO_PATH moves it (tests, a second checkout);
# it is still the app's own database, never a configured ClickHouse.
DEFAULT_DEMO_PATH = Path(os.environ.get("DESK_DEMO_PATH") or PROJECT_ROOT / "data" / "demo.chdb").resolve()

# --- tracking-error thresholds (playbook 000, section 0.3) -----------------
W_EPS = 0.001  # |weight| below this is "flat" (0.1% of equity)
MAG_EPS = 0.02  # |actual - target| above this is a magnitude error (2%)
# How MAG_EPS is read. "absolute": |actual - target| > MAG_EPS, the playbook's written rule (default).
# "relative": |actual - target| > MAG_EPS * |target|; the playbook's own Dec 5-7 counts (~30/31/29
# magnitude errors of a few bp each) are only reproduced under this reading.
MAG_RULES = ("absolute", "relative")
DEFAULT_MAG_RULE = "absolute"
W_EPS_RANGE = (0.0, 0.05)  # what the UI accepts; anything else is refused
MAG_EPS_RANGE = (0.0, 0.5)
DEFAULT_SNAPSHOT_HOUR = 2  # 02:00 UTC, after the 00:00-00:02 rebalance burst
# A snapshot hour h means the positions at the END of that hour (h + 1):00 UTC, priced at the
# hour's close; hour 0 therefore includes the 00:00-00:02 rebalance fills. PRE_REBALANCE_HOUR is
# the extra choice "before the rebalance": positions as of 00:00:00 of the holdings date.
PRE_REBALANCE_HOUR = -1
SNAPSHOT_HOURS = (PRE_REBALANCE_HOUR, *range(24))
T_PLUS_TARGET = 2  # holdings date D trades the weights dated D-2
T_PLUS_REFERENCE = 1  # D-1 is the "timing slip" reference
LAG_SWEEP_MAX = 3  # the execution-lag sweep compares each snapshot with the targets dated D-0 .. D-3
LAG_CLEAR_RATIO = 0.8  # a lag other than T+2 is a clear slip when its TE is below this x the T+2 TE
LAG_DOMINANT_SHARE = 0.5  # an on-time day whose sum err^2 is this much one problem category is named after it
LAG_MISSING_MAX_NAMES = 5  # ... "a few missing names": at most this many MISSING_POSITION names
# TE attribution buckets by |T+2 target|: small below the first, large from the second (fractions of equity)
ATTRIBUTION_SIZE_BUCKETS = (0.005, 0.02)

# --- tracking-error views (Positions / Tracking Error pages, cli report) ---
EX_POST_WINDOWS = (7, 14, 30)  # rolling ex-post TE windows offered (days with a known active return)
EX_POST_DEFAULT_WINDOW = 14
TE_HISTORY_DAYS = 7  # the day story compares a day's TE with the mean of this many previous days
HEATMAP_MAX_SYMBOLS = 40  # symbol x day heatmap keeps the symbols with the largest |err|
RECON_ABS_TOL = 1e-8  # fills-implied vs exchange units: differences below this are float noise
RECON_REL_TOL = 1e-6  # ... or below this fraction of the position
SNAPSHOT_ROUND_S = 30  # rows of one positions-snapshot round lie within this many seconds of its newest row

# --- execution expectations ----------------------------------------------
REBALANCE_WINDOW_MINUTES = 5  # fills after 00:05 UTC are flagged as off-window
ANNUALISATION_DAYS = 365  # crypto trades every day

# --- Overview and Trades pages ----------------------------------------------
HOURLY_CHART_MAX_DAYS = 31  # equity/exposure charts: hourly points up to this range, daily beyond
# A row dated later than the server's now + this is "in the future" (a bad clock or a bad row): it
# never sets "data as of" or a page's default range, and System Health counts it.
FUTURE_SKEW_S = 300
EQUITY_LOOKBACK_DAYS = 7  # how far before a window an equity/positions mark may be looked up
POSITIONS_MARK_MAX_AGE_MIN = (
    120  # PnL decomposition: a positions round further than this from an equity mark is not its mark
)
FILLS_PAGE_SIZE = 100  # fills per page on the Trades page
FILLS_EXPORT_MAX_ROWS = 100_000  # CSV download cap (the page says when it is reached)
UNTRACKED_LIST_LIMIT = 200  # untracked fills listed (all are counted)
DRILLDOWN_MAX_FILLS = 5_000  # fills drawn on one coin's drill-down
LEDGER_LIST_LIMIT = 500  # deposits/withdrawals marked on the equity curve

# --- PnL windows and market regimes (Overview) ------------------------------
# The regime of an hour is the benchmark coin over the 24 hours ending with that hour's close
# (Binance hourly candles): trend from its 24 h return, volatility from its hourly log returns.
REGIME_COIN = "BTC"
REGIME_TREND_UP = float(os.environ.get("DESK_REGIME_TREND_UP", "0.02"))  # 24 h return above this: "up"
REGIME_TREND_DOWN = float(os.environ.get("DESK_REGIME_TREND_DOWN", "-0.02"))  # below this: "down"; between: "flat"
REGIME_TREND_BAND_RANGE_PCT = (0.1, 20.0)  # what the Overview's trend band input accepts (± %, symmetric)
REGIME_VOL_MIN_RETURNS = 18  # realised vol needs this many of the 24 hourly returns, else "unknown"
REGIME_THIN_HOURS = 24  # a regime bucket with fewer hours than this is marked thin

# --- price sanity (System Health, Positions) -----------------------------------
PRICE_DIVERGENCE_BP = 50.0  # exchange mark vs the Binance close of the same hour: flagged above this many bp
PRICE_SANITY_HOURS = 48  # hours of positions snapshots compared
STALE_CANDLE_HOURS = 3  # a close repeated for this many hours in a row is listed as stale
CANDLE_PROBLEM_LIMIT = 200  # candle problems listed (all are counted)

# --- risk (Overview, Positions) ----------------------------------------------------
CLOSEST_LIQUIDATIONS = 5  # positions nearest to their liquidation price listed on Overview

# --- orders (Trades page) -------------------------------------------------------------
ORDER_LIST_LIMIT = 200  # open / unfilled orders listed (all are counted)

# --- Trades page vocabulary: URL/widget value -> label ----------------------
SIDE_LABELS: Mapping[str, str] = MappingProxyType({"B": "Buy", "A": "Sell"})
LIQUIDITY_LABELS: Mapping[str, str] = MappingProxyType({"maker": "Maker", "taker": "Taker"})
# Sortable fill columns. The key is also the column name in the fills query; it
# reaches SQL only as a bound Identifier.
FILL_SORT_COLUMNS: Mapping[str, str] = MappingProxyType(
    {
        "time": "Time",
        "coin": "Coin",
        "side": "Side",
        "px": "Price",
        "sz": "Size",
        "notional": "Notional",
        "slippage_bps": "Slippage vs 1h open",
        "closed_pnl": "Realized PnL",
        "fee": "Fee",
    }
)

# --- every page: auto-refresh (sidebar) and range presets -------------------
REFRESH_CHOICES_S = (0, 30, 60, 300)  # 0 = off; the page reruns on this timer, query TTLs decide freshness
DEFAULT_REFRESH_S = 60
# range presets beside the sidebar's date range (URL ?range=): key -> label
RANGE_PRESETS: Mapping[str, str] = MappingProxyType(
    {"24h": "24 h", "7d": "7 d", "30d": "30 d", "mtd": "MTD", "ytd": "YTD", "all": "All"}
)
DEFAULT_RANGE_PRESET = "30d"

# --- System Health page options ----------------------------------------------
HEALTH_BUCKET_CHOICES_MIN = (1, 5)  # timeline resolution, minutes
HEALTH_HOURS_CHOICES = (24, 48, 168)  # rows-per-hour window
HEALTH_DEFAULT_BUCKET_MIN = 5
HEALTH_DEFAULT_HOURS = 48

# --- alerts (lib/alerting/rules.py; python -m cli alerts) -----------------------------
# Every threshold of every rule, with its default. Override any of them from `[alerts]` in
# .streamlit/secrets.toml (same key) or the environment (DESK_ALERT_<KEY>, e.g. DESK_ALERT_TE_MAX=0.04).
# Fractions are fractions (0.03 = 3%), bp are basis points, durations say their unit.
ALERT_THRESHOLDS: Mapping[str, float] = MappingProxyType(
    {
        "stale_account_min": 15,  # newest account snapshot older than this (5-minute cadence + sync)
        "stale_positions_min": 90,  # newest positions snapshot older than this (hourly cadence + sync)
        "monitor_down_min": 10,  # a monitor DOWN for longer than this
        "sync_failures_in_row": 2,  # this many failed sync runs of one table in a row
        "sync_lag_min": 15,  # newest synced row took longer than this from local to remote
        "targets_due_hour": 23,  # the model's weights dated D-1 are due by this hour (UTC) of day D
        "te_max": 0.03,  # snapshot TE above this
        "missing_max": 2,  # more than this many MISSING_POSITION
        "rebalance_by_min": 15,  # the rebalance is judged at 00:MM UTC ...
        "rebalance_complete_min": 0.95,  # ... and fires below this share of its required notional done
        "untracked_max": 0,  # more than this many untracked fills in the day
        "fee_bps_max": 5.0,  # the day's fees above this many bp of traded notional
        "daily_loss_max": 0.03,  # the day's PnL below -3% of its start equity
        "drawdown_max": 0.10,  # current drawdown beyond 10% (deposit-adjusted, DRAWDOWN_LOOKBACK_DAYS)
        "margin_used_max": 0.60,  # total margin used above 60% of equity
        "liquidation_distance_min": 0.10,  # a position's mark within 10% of its liquidation price
        "repeat_hours": 4,  # a still-firing alert is re-sent after this long
        "clickhouse_pending_min": 0,  # "dashboard cannot read ClickHouse" must last this long before it is sent
        "sync_lag_pending_min": 5,  # sync lag must last this long before it is sent
        "preflight_pending_min": 0,  # a failing pre-trade check of the next targets must last this long
    }
)
ALERT_DRAWDOWN_LOOKBACK_DAYS = 90
ALERT_SEND_RETRIES = 3  # attempts per channel per run; undelivered messages wait for the next run
ALERT_SEND_TIMEOUT_S = 10
ALERT_OUTBOX_MAX_AGE_H = 72  # an undelivered message older than this is dropped (and logged)
DEFAULT_ALERT_STATE_PATH = PROJECT_ROOT / "data" / "alert_state.sqlite"
# Daily report verdicts: what the desk holds itself to (same keys overridable like the thresholds).
REPORT_TARGETS: Mapping[str, float] = MappingProxyType(
    {
        "te_max": 0.03,  # snapshot TE at or below
        "missing_max": 2,  # MISSING_POSITION count at or below
        "window_max_s": 300,  # the rebalance filled within 5 minutes of 00:00 UTC
        "fee_bps_max": 5.0,  # fees at or below this many bp of notional
        "freshness_max_min": 15,  # the day's last account snapshot within this of its end
    }
)

# --- the rebalance desk (lib/rebalance; Positions ticket, Overview/Trades rebalance panel, preflight) ------
HL_MIN_ORDER_USD = 10.0  # Hyperliquid refuses an order worth less than this (its minimum order value), USD
# A coin the exchange metadata (hyperliquid.asset_meta) does not list: sizes are rounded toward zero to this
# many significant digits and the ticket says so (a size step is never invented).
FALLBACK_SIGNIFICANT_DIGITS = 6
ASSET_META_ROUND_S = 600  # a coin whose newest meta row is older than the newest poll by more is not listed now
PRICE_MAX_AGE_H = 2  # a Binance close older than this (from its candle's close to now) is no price
PRICE_LOOKBACK_H = 48  # how far back the newest Binance close of a coin is looked for (to say how old it is)
COST_LOOKBACK_DAYS = 14  # the desk's own fee rate and slippage medians: over this many UTC days to today
SLIPPAGE_MIN_FILLS = 5  # a coin with fewer fills in the look-back is costed at the book's median slippage
# Today's rebalance, to completion: the share of each symbol's required change done by 00:MM UTC.
REBALANCE_CHECKPOINTS_MIN = (1, 5, 15, 60)
# A symbol is done when |target − position| is within max(this weight, this share of |target|) and the
# position is not missing, extra or in the wrong direction (lib.rebalance.completion).
REBALANCE_DONE_WEIGHT = 0.0025
REBALANCE_DONE_SHARE = 0.10
REBALANCE_ORDER_STATUSES = ("rejected", "canceled")  # final statuses that explain an unfinished symbol
# The model's mandate: what a target file may hold (lib.rebalance.preflight; Positions, Tracking Error).
MANDATE_LIMITS: Mapping[str, float] = MappingProxyType(
    {
        "net_max": 0.60,  # |sum of weights| (the net exposure) at most (the model runs net −52%..+48%)
        "gross_min": 0.5,  # sum of |weights| at least (an empty or truncated file is not a book)
        "gross_max": 2.0,  # sum of |weights| at most (weights in percent, not fractions, show here)
        "weight_max": 0.10,  # largest |weight| of one symbol
        "leverage_max": 2.5,  # notional / equity after the rebalance, at current marks (margin used after
        # the rebalance is held to the margin alert's own ALERT_THRESHOLDS["margin_used_max"])
        "turnover_max": 1.0,  # traded notional / equity of the rebalance
        "cost_max_bp": 5.0,  # estimated cost of the rebalance, bp of equity
        "weight_change_max": 0.12,  # largest |weight change| of one symbol against the current targets
        "names_changed_max": 20,  # symbols entering plus leaving the book
    }
)
PREFLIGHT_FINAL_CHECK_MIN = 30  # the checks are run again this many minutes before the 00:00 rebalance
PREFLIGHT_LARGEST_CHANGES = 5  # largest weight changes listed

# --- query safety ---------------------------------------------------------
QUERY_TIME_LIMIT_S = int(os.environ.get("DESK_QUERY_TIME_LIMIT_S", "20"))
CONNECT_TIMEOUT_S = int(os.environ.get("DESK_CONNECT_TIMEOUT_S", "5"))

# --- cache lifetimes (seconds), by how often the source table changes -----
TTL_LIVE = 30  # account, positions, heartbeats, sync log
TTL_INTRADAY = 120  # fills, orders, funding
TTL_DAILY = 600  # model targets, daily aggregates, history
CACHE_ENTRIES = 64
# derived views and drawn sections reused by reruns with the same data (ui/cache.py):
# keyed by content, so the TTL only bounds memory, never freshness
TTL_RERUN_CACHE = 3600
RERUN_CACHE_ENTRIES = 32  # per view/section: selections a user flips between, across sessions
RERUN_CACHE_HEAVY_ENTRIES = 8  # views holding a whole range's classified timeline (up to ~150k rows each)

# --- monitors and their expected heartbeat interval (seconds) -------------
MONITOR_INTERVALS_S: Mapping[str, int] = MappingProxyType(
    {
        "account": 60,
        "positions": 60,
        "trades": 60,
        "orders": 60,
        "funding": 60,
        "ledger": 60,
        "ohlcv": 60,
        "sync": 60,
    }
)
# Monitors with a known interval that only some desks run: judged like the others, listed only once they
# have reported (a remote desk without them does not see them DOWN).
DEMO_FEEDER_MONITOR = "demo_feeder"  # the live demo's own monitor (lib/demo/feeder.py)
OPTIONAL_MONITOR_INTERVALS_S: Mapping[str, int] = MappingProxyType({DEMO_FEEDER_MONITOR: 60})
LATE_FACTOR = 3  # no beat for 3 intervals -> LATE
DOWN_FACTOR = 10  # no beat for 10 intervals (or last beat an error) -> DOWN

# --- the table map: logical name -> (database, table) ----------------------
DEFAULT_TABLES: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "trades": ("maicro_monitors", "trades"),
        "positions": ("maicro_monitors", "positions_snapshots"),
        "account": ("maicro_monitors", "account_snapshots"),
        "funding": ("maicro_monitors", "funding"),
        "ledger": ("maicro_monitors", "ledger"),
        "orders": ("maicro_monitors", "orders"),
        "heartbeat": ("maicro_monitors", "monitor_heartbeat"),
        "sync_log": ("maicro_monitors", "sync_log"),
        "targets": ("maicro_logs", "positions_jianan_v6"),
        "klines": ("binance", "klines_1h"),
        "asset_meta": ("hyperliquid", "asset_meta"),
    }
)

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


class ConfigError(ValueError):
    """A setting that cannot be used as given (bad table name, bad URL)."""


@dataclass(frozen=True)
class TableMap:
    """Validated logical-name -> (database, table) map.

    Identifiers reach SQL only as server-side `{x_db:Identifier}.{x_tbl:Identifier}`
    parameters built here, so a table name can never smuggle SQL in.
    """

    tables: Mapping[str, tuple[str, str]]

    def qualified(self, name: str) -> str:
        db, tbl = self.tables[name]
        return f"{db}.{tbl}"

    def params(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, (db, tbl) in self.tables.items():
            out[f"{name}_db"] = db
            out[f"{name}_tbl"] = tbl
        return out

    def databases(self) -> list[str]:
        return sorted({db for db, _ in self.tables.values()})


def _split(qualified: str) -> tuple[str, str]:
    parts = qualified.strip().split(".")
    if len(parts) != 2 or not all(_IDENT.match(p) for p in parts):
        raise ConfigError(f"table name {qualified!r} must look like database.table")
    return parts[0], parts[1]


def table_map(overrides: Mapping[str, str] | None = None) -> TableMap:
    """Build the table map from defaults, `DESK_TABLES` (JSON) and explicit overrides.

    Overrides are `{"trades": "db.table"}`; unknown logical names are refused so a
    typo does not silently leave the default in place.
    """
    merged = dict(DEFAULT_TABLES)
    sources: list[Mapping[str, str]] = []
    env = os.environ.get("DESK_TABLES")
    if env:
        try:
            sources.append(json.loads(env))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"DESK_TABLES is not valid JSON: {exc.msg}") from None
    if overrides:
        sources.append(overrides)
    for src in sources:
        for name, qualified in src.items():
            if name not in DEFAULT_TABLES:
                raise ConfigError(f"unknown table key {name!r}; known: {sorted(DEFAULT_TABLES)}")
            merged[name] = _split(str(qualified))
    return TableMap(MappingProxyType(merged))


# --- the live demo desk (lib/demo/feeder.py) ---------------------------------


def _env_float(name: str, default: float, lo: float, hi: float) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return min(max(value, lo), hi)


DEMO_TICK_S = _env_float("DESK_DEMO_TICK_S", 20.0, 1.0, 60.0)  # how often the feeder extends the desk
DEMO_REBUILD_AFTER_DAYS = _env_float("DESK_DEMO_REBUILD_DAYS", 7.0, 0.0, 3650.0)  # older desks are rebuilt
