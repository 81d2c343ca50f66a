"""Optional sign-in: when `[auth]` is configured, require OIDC login and an allow-listed email.

Without `[auth]` the app performs no authentication at all and must sit behind
the desk's own access control (VPN, reverse proxy with SSO).
"""

from __future__ import annotations

import streamlit as st

from lib.format import md_text


def _auth_configured() -> bool:
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError):  # no secrets.toml at all
        return False


def allowed(email: str | None, allow_list: list[str]) -> bool:
    if not email:
        return False
    wanted = {e.strip().lower() for e in allow_list if e.strip()}
    return email.strip().lower() in wanted


def signed_in() -> bool:
    """True when no sign-in is configured, or the visitor is signed in and on the allow-list."""
    if not _auth_configured():
        return True
    if not st.user.is_logged_in:
        return False
    return allowed(st.user.get("email"), list(st.secrets.get("desk", {}).get("allowed_emails", [])))


def require_login() -> None:
    if not _auth_configured():
        return
    if not st.user.is_logged_in:
        st.title("Desk Monitor")
        st.write("Sign in with your desk account to continue.")
        st.button("Sign in", on_click=st.login, type="primary")
        st.stop()
    allow_list = list(st.secrets.get("desk", {}).get("allowed_emails", []))
    if not allowed(st.user.get("email"), allow_list):
        st.title("Desk Monitor")
        st.error(
            f"You are signed in as {md_text(st.user.get('email') or 'an account without an e-mail')}, which is not "
            "on the desk's allow-list. Ask the desk admin for access, or sign out and use another account."
        )
        st.button("Sign out", on_click=st.logout)
        st.stop()
    st.sidebar.caption(f"Signed in as {md_text(st.user.get('email') or '')}")
    st.sidebar.button("Sign out", on_click=st.logout)
