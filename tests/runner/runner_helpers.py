"""Helpers for the runner tests."""


class CountingEngine:
    """Delegates to a real engine and records which stages it was asked to run, per input."""

    def __init__(self, engine):
        self.engine, self.name, self.calls = engine, engine.name, []

    def run_stage(self, k, x):
        self.calls.append(k)
        return self.engine.run_stage(k, x)
