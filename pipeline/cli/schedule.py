"""`probation-corpus schedule`: the deployments of prefect.yaml on a Prefect server.

Thin over :mod:`pipeline.flows.deployments` (imported inside each command, so that
``probation-corpus --help`` does not load Prefect).
"""

from __future__ import annotations

import sys
from datetime import datetime

import click
from rich.console import Console
from rich.table import Table

from pipeline.cli.common import user_errors

_FILE_OPTION = click.option(
    "--file", "prefect_file", type=click.Path(dir_okay=False, exists=True), default=None,
    help="Deployment file (default: prefect.yaml at the project root).")


def _file(prefect_file: str | None):
    from pipeline.flows import deployments

    return prefect_file or deployments.PREFECT_FILE


def _when(t: datetime | None) -> str:
    return t.astimezone().strftime("%Y-%m-%d %H:%M %Z") if t else ""


@click.group()
def schedule() -> None:
    """Scheduled flows on a Prefect server (PREFECT_API_URL): deploy, show, re-run a stage."""


@schedule.command()
@_FILE_OPTION
@user_errors
def deploy(prefect_file):
    """Create the work pool if missing and apply every deployment of prefect.yaml."""
    from pipeline.flows import deployments

    created, statuses = deployments.deploy(_file(prefect_file))
    for pool in created:
        click.echo(f"created work pool {pool}")
    for st in statuses:
        when = "; ".join(f"{s.cron} ({s.timezone or 'UTC'})" for s in st.schedules) or "on demand"
        click.echo(f"deployed {st.flow_name}/{st.spec.name} on {st.spec.work_pool}: {when}")
    for pool in sorted({st.spec.work_pool for st in statuses}):
        click.echo(f"start a worker: probation-corpus schedule worker --pool {pool}")


@schedule.command()
@_FILE_OPTION
@user_errors
def show(prefect_file):
    """The deployments with their schedules, next and last run on the server."""
    from pipeline.flows import deployments

    t = Table("deployment", "schedule", "pool", "next run", "last run")
    for column in t.columns[:4]:
        column.no_wrap = True
    for st in deployments.show(_file(prefect_file)):
        if not st.deployed:
            t.add_row(st.spec.name, "not deployed", st.spec.work_pool, "", "")
            continue
        when = "\n".join(f"{s.cron} {s.timezone or 'UTC'}" + ("" if s.active else " (inactive)")
                         for s in st.schedules) or "on demand"
        if st.paused:
            when += " (paused)"
        last = f"{st.last_run[0]} {_when(st.last_run[1])}" if st.last_run else ""
        t.add_row(st.spec.name, when, st.spec.work_pool, _when(st.next_run), last)
    Console().print(t)


@schedule.command()
@click.argument("stage")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--db", "db", type=click.Path(dir_okay=False), default=None,
              help="DuckDB file (default: paths.db of the worker's config).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Config file (default: probation-corpus.toml at the project root, if present).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override one config key.")
@click.option("--option", "options", multiple=True, metavar="KEY=VALUE",
              help="An option of the stage's job, e.g. --option refit=true for topics.")
@click.option("--wait", "wait_s", type=float, default=None, metavar="SECONDS",
              help="Wait up to SECONDS for the run to finish; exit 1 unless it completed.")
@_FILE_OPTION
@user_errors
def rerun(stage, paths, db, config_path, overrides, options, wait_s, prefect_file):
    """Have the worker re-run STAGE (on PATHS for ingest) through the run-stage deployment."""
    from pipeline.flows import deployments

    run = deployments.rerun_stage(stage, paths, db, config_path, overrides, options, wait_s,
                                   _file(prefect_file))
    click.echo(f"flow run {run.name} ({run.id}): {run.state}" + (f" - {run.message}" if run.message else ""))
    if wait_s is not None and run.state_type != "COMPLETED":
        sys.exit(1)


@schedule.command()
@click.option("--pool", default=None, help="Work pool (default: the one in prefect.yaml).")
@_FILE_OPTION
@user_errors
def worker(pool, prefect_file):
    """Run a process worker from the project root in the foreground (Ctrl-C stops it)."""
    from pipeline.flows import deployments

    sys.exit(deployments.run_worker(pool, _file(prefect_file)))
