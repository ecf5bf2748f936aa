"""A polite, robust HTTP client for the blog's feeds.

- a descriptive User-Agent on every request;
- robots.txt of each host read once (``urllib.robotparser``) and honoured, with its
  Crawl-delay if longer than ours;
- at least ``delay_s`` between the starts of two requests;
- a timeout per request; retries with exponential backoff and jitter on timeouts,
  connection errors, 429 (honouring ``Retry-After``) and 5xx; no retry on other 4xx.

Time is injected (``sleep``, ``clock``, ``rng``) so tests check every wait without
waiting. Errors a user can act on are :class:`~pipeline.sync.feeds.SyncError` (one line).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from pipeline.settings import settings_from
from pipeline.sync.feeds import SyncError
from pipeline.sync.settings import SyncSettings

RETRY_STATUSES = frozenset({429}) | frozenset(range(500, 600))


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    body: bytes
    content_type: str


def backoff_delay(attempt: int, base_s: float, cap_s: float, rng: random.Random) -> float:
    """Wait before retry ``attempt`` (1, 2, ...): ``min(cap, base * 2**(attempt-1))``, with
    "equal jitter" (half of it fixed, half uniform), so retries of many clients spread."""
    full = min(cap_s, base_s * 2 ** (attempt - 1))
    return full / 2 + rng.uniform(0, full / 2)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: a number of seconds or an HTTP date; None if absent or unreadable."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


@dataclass
class ClientStats:
    requests: int = 0
    retries: int = 0
    waited_s: float = 0.0
    waits: list[float] = field(default_factory=list)  # every sleep, in order (delays and backoffs)


class PoliteClient:
    """GET with manners. Use as a context manager (closes the connection pool)."""

    def __init__(self, settings: SyncSettings, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, rng: random.Random | None = None,
                 transport: httpx.BaseTransport | None = None):
        """``settings``: the ``[sync]`` section; ``sleep``, ``clock``, ``rng`` and ``transport``
        are injected by tests (a fake clock, a simulated blog)."""
        if not settings.user_agent.strip():
            raise SyncError("sync.user_agent is empty: requests must say who is asking")
        self.user_agent = settings.user_agent
        self.delay_s, self.max_retries = settings.delay_seconds, settings.max_retries
        self.backoff_base_s, self.backoff_cap_s = settings.backoff_base_seconds, settings.backoff_cap_seconds
        self.retry_after_max_s = settings.retry_after_max_seconds
        self.respect_robots = settings.respect_robots
        self._sleep, self._clock, self._rng = sleep, clock, rng or random.Random()
        self._http = httpx.Client(headers={"User-Agent": settings.user_agent}, timeout=settings.timeout_seconds,
                                  follow_redirects=True, transport=transport)
        self._robots: dict[str, RobotFileParser] = {}
        self._last_start: float | None = None
        self.stats = ClientStats()

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], **kw) -> "PoliteClient":
        """From the ``[sync]`` config section (``kw``: sleep, clock, rng, transport)."""
        return cls(settings_from(SyncSettings, cfg, "sync"), **kw)

    def __enter__(self) -> "PoliteClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- waiting ---------------------------------------------------------------------------

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self.stats.waits.append(seconds)
            self.stats.waited_s += seconds
            self._sleep(seconds)

    def _pace(self, delay_s: float) -> None:
        """Keep ``delay_s`` between the starts of two requests."""
        if self._last_start is not None:
            self._wait(self._last_start + delay_s - self._clock())
        self._last_start = self._clock()

    # -- robots.txt ------------------------------------------------------------------------

    def _robots_for(self, url: str) -> RobotFileParser:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            rp = RobotFileParser(origin + "/robots.txt")
            resp = self._get(origin + "/robots.txt", self.delay_s, robots=True)
            if resp.status in (401, 403):
                rp.disallow_all = True
            elif resp.status >= 400:
                rp.allow_all = True  # no robots.txt: everything allowed
            else:
                rp.parse(resp.body.decode("utf-8", "replace").splitlines())
            self._robots[origin] = rp
        return self._robots[origin]

    def allowed(self, url: str) -> bool:
        return not self.respect_robots or self._robots_for(url).can_fetch(self.user_agent, url)

    def _delay_for(self, url: str) -> float:
        if not self.respect_robots:
            return self.delay_s
        crawl = self._robots_for(url).crawl_delay(self.user_agent)
        return max(self.delay_s, float(crawl or 0))

    # -- GET -------------------------------------------------------------------------------

    def get(self, url: str) -> Response:
        """The 2xx response to GET ``url``; :class:`SyncError` when robots.txt forbids it,
        on a 4xx other than 429, or when retries run out."""
        if not self.allowed(url):
            raise SyncError(f"robots.txt of {urlsplit(url).netloc} disallows {url} for this user agent; "
                            "not fetched (set sync.respect_robots=false only with the blog owner's leave)")
        resp = self._get(url, self._delay_for(url))
        if resp.status >= 400:
            raise SyncError(f"HTTP {resp.status} for {url}")
        return resp

    def _get(self, url: str, delay_s: float, robots: bool = False) -> Response:
        attempt = 0
        while True:
            self._pace(delay_s)
            self.stats.requests += 1
            wait: float | None = None
            try:
                r = self._http.get(url)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                reason = "timed out" if isinstance(exc, httpx.TimeoutException) else f"failed ({type(exc).__name__})"
                if attempt >= self.max_retries:
                    raise SyncError(f"GET {url} {reason} {attempt + 1} times; giving up "
                                    "(raise sync.timeout_seconds or sync.max_retries, or try later)") from None
            else:
                if r.status_code not in RETRY_STATUSES or (robots and r.status_code != 429 and r.status_code < 500):
                    return Response(str(r.url), r.status_code, r.content, r.headers.get("content-type", ""))
                if attempt >= self.max_retries:
                    raise SyncError(f"HTTP {r.status_code} for {url} after {attempt + 1} tries; giving up (try later)")
                wait = retry_after_seconds(r.headers.get("retry-after"))
                if wait is not None and wait > self.retry_after_max_s:
                    raise SyncError(f"HTTP {r.status_code} for {url}: the server asks to wait {wait:.0f} s, over "
                                    f"sync.retry_after_max_seconds ({self.retry_after_max_s:.0f}); try later")
            attempt += 1
            self.stats.retries += 1
            if wait is None:
                wait = backoff_delay(attempt, self.backoff_base_s, self.backoff_cap_s, self._rng)
            self._wait(wait)  # the request delay counts from before it: no second pause on top


__all__ = ["PoliteClient", "Response", "ClientStats", "backoff_delay", "retry_after_seconds", "RETRY_STATUSES"]
