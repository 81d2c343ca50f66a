"""The Positions page's views: derived once per distinct input and shared (see ui/cache.py)."""

from __future__ import annotations

from lib.tracking import snapshot as te_snapshot
from ui import cache

snapshot = cache.view()(te_snapshot.snapshot_view)
"""The classified book at one snapshot hour (lib.tracking.snapshot.SnapshotView)."""

table = cache.view()(te_snapshot.positions_table)
"""The table of the chosen categories, largest |actual − T+2 target| first."""

unpriced_notes = cache.view()(te_snapshot.unpriced_notes)
"""One line per reason a held symbol has no actual weight."""

reconcile = cache.view()(te_snapshot.reconcile)
"""Fills-implied units against the exchange snapshot, the coins that differ."""
