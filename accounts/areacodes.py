"""Area-code arithmetic, in one place.

An area is identified by its 12-digit statistical code. The first 4 digits name the prefecture,
6 the county, 9 the township, 12 the village; an area's descendants are exactly the codes that
start with its *significant prefix*, and its ancestors are its code cut at 4/6/9 digits and padded
back to 12 with zeros. Every report, scope and rule that needs this arithmetic uses these functions
(Python) or their SQL forms (`ancestor_sql`, `AncestorCode`, `like`), so the rule is written once.

Pure: no models are imported here (accounts.models imports this module).
"""

from __future__ import annotations

from django.db.models import F, Func, Value
from django.db.models.fields import CharField

CODE_LENGTH = 12

# Significant digits per level, top down.
LEVELS: tuple[tuple[str, int], ...] = (("prefecture", 4), ("county", 6), ("township", 9), ("village", 12))
PREFIX_LENGTH: dict[str, int] = dict(LEVELS)
CHILD_LEVEL: dict[str, str] = {LEVELS[i][0]: LEVELS[i + 1][0] for i in range(len(LEVELS) - 1)}

# The one prefecture this system serves (黔东南苗族侗族自治州).
PREFECTURE_CODE = "522600000000"


def level_of(code: str) -> str:
    """The level a 12-digit code names, from its trailing zeros (522634000000 → county)."""
    for level, n in LEVELS:
        if code[n:].strip("0") == "":
            return level
    return "village"


def prefix_of(code: str, level: str | None = None) -> str:
    """The significant prefix of the area `code` (at its own level unless `level` is given)."""
    return code[: PREFIX_LENGTH[level or level_of(code)]]


PREFECTURE_PREFIX = prefix_of(PREFECTURE_CODE)


def ancestor_code(code: str, level: str) -> str:
    """The code of the area at `level` that contains `code` (itself when it is at that level)."""
    return code[: PREFIX_LENGTH[level]].ljust(CODE_LENGTH, "0")


def county_of(code: str) -> str:
    return ancestor_code(code, "county")


def township_of(code: str) -> str:
    return ancestor_code(code, "township")


def ancestor_codes(code: str, *, include_self: bool = True) -> list[str]:
    """Codes of the areas above `code`, prefecture first (and `code` itself last by default)."""
    own = PREFIX_LENGTH[level_of(code)]
    above = [ancestor_code(code, level) for level, n in LEVELS if n < own]
    return above + [code] if include_self else above


def contains(prefix: str, code: str) -> bool:
    return code.startswith(prefix)


def in_any(code: str, prefixes) -> bool:
    return any(code.startswith(p) for p in prefixes)


def like(prefix: str) -> str:
    """The LIKE pattern for every code under `prefix` (the varchar_pattern_ops index serves it)."""
    return prefix + "%"


def ancestor_sql(column: str, level: str) -> str:
    """SQL for the code of the ancestor at `level` of the code in `column`."""
    n = PREFIX_LENGTH[level]
    return f"rpad(left({column}, {n}), {CODE_LENGTH}, '0')"


class AncestorCode(Func):
    """ORM form of `ancestor_code`: `AncestorCode("village_id", "county")` → 522634000000."""

    function = "RPAD"
    output_field = CharField()

    def __init__(self, expression, level: str, **extra):
        if isinstance(expression, str):
            expression = F(expression)
        n = PREFIX_LENGTH[level]
        super().__init__(Func(expression, Value(n), function="LEFT"), Value(CODE_LENGTH), Value("0"), **extra)
