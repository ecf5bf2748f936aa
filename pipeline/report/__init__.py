"""The report and the explorer's pure parts: data preparation for the charts and tables,
citations, and the self-contained HTML page (plotly's JavaScript inlined, nothing fetched).
No DuckDB here: ``pipeline.store.report`` reads, ``pipeline.jobs.report`` writes the file."""
