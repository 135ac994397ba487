"""Benchmarks and evaluations behind docs/benchmarks.md (`make bench`)."""
