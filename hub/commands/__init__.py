"""Subcommands of the `fase` CLI, one module each; they parse arguments and call pipeline functions."""
