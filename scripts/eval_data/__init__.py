"""Builders of the evaluation sets under tests/eval/ (run as `python -m scripts.eval_data.NAME`)."""
