"""Data quality of the staging layer with Great Expectations 1.x: one suite per staging table.

`suites` says what is expected; `runner.validate_staging` runs them on every pipeline run, stores each
result in `quality_result` and renders Data Docs under <data_dir>/data_docs/ (GE's files: <data_dir>/gx/).
"""
