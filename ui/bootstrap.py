"""First start on the embedded engine: build the demo desk (or bring it up to date), with progress shown,
and keep it live (ui/live_demo.py).

Only the embedded default is ever written to; a configured server is
read-only to the dashboard.
"""

from __future__ import annotations

from lib.ch_client import DeskClient
from ui import live_demo


def ensure_demo(client: DeskClient) -> None:
    """Seed or catch up the embedded demo desk once per process, then feed it in the background."""
    if not client.settings.embedded_default:
        return
    live_demo.ensure(client)
