"""The contract model: customers, licenses, contracts, money, dates; knows nothing of rule files."""

from mespolicy.model.calendar import (
    DateError,
    Term,
    add_days,
    add_months,
    days_between,
    parse_date,
)
from mespolicy.model.contracts import Contract, Customer, License, LicenseKind, Role
from mespolicy.model.decision import (
    Charge,
    Decision,
    Outcome,
    PolicyIdentity,
    Reason,
    TraceStep,
    decision_to_json,
)
from mespolicy.model.facts import Facts
from mespolicy.model.money import (
    AmountError,
    Money,
    format_amount,
    format_money,
    is_known_currency,
    minor_units,
    parse_amount,
    round_half_up,
    sum_money,
)
from mespolicy.model.request import (
    Request,
    RequestError,
    parse_request,
    parse_request_json,
    request_to_json,
)

__all__ = [
    "AmountError",
    "Charge",
    "Contract",
    "Customer",
    "DateError",
    "Decision",
    "Facts",
    "License",
    "LicenseKind",
    "Money",
    "Outcome",
    "PolicyIdentity",
    "Reason",
    "Request",
    "RequestError",
    "Role",
    "Term",
    "TraceStep",
    "add_days",
    "add_months",
    "days_between",
    "decision_to_json",
    "format_amount",
    "format_money",
    "is_known_currency",
    "minor_units",
    "parse_amount",
    "parse_date",
    "parse_request",
    "parse_request_json",
    "request_to_json",
    "round_half_up",
    "sum_money",
]
