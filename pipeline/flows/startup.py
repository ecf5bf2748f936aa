"""Prefect's local mode on a busy machine: wait long enough for its temporary server and,
when it still does not start, say in one line what to do (issue 14)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pipeline.config import Config
from pipeline.errors import UserError
from pipeline.sections import FlowsSettings
from pipeline.settings import typed


class StartupError(UserError):
    """Prefect's local server did not start."""


STARTUP_FAILED = "ephemeral Prefect API server"


@contextmanager
def local_server_wait(config: Config) -> Iterator[None]:
    """Run a flow in local mode with ``flows.local_startup_timeout_s`` as Prefect's wait for
    its temporary server (PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS; Prefect's own
    default is 20 s). With PREFECT_API_URL set, nothing changes."""
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
        temporary_settings,
    )

    if PREFECT_API_URL.value():
        yield
        return
    timeout = max(1, int(round(typed(config, FlowsSettings).local_startup_timeout_s)))
    with temporary_settings(updates={PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS: timeout}):
        try:
            yield
        except RuntimeError as exc:
            if STARTUP_FAILED not in str(exc):
                raise
            _stop_local_server()
            raise StartupError(
                f"Prefect's local server did not start within {timeout} s (a busy machine?): run again with "
                f"--set flows.local_startup_timeout_s={timeout * 2}, or start a server (`prefect server start`) "
                "and set PREFECT_API_URL"
            ) from None


def _stop_local_server() -> None:
    """Stop a temporary server that was started but never answered (no orphan left)."""
    from prefect.server.api.server import SubprocessASGIServer

    for server in list(SubprocessASGIServer._instances.values()):
        if server.server_process is not None and not _answers(server):
            server.stop()


def _answers(server) -> bool:
    import httpx

    try:
        return httpx.get(f"{server.api_url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
