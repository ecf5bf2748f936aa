"""Prefect's local mode on a busy machine: wait long enough for its temporary server and,
when it still does not start, say in one line what to do (issue 14); and start that server
while the flow's modules load, not after (issue 13)."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from pipeline.config import Config
from pipeline.errors import UserError
from pipeline.sections import FlowsSettings
from pipeline.settings import typed


class StartupError(UserError):
    """Prefect's local server did not start."""


STARTUP_FAILED = "ephemeral Prefect API server"


@contextmanager
def local_server_wait(config: Config, start_early: bool = False) -> Iterator[Callable[[], None]]:
    """Run a flow in local mode with ``flows.local_startup_timeout_s`` as Prefect's wait for
    its temporary server (PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS; Prefect's own
    default is 20 s). With PREFECT_API_URL set, nothing changes.

    ``start_early``: the temporary server is started at once, in a thread, as Prefect would
    start it on the flow's first call; the block imports what the flow needs meanwhile (the
    server's process takes about 3.4 s to answer, the flow's modules 4.3 s to import, on 2
    cores) and calls the yielded ``ready()`` before the flow starts: it waits for the server
    and raises what its start raised. The block gets a ``ready()`` that does nothing when
    nothing was started."""
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_SERVER_EPHEMERAL_ENABLED,
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
        temporary_settings,
    )

    if PREFECT_API_URL.value():
        yield _already
        return
    timeout = max(1, int(round(typed(config, FlowsSettings).local_startup_timeout_s)))
    with temporary_settings(updates={PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS: timeout}):
        try:
            starting = _Starting() if start_early and PREFECT_SERVER_EPHEMERAL_ENABLED.value() else None
            yield starting.ready if starting else _already
        except RuntimeError as exc:
            if STARTUP_FAILED not in str(exc):
                raise
            _stop_local_server()
            raise StartupError(
                f"Prefect's local server did not start within {timeout} s (a busy machine?): run again with "
                f"--set flows.local_startup_timeout_s={timeout * 2}, or start a server (`prefect server start`) "
                "and set PREFECT_API_URL"
            ) from None


def _already() -> None:
    """``ready()`` where nothing was started early."""


class _Starting:
    """Prefect's temporary server being started in a thread (under the settings of the
    caller's context, which a thread does not inherit). Prefect keeps one such server a
    process and starts it once: the flow's own start then finds it running. A block that
    fails before ``ready()`` leaves the thread be; Prefect stops the server at exit."""

    def __init__(self) -> None:
        from prefect.server.api.server import SubprocessASGIServer  # its import here: 1.5 s

        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._start, args=(contextvars.copy_context(), SubprocessASGIServer()),
                                        name="prefect-local-server", daemon=True)
        self._thread.start()

    def _start(self, context: contextvars.Context, server) -> None:
        try:
            context.run(server.start)
        except BaseException as exc:  # noqa: BLE001  (raised in the caller's thread by ready())
            self._error = exc

    def ready(self) -> None:
        """Wait until the server answers; raise what its start raised."""
        self._thread.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error


def _stop_local_server() -> None:
    """Stop a temporary server that was started but never answered (no orphan left)."""
    from prefect.server.api.server import SubprocessASGIServer

    for server in list(SubprocessASGIServer._instances.values()):
        if server.server_process is not None and not _answers(server):
            # Killed, not terminated: it never answered, so there is nothing to shut down,
            # and a server terminated half-way through its start-up prints its shutdown's
            # traceback on the run's stderr (seen on a loaded machine).
            server.server_process.kill()
            server.server_process.wait()
            server.stop()


def _answers(server) -> bool:
    import httpx

    try:
        return httpx.get(f"{server.api_url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
