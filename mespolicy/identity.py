"""Which policy decided: its name and version (the `policy` line) and a hash of its rule files.

The hash is of the files' content only, so it is the same on every machine and from
any working directory: each file's place in the policy folder (`renewal.mes`, a
library file as `library:fees.mes`, the standard facts a policy that declares none
reads as `standard:facts.mes`) and its text as UTF-8 bytes, the files in the
order of their places (compared as Unicode code points). For each file the hash
reads the place, a NUL byte, the byte count in decimal, a NUL byte and the bytes,
so no two sets of files give the same input. The tests beside the rules are not
part of it: they do not decide anything.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from mespolicy import nodes as n
from mespolicy.model.decision import PolicyIdentity


def content_hash(files: Iterable[n.PolicyFile]) -> str:
    """`sha256:` and the hex digest of the files' places and bytes, in the order of their places."""
    digest = hashlib.sha256()
    for file in sorted(files, key=lambda f: f.path):
        data = file.text.encode("utf-8", "surrogatepass")
        digest.update(file.path.encode("utf-8", "surrogatepass") + b"\0")
        digest.update(str(len(data)).encode("ascii") + b"\0" + data)
    return "sha256:" + digest.hexdigest()


def identity_of(header: n.PolicyHeader | None, files: Iterable[n.PolicyFile]) -> PolicyIdentity:
    """The identity a decision carries: the `policy` line's name and version (None without one)."""
    name = None if header is None else header.name
    version = None if header is None else header.version
    return PolicyIdentity(name, version, content_hash(files))
