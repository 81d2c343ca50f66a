"""One place for the desk monitor's settings: table map, thresholds, limits.

Everything a remote operator may need to change (table names, query time
limit, monitor intervals) can be overridden from the environment or from
`.streamlit/secrets.toml`; everything else is a named constant here so no
page or query hard-codes its own copy.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import MappingProxyType

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# --- numbers from the environment ----------------------------------------
# Read once at import, never raising there: a bad value (DESK_QUERY_TIME_LIMIT_S=20s) leaves the default in place
# and is recorded; every entry point (app.py, python -m cli) calls `check_environment()` first, which names the
# variable, what it got and the form it expects, and runs nothing else.
_env_problems: list[str] = []  # appended to only while this module is imported


def _env_number(name: str, default: float, lo: float, hi: float, what: str, whole: bool = False) -> float:
    """`name` from the environment as a number in [lo, hi] (`whole`: an integer), else `default` (recorded)."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip()) if whole else float(raw.strip())
    except ValueError:
        value = None
    if value is None or not math.isfinite(value) or not lo <= value <= hi:
        form = "a whole number" if whole else "a number"
        _env_problems.append(f"{name}={raw!r} is not {form} from {lo:g} to {hi:g} ({what}; e.g. {name}={default:g})")
        return default
    return value


def _env_int(name: str, default: int, lo: int, hi: int, what: str) -> int:
    return int(_env_number(name, default, lo, hi, what, whole=True))


EARLIEST_DATE = date(2015, 1, 1)  # no desk data before this (lib.inputs.MIN_DATE: the same bound for URL dates)


