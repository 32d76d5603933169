"""Makers of frozen objects from values already checked: the engine's own, a generated reader's.

A frozen class (attrs `frozen`, `Facts`) refuses `setattr`, so an instance built without
its validators has had each field set by `object.__setattr__`, one call a field (1.6 us for
twelve fields). A maker builds the instance as an open twin of its class (the same slots,
the plain `setattr`), stores each field with a plain attribute store and then makes the
object an instance of the frozen class by assigning `__class__`, which Python allows
between classes of one layout (0.6 us for the same twelve fields). The object is then
what the class's own constructor would have made, less the checks.

The maker's source is generated from the field names only: each is an ASCII Python
identifier that is not a keyword, or the maker sets the fields one call each, as before.
"""

from __future__ import annotations

import functools
import keyword
from collections.abc import Callable
from typing import Any, TypeVar, cast

T = TypeVar("T")

_new = object.__new__
_set = object.__setattr__


def maker(cls: type[T], names: tuple[str, ...]) -> Callable[..., T]:
    """A function of the values of `names`, in that order, making an instance of `cls` with them."""
    make: Callable[..., T] = _maker(cast(type, cls), names)
    return make


# one maker a class: the generated readers of every policy loaded share their records' classes
@functools.lru_cache(maxsize=1024)
def _maker(cls: type[Any], names: tuple[str, ...]) -> Callable[..., Any]:
    # ASCII only: Python reads a non-ASCII name in source as its NFKC form, another attribute
    if not all(name.isascii() and name.isidentifier() and not keyword.iskeyword(name) for name in names):
        return _one_call_a_field(cls, names)
    twin = type(f"open_{cls.__name__}", (cls,), {"__slots__": (), "__setattr__": object.__setattr__})
    values = [f"v{index}" for index in range(len(names))]
    lines = [f"def make({', '.join(values)}):", "    o = NEW(TWIN)"]
    lines += [f"    o.{name} = {value}" for name, value in zip(names, values, strict=True)]
    lines += ["    o.__class__ = CLASS", "    return o", ""]
    namespace: dict[str, Any] = {"__builtins__": {}, "NEW": _new, "TWIN": twin, "CLASS": cls}
    exec(compile("\n".join(lines), f"<maker of {cls.__name__}>", "exec"), namespace)  # noqa: S102 - see docstring
    make: Callable[..., Any] = namespace["make"]
    return make


def _one_call_a_field(cls: type[T], names: tuple[str, ...]) -> Callable[..., T]:
    def make(*values: object) -> T:
        made: T = _new(cls)
        for name, value in zip(names, values, strict=True):
            _set(made, name, value)
        return made

    return make
