"""Simulated world: a synthetic population with ground truth and faithful simulators of the five systems.

Stands alone: imports nothing of the hub but configuration for writing a matching config file.
"""
