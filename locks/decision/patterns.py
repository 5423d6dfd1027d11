"""Regular expressions that match a whole string, in both dialects they are read in.

msgspec and Django check a pattern with Python's `re.search`, where `$` also matches just before a final
newline: `^[0-9A-Z]+$` accepts "6222020000009999\n", which then hashes to a different payee than the one
on the risk list. The same pattern is published in the OpenAPI schema, where JSON Schema reads it as an
ECMA-262 expression, in which `\\Z` is not an anchor. `$(?!\\n)` is the true end in both: the look-ahead
refuses Python's before-the-newline match and is always true in ECMA-262, whose `$` is the true end.
"""

from typing import Final

_TRUE_END: Final = r"$(?!\n)"


def whole(regex: str) -> str:
    """`regex` anchored at the start and at the true end of the string."""
    return f"^(?:{regex}){_TRUE_END}"
