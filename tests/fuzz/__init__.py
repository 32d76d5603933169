"""Fuzzing kept in the project (issue 9): generated type-correct policies, mutated rule files and requests.

- `policies.py`   a hypothesis strategy for small policies that pass `check` by construction
- `requests.py`   well-typed random requests for a generated policy (the model's request strategy)
- `mutations.py`  byte and token mutations of the shipped rules and the example requests
- `harness.py`    the oracles: only the project's own (located) errors may come out, nothing
                  outside the policy folder may show in an error, `decide --jsonl` loses no line;
                  found cases are written to `found/` and replayed by the test suite
- `targets.py`    the four hypothesis targets (generated, rules, request, jsonl), sized for CI or a long run
- `test_fuzz.py`  all of it at CI size (HYPOTHESIS_PROFILE=ci), plus the replay of `found/`
- `__main__.py`   the long run: `python -m tests.fuzz --minutes 30` (`nox -s fuzz -- --minutes 30`)
"""
