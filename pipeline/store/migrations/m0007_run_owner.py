"""Who runs a run: process id, host and process start time in ``run_log``, so that a later
run can tell a ``running`` row whose process is gone (killed) and mark it ``interrupted``.
The ``runs`` view gains ``pid`` and ``hostname`` at its end."""

VERSION = 7
NAME = "run_owner"

SQL = """
ALTER TABLE run_log ADD COLUMN pid INTEGER;
ALTER TABLE run_log ADD COLUMN hostname VARCHAR;
ALTER TABLE run_log ADD COLUMN proc_started VARCHAR;  -- the process's start time (tells a reused pid)

CREATE OR REPLACE VIEW runs AS
SELECT run_id, flow, started_at, finished_at, status, params, code_version, config,
       model_versions, summary, error, pid, hostname
FROM run_log;
"""


def up(conn) -> None:
    conn.execute(SQL)
