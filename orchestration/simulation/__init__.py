"""Simulated landing zones for demos, tests and benchmarks. The runtime never imports this."""