def _env_date(name: str, what: str) -> date | None:
    """`name` from the environment as an ISO date (ASCII digits, a real day from EARLIEST_DATE on), else None
    (recorded when set but unusable). lib.inputs.parse_date applies the same rule to the other sources."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    value = None
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        try:
            value = date.fromisoformat(text)
        except ValueError:
            value = None
    if value is None or not EARLIEST_DATE <= value <= date.today():
        _env_problems.append(
            f"{name}={raw[:40]!r} is not a date from {EARLIEST_DATE} to today ({what}; e.g. {name}=2025-03-01)"
        )
        return None
    return value


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
# A row is a flip (a timing slip: closer to the T+1 target than to T+2) only where the two targets differ by more
# than this (fraction of equity). Without it a hair's difference (BNB T+1 +5.55% vs T+2 +5.61%) made the
# book's sizing noise read as "flips explain 98.8% of the error".
FLIP_MIN_TARGET_GAP = 0.0025
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
HEATMAP_WEEKLY_AFTER_DAYS = 90  # a longer range: one heatmap column per UTC week (Monday), not per day
RECON_ABS_TOL = 1e-8  # fills-implied vs exchange units: differences below this are float noise
RECON_REL_TOL = 1e-6  # ... or below this fraction of the position
SNAPSHOT_ROUND_S = 30  # rows of one positions-snapshot round lie within this many seconds of its newest row

# --- the model book and the shortfall against it (Tracking Error, Overview, cli shortfall, alerts) ----
MODEL_MARK_MAX_AGE_S = (
    600  # the live equity at 00:00: the account snapshot nearest it within this, before the rebalance
)
MODEL_PRICE_MAX_AGE_H = 24  # a missing Binance close is replaced by the newest one at most this much older
MODEL_TARGETS_MAX_AGE_DAYS = 7  # a day without D-2 targets holds the newest targets at most this many days older
MODEL_FILLS_LOOKBACK_DAYS = 30  # positions going into a range are read from the fills of this many days before it
MODEL_BAND_WINDOW_DAYS = 30  # the band's sigma: daily active returns of this many days before the range
MODEL_BAND_MIN_DAYS = 10  # ... at least this many of them known, else no band
MODEL_BAND_SIGMAS = 2.0  # the band is +- this many sigma * sqrt(days)
MODEL_RESIDUAL_LARGE_SHARE = 0.2  # the waterfall says so when |residual| exceeds this share of |gap| ...
MODEL_RESIDUAL_LARGE_BP = 2.0  # ... and this many bp

# --- execution expectations ----------------------------------------------
REBALANCE_WINDOW_MINUTES = 5  # fills after 00:05 UTC are flagged as off-window
ANNUALISATION_DAYS = 365  # crypto trades every day

# --- Overview and Trades pages ----------------------------------------------
HOURLY_CHART_MAX_DAYS = 31  # equity/exposure charts: hourly points up to this range, daily beyond
# A row dated later than the server's now + this is "in the future" (a bad clock or a bad row): it
# never sets "data as of" or a page's default range, and System Health counts it.
FUTURE_SKEW_S = 300
# Inception (queries/engine/inception.py): the history starts after the last gap longer than this between two days
# with account snapshots; an older row is a stray (never a start mark, counted on System Health). DESK_INCEPTION
# (or `inception` in [connections.clickhouse]) fixes the date instead (lib.clickhouse.endpoints.resolve_settings
# picks the source; a bad DESK_INCEPTION is reported by check_environment).
INCEPTION_MAX_GAP_DAYS = 30
# checked here so check_environment names a bad value at start-up; resolve_settings reads the environment it is given
_env_date("DESK_INCEPTION", "the desk's inception: PnL since inception starts there")
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
# 24 h return above REGIME_TREND_UP: "up"; below REGIME_TREND_DOWN: "down"; between: "flat"
REGIME_TREND_UP = _env_number("DESK_REGIME_TREND_UP", 0.02, 0.0001, 1.0, "the 24 h return above which BTC trends up")
REGIME_TREND_DOWN = _env_number(
    "DESK_REGIME_TREND_DOWN", -0.02, -1.0, -0.0001, "the 24 h return below which BTC trends down"
)
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
        "fee": "Fee paid",  # descending: the largest fee paid first (the grid shows it as a cost, negative)
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
SYNC_DURATIONS_HOURS = 24  # the sync-durations chart's window (and its fold's label)
SYNC_FAILURES_LISTED = 50  # System Health's Recent failures: the newest this many failed runs of 7 days

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
        "model_band_sigmas": 2.0,  # live − model over the last MODEL_ALERT_DAYS beyond ± this many sigma * sqrt(days)
        "model_band_pending_min": 60,  # ... outside the band this long (from the close of the day it left) before it is sent
        "preflight_pending_min": 0,  # a failing pre-trade check of the next targets must last this long
    }
)
MODEL_ALERT_DAYS = 30  # the model-book band alert reads the last this many complete days
ALERT_DRAWDOWN_LOOKBACK_DAYS = 90
ALERT_SEND_RETRIES = 3  # attempts per channel per run; undelivered messages wait for the next run
ALERT_SEND_TIMEOUT_S = 10
ALERT_OUTBOX_MAX_AGE_H = 72  # an undelivered message older than this is dropped (and logged)
ALERT_KEEP_DAYS = 90  # delivered messages and history older than this are pruned ([alerts] keep_days)
ALERT_KEEP_DAYS_RANGE = (7, 3650)  # the daily report reads yesterday's history: keep at least a week
ALERT_LOCK_WAIT_S = 120  # a run waits this long for another run holding the state file, then gives up (exit 5)
ALERT_CLAIM_STALE_S = 900  # an outbox claim older than this belongs to a killed run and is released
ALERT_SILENCE_MAX_DAYS = 30  # `alerts silence --for` at most this long
ALERT_WATCHER_STALE_MIN = (
    15  # System Health asks whether the alert runs still run when none wrote the state for this long
)
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
# The oldest ClickHouse server (major, minor) the queries are tested against; System Health warns below it (an older
# server may refuse a statement or read it differently). Tested: every test runs on the embedded engine of chdb 4.4.0
# (requirements.txt), ClickHouse 26.9.2.1; the HTTP stand-in (tests/http_clickhouse.py) passes version() through to
# that same engine, so it reports 26.9.2.1 too. Lower this only after running the suite against the older server.
OLDEST_TESTED_SERVER_VERSION = (26, 9)
QUERY_TIME_LIMIT_S = _env_int("DESK_QUERY_TIME_LIMIT_S", 20, 1, 3600, "the query time limit in seconds")
CONNECT_TIMEOUT_S = _env_int("DESK_CONNECT_TIMEOUT_S", 5, 1, 3600, "the connect timeout in seconds")
# Threads a query may use in the embedded engine; 0 leaves it to the engine (one per core). The test suite sets 1: it
# runs four workers (and their Streamlit servers) on two cores, where a query's extra threads only queue
# (tests/conftest.py). Never sent to a ClickHouse server, whose profile decides.
EMBEDDED_MAX_THREADS = _env_int("DESK_EMBEDDED_MAX_THREADS", 0, 0, 256, "threads per embedded query, 0 for the default")

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


DEMO_TICK_S = _env_number("DESK_DEMO_TICK_S", 20.0, 1.0, 60.0, "how often the demo feeder extends the desk, in seconds")
DEMO_REBUILD_AFTER_DAYS = _env_number(
    "DESK_DEMO_REBUILD_DAYS", 7.0, 0.0, 3650.0, "the age in days after which the demo desk is rebuilt"
)


# --- the environment's verdict (see _env_number) -----------------------------
ENV_PROBLEMS: tuple[str, ...] = tuple(_env_problems)
if REGIME_TREND_DOWN >= REGIME_TREND_UP:
    ENV_PROBLEMS += ("DESK_REGIME_TREND_DOWN must be below DESK_REGIME_TREND_UP",)


def check_environment() -> None:
    """Raise ConfigError naming every DESK_* number (or date) of the environment that could not be used."""
    if ENV_PROBLEMS:
        raise ConfigError("; ".join(ENV_PROBLEMS))
