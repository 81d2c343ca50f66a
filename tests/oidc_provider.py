"""A real OpenID Connect provider on a loopback port, for the sign-in tests.

It is panva's `oidc-provider` (npm, certified by the OpenID Foundation), run by Node from tests/oidc/
(`make test` installs it there with `npm ci`; scripts/ensure_oidc_provider.sh). It serves discovery, the
authorization-code flow with PKCE, an ID token that carries the e-mail, and RP-initiated logout; its sign-in
form accepts any e-mail without a password, so a test signs in as whomever it needs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.fault_servers import free_port

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tests" / "oidc"
INSTALL_HINT = "run `make test`, or `bash scripts/ensure_oidc_provider.sh` (npm ci in tests/oidc)"


@dataclass(frozen=True)
class OidcClient:
    client_id: str
    client_secret: str
    redirect_uri: str  # Streamlit's /oauth2callback; also where the provider returns after sign-out

    def registration(self) -> dict:
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "redirect_uris": [self.redirect_uri],
            "post_logout_redirect_uris": [self.redirect_uri],
        }


def missing() -> str | None:
    """Why the provider cannot start here, or None."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (PACKAGE / "node_modules" / "oidc-provider" / "package.json").is_file():
        return f"tests/oidc has no node_modules: {INSTALL_HINT}"
    return None


class OidcProvider:
    """`node tests/oidc/provider.mjs` on 127.0.0.1:<free port>, with the given clients registered."""

    def __init__(self, clients: list[OidcClient], log: Path):
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.discovery_url = f"{self.issuer}/.well-known/openid-configuration"
        self.log = log
        env = {
            **os.environ,
            "OIDC_PORT": str(self.port),
            "OIDC_CLIENTS": json.dumps([c.registration() for c in clients]),
        }
        self.proc = subprocess.Popen(
            ["node", str(PACKAGE / "provider.mjs")],
            cwd=PACKAGE,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the OIDC provider exited early:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.discovery_url, timeout=2) as r:
                    if json.load(r).get("issuer") == self.issuer:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the OIDC provider did not start:\n{log.read_text()[-3000:]}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
