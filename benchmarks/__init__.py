"""Benchmarks of mespolicy: throughput, load time and memory, each against a baseline of the same run.

Run ``python -m benchmarks`` (``--quick`` for a smaller run). The baselines are a
hand-written Python implementation of the renew and cancel logic
(``benchmarks.handwritten``) and the late-renewal logic as a GoRules ZEN decision
graph (``benchmarks.zen``), both checked against ``policy.decide`` on the same
requests before they are timed; and, for figures 7-11, a lean hand-written reading
of all six actions (``benchmarks.lean``, stdlib only) on generated portfolios
(``benchmarks.portfolio``), checked line by line against ``mespolicy decide --jsonl``.
"""
