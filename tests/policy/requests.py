"""Small builders for policy requests, each made by ``mespolicy.parse_request`` (the JSON path).

Dates are ISO strings or ``datetime.date``; amounts are decimal strings, as in
request JSON. Every builder takes ``role`` so the same facts can be asked by a
customer or a partner (§1.2).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

import mespolicy

Day = str | date
# A contract to co-terminate: (start, end, annual fee) or (start, end, annual fee, currency).
Held = tuple[Day, Day, str] | tuple[Day, Day, str, str]

FEE = "12000.00"
CURRENCY = "USD"


def iso(day: Day) -> str:
    """``day`` as ``YYYY-MM-DD``."""
    return day if isinstance(day, str) else day.isoformat()


def year_before(day: Day) -> str:
    """The same day a year earlier (29 February goes to the 28th), as ``YYYY-MM-DD``."""
    d = date.fromisoformat(iso(day))
    day_of_month = 28 if (d.month, d.day) == (2, 29) else d.day
    return date(d.year - 1, d.month, day_of_month).isoformat()


def customer_json(existing: bool = True, role: str = "customer", ident: str = "C1") -> dict[str, object]:
    """The ``customer`` object of a request."""
    return {"id": ident, "role": role, "existing": existing}


def contract_json(
    start: Day,
    end: Day,
    fee: str = FEE,
    currency: str = CURRENCY,
    ident: str = "M1",
    licenses: Iterable[str] = ("L1", "L2"),
) -> dict[str, object]:
    """One entry of ``contracts``."""
    return {
        "id": ident,
        "currency": currency,
        "start": iso(start),
        "end": iso(end),
        "annual_fee": fee,
        "licenses": list(licenses),
    }


def license_json(
    shipped: Day,
    fee: str = FEE,
    currency: str = CURRENCY,
    ident: str = "L1",
    kind: str = "perpetual",
    product: str = "NX",
) -> dict[str, object]:
    """One entry of ``licenses``."""
    return {
        "id": ident,
        "product": product,
        "kind": kind,
        "shipped": iso(shipped),
        "annual_fee": fee,
        "currency": currency,
    }


def request_json(
    action: str, day: Day, *, existing: bool = True, role: str = "customer", **rest: object
) -> dict[str, object]:
    """A request object; ``rest`` holds the optional top-level keys."""
    data: dict[str, object] = {
        "action": action,
        "date": iso(day),
        "customer": customer_json(existing, role),
    }
    data.update({key: value for key, value in rest.items() if value is not None})
    return data


def renew(
    day: Day, start: Day, end: Day, fee: str = FEE, currency: str = CURRENCY, role: str = "customer"
) -> mespolicy.Facts:
    """Renew contract M1, [start, end), on ``day``."""
    return mespolicy.parse_request(
        request_json(
            "renew",
            day,
            role=role,
            contracts=[contract_json(start, end, fee, currency)],
            licenses=[license_json(start, fee, currency)],
            contract="M1",
        )
    )


def initial(
    day: Day,
    shipped: Day,
    fee: str = FEE,
    currency: str = CURRENCY,
    *,
    existing: bool = False,
    coterminate_end: Day | None = None,
    role: str = "customer",
) -> mespolicy.Facts:
    """Sign the initial ME&S of license L1 (shipped on ``shipped``) on ``day``.

    With ``coterminate_end`` the customer holds contract M0 ending that day and
    asks to end the new term with it (§5.3).
    """
    held = (
        []
        if coterminate_end is None
        else [contract_json(year_before(coterminate_end), coterminate_end, "5000.00", currency, "M0", ["L0"])]
    )
    return mespolicy.parse_request(
        request_json(
            "initial",
            day,
            existing=existing,
            role=role,
            contracts=held,
            licenses=[license_json(shipped, fee, currency)],
            license="L1",
            coterminate_with=None if coterminate_end is None else "M0",
        )
    )


def cancel(
    day: Day,
    start: Day,
    end: Day,
    fee: str = FEE,
    currency: str = CURRENCY,
    *,
    licenses: Sequence[str] = ("L1", "L2"),
    cancel_licenses: Sequence[str] | None = None,
    role: str = "customer",
) -> mespolicy.Facts:
    """A written cancellation notice for contract M1, [start, end), received on ``day``."""
    return mespolicy.parse_request(
        request_json(
            "cancel",
            day,
            role=role,
            contracts=[contract_json(start, end, fee, currency, licenses=licenses)],
            contract="M1",
            cancel_licenses=None if cancel_licenses is None else list(cancel_licenses),
        )
    )


def coterminate(
    day: Day,
    contracts: Sequence[Held],
    target_end: Day | None = None,
    role: str = "customer",
) -> mespolicy.Facts:
    """Co-terminate contracts M1, M2, ... given as (start, end, fee[, currency]) on ``day``."""
    entries = [
        contract_json(c[0], c[1], c[2], c[3] if len(c) > 3 else CURRENCY, f"M{i}", [f"L{i}"])
        for i, c in enumerate(contracts, start=1)
    ]
    return mespolicy.parse_request(
        request_json(
            "coterminate",
            day,
            role=role,
            contracts=entries,
            target_end=None if target_end is None else iso(target_end),
        )
    )


def status(
    day: Day,
    start: Day | None = None,
    end: Day | None = None,
    *,
    shipped: Day | None = None,
    role: str = "customer",
) -> mespolicy.Facts:
    """Where contract M1 ([start, end)) stands on ``day``; or, with ``shipped`` only,
    license L1 without ME&S."""
    if start is not None and end is not None:
        return mespolicy.parse_request(
            request_json(
                "status",
                day,
                role=role,
                contracts=[contract_json(start, end)],
                contract="M1",
            )
        )
    if shipped is None:
        raise ValueError("status needs a contract (start, end) or a license (shipped)")
    return mespolicy.parse_request(
        request_json(
            "status",
            day,
            role=role,
            existing=False,
            licenses=[license_json(shipped)],
            license="L1",
        )
    )


def premium(
    day: Day,
    start: Day | None = "2025-01-01",
    end: Day | None = "2026-01-01",
    *,
    kind: str = "perpetual",
    tier: str | None = None,
    role: str = "customer",
) -> mespolicy.Facts:
    """Ask for premium support on license L1 of kind ``kind`` on ``day``; its ME&S contract M1
    covers [start, end), or there is none when ``start`` is None."""
    held = [] if start is None or end is None else [contract_json(start, end, licenses=["L1"])]
    return mespolicy.parse_request(
        request_json(
            "premium_support",
            day,
            role=role,
            contracts=held,
            licenses=[license_json("2025-01-01", kind=kind)],
            license="L1",
            tier=tier,
        )
    )


def as_partner(request: mespolicy.Facts) -> mespolicy.Facts:
    """The same request, asked by a partner (through the JSON form again)."""
    data = mespolicy.request_to_json(request)
    customer = data["customer"]
    assert isinstance(customer, dict)
    data["customer"] = {**customer, "role": "partner"}
    return mespolicy.parse_request(data)
