"""Benchmark harness: measures tracehouse against the tutorial's Python loop (`make bench`).

Separate from the tests on purpose: benchmarks measure, tests check behaviour, and no test
asserts a wall-clock time (the machines are shared and noisy).
"""
