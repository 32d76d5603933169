"""The standard ME&S facts (the shipped rules/facts.mes) as the tests name them: facts, records, enums."""

from __future__ import annotations

from mespolicy import types as t
from mespolicy.checker import check
from mespolicy.declarations import standard_facts

_CHECKED = check((standard_facts(),))

FACTS = dict(_CHECKED.facts)
RECORDS = dict(_CHECKED.records)
BUILTIN_ENUMS: dict[str, t.EnumType] = dict(_CHECKED.enums)
CONTRACT = RECORDS["contract"]
LICENSE = RECORDS["license"]
CUSTOMER = RECORDS["customer"]
ROLE = BUILTIN_ENUMS["role"]
LICENSE_KIND = BUILTIN_ENUMS["license_kind"]
