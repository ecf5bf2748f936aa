"""The only package that imports Prefect: one thin task per stage, and the flows."""
