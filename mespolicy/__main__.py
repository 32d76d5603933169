"""`python -m mespolicy`: the mespolicy command, for an environment whose scripts are not on PATH."""

from mespolicy.cli import main

if __name__ == "__main__":  # pragma: no cover - run as a program
    main(prog_name="mespolicy")
