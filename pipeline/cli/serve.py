"""`probation-corpus serve`: the local, read-only explorer."""

from __future__ import annotations

import click

from pipeline.cli.common import config_options, user_errors
from pipeline.sections import ServeSettings
from pipeline.settings import typed


@click.command("serve")
@click.option("--port", type=int, default=None, help="Port (default: serve.port).")
@click.option("--host", default=None, help="Address to listen on (default: serve.host, 127.0.0.1: this machine only).")
@config_options
@user_errors
def serve(port, host, config, db):
    """Browse quotes by theme, stance, topic and date, open threads, copy citations, and run
    read-only SQL with CSV download, in a browser on this machine."""
    import uvicorn

    from pipeline.serve.app import create_app

    app = create_app(db, config)
    serve = typed(config, ServeSettings)
    host = host or serve.host
    port = port if port is not None else serve.port
    click.echo(f"explorer on http://{host}:{port}/ (read-only; Ctrl+C stops it)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
