"""mespolicy: software maintenance (ME&S) policy as code, from rule files to decisions.

Use::

    import mespolicy
    policy = mespolicy.load()            # the shipped policy, parsed, checked and compiled
    decision = policy.decide(request)    # JSON data or a mespolicy.Request -> a mespolicy.Decision
"""

import functools

from mespolicy.errors import (
    Diagnostic,
    EvaluationError,
    MespolicyError,
    PolicyCheckError,
    PolicyFileError,
    PolicyLoadError,
    PolicySyntaxError,
    Severity,
)
from mespolicy.limits import Limits
from mespolicy.model import (
    Charge,
    Contract,
    Customer,
    Decision,
    Facts,
    License,
    LicenseKind,
    Money,
    Outcome,
    PolicyIdentity,
    Reason,
    Request,
    RequestError,
    Role,
    Term,
    TraceStep,
    decision_to_json,
    parse_request,
    parse_request_json,
    request_to_json,
)
from mespolicy.policy import Policy, load


@functools.cache
def version() -> str:
    """The installed library's version ("unknown" in a source checkout that was never installed)."""
    # importlib.metadata is read here, not at import: it costs a tenth of a second a decide does not need
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed_version

    try:
        return installed_version("mespolicy")
    except PackageNotFoundError:
        return "unknown"


def __getattr__(name: str) -> str:
    if name == "__version__":
        return version()
    raise AttributeError(f"module 'mespolicy' has no attribute {name!r}")

__all__ = [
    "Charge",
    "Contract",
    "Customer",
    "Decision",
    "Diagnostic",
    "EvaluationError",
    "Facts",
    "License",
    "LicenseKind",
    "Limits",
    "MespolicyError",
    "Money",
    "Outcome",
    "Policy",
    "PolicyCheckError",
    "PolicyFileError",
    "PolicyIdentity",
    "PolicyLoadError",
    "PolicySyntaxError",
    "Reason",
    "Request",
    "RequestError",
    "Role",
    "Severity",
    "Term",
    "TraceStep",
    "__version__",
    "decision_to_json",
    "load",
    "parse_request",
    "parse_request_json",
    "request_to_json",
    "version",
]
