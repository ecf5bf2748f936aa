"""Shared CLI options and the error boundary (library errors -> one-line messages)."""

from __future__ import annotations

import functools
import os
import sys
import traceback

import click

from pipeline.config import ConfigError, load_config
from pipeline.errors import UserError

# Errors a user can fix (pipeline/errors.py: UserError and its subclasses, nothing else)
# become one line, exit code 1. Anything else is a bug: its traceback is shown, then BUG_HINT.
BUG_HINT = ("probation-corpus: this is a bug, not something you did wrong: please report it "
            "with the traceback above and the command you ran")


def config_options(fn):
    """--db, --config and --set on a command; passes ``config`` and ``db``."""

    @click.option("--db", "db", type=click.Path(dir_okay=False), default=None,
                  help="DuckDB file (default: paths.db from the config).")
    @click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
                  help="Config file (default: ./probation-corpus.toml if present, else built-in defaults).")
    @click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
                  help="Override one config key for this run, e.g. --set dedupe.near_threshold=0.85.")
    @functools.wraps(fn)
    def wrapper(*args, db, config_path, overrides, **kwargs):
        try:
            config = load_config(config_path, list(overrides))
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None
        return fn(*args, config=config, db=db, **kwargs)

    return wrapper


def writer_options(fn):
    """--wait SECONDS (store.lock_wait_s) and --follow-symlinks (ingest.follow_symlinks) on a
    writing command; place below ``config_options``: they adjust ``config``."""

    @click.option("--wait", "wait_s", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
                  help="Wait up to SECONDS for another run writing to the database (default: store.lock_wait_s).")
    @click.option("--follow-symlinks", is_flag=True, default=False,
                  help="Follow symbolic links that lead outside the folders given (ingest.follow_symlinks).")
    @functools.wraps(fn)
    def wrapper(*args, config, wait_s, follow_symlinks, **kwargs):
        overrides: dict = {}
        if wait_s is not None:
            overrides["store"] = {"lock_wait_s": float(wait_s)}
        if follow_symlinks:
            overrides["ingest"] = {"follow_symlinks": True}
        if overrides:
            config = config.with_overrides(overrides)
        return fn(*args, config=config, **kwargs)

    return wrapper


def user_errors(fn):
    """The CLI's error boundary: a :class:`UserError` becomes its one line (exit code 1); any
    other exception keeps its traceback, followed by a one-line hint to report it (exit code 1)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except UserError as exc:
            raise click.ClickException(exc.one_line()) from None
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception:
            traceback.print_exc(file=sys.stderr)
            click.echo(BUG_HINT, err=True)
            sys.exit(1)

    return wrapper


def quiet_prefect() -> None:
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
