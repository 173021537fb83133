"""Brute-force protection for the token endpoint and the web login.

Failed sign-ins are counted with DRF's cache-backed throttles, once per account (the
email tried) and once per client address; when either count is full, sign-in is
refused with 429 and `Retry-After` until the oldest failure leaves the window. Only
failures count, so a user who signs in often is never slowed down. The rates are
`REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login_account"]` and `["login_address"]`;
the cache is shared by every worker when `CACHE_URL` names Redis.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle


class _FailedLogins(SimpleRateThrottle):
    """One window of failed sign-ins; `blocked` looks without counting, `fail` counts."""

    def __init__(self, ident: str) -> None:
        super().__init__()
        self.ident = ident

    def get_rate(self) -> str | None:
        # Read when used, not at import, so a changed setting takes effect.
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope or "")
        return None if rate is None else str(rate)

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.ident}

    def _load(self) -> None:
        self.key = self.get_cache_key(None, None)
        self.now = self.timer()
        duration: float = self.duration  # type: ignore[attr-defined]
        self.history = [t for t in self.cache.get(self.key, []) if t > self.now - duration]

    def blocked(self) -> float | None:
        """Seconds until the next attempt is allowed, or None when it is allowed now."""
        if self.rate is None:
            return None
        self._load()
        if len(self.history) < self.num_requests:  # type: ignore[attr-defined]
            return None
        return max(1.0, self.wait() or 1.0)

    def fail(self) -> None:
        if self.rate is None:
            return
        self._load()
        self.throttle_success()


class AccountLoginThrottle(_FailedLogins):
    scope = "login_account"


class AddressLoginThrottle(_FailedLogins):
    scope = "login_address"


def _address(request: Any) -> str:
    # The address as the proxy in front reports it (DRF's NUM_PROXIES setting decides).
    return BaseThrottle().get_ident(request)


def _windows(request: Any, email: str) -> list[_FailedLogins]:
    account = hashlib.sha256(email.strip().lower().encode("utf-8", "replace")).hexdigest()
    return [AccountLoginThrottle(account), AddressLoginThrottle(_address(request))]


def login_retry_after(request: Any, email: str) -> int | None:
    """Whole seconds to wait before this address may try this account again, or None."""
    waits = [w for w in (window.blocked() for window in _windows(request, email)) if w]
    return math.ceil(max(waits)) if waits else None


def login_failed(request: Any, email: str) -> None:
    for window in _windows(request, email):
        window.fail()
