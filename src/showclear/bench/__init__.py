"""Benchmarks and the baselines they are compared with."""
