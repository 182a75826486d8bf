"""The hub: configuration, the `fase` CLI and the pipeline steps that DAGs and CLI share.

Top of the stack: may import every other package except dags.
"""
