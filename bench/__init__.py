"""Benchmarks for syncd (``python -m bench.<name>``); each module exposes ``run(quick) -> list[dict]``."""
