"""Offline scripts that build the project's data and fitted files; run from the repository root
as modules (`python -m scripts.NAME`, `python -m scripts.eval_data.NAME`) so they share
scripts/wheels.py."""
