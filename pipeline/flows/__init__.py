"""The only package that imports Prefect: one thin task per stage, and the flows."""

import os

# No network at run time: keep Prefect's server from phoning home.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
