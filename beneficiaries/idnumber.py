"""Resident identity card numbers (GB 11643-1999): validation, derived facts, masking.

Pure functions, no database: the area-code check takes the set of known codes as an argument
when the caller wants the stricter test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
PATTERN = re.compile(r"^[1-9][0-9]{16}[0-9X]$")

# First two digits: the province-level codes of GB/T 2260.
PROVINCE_CODES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82 83 91".split()
)


@dataclass(frozen=True)
class IdFacts:
    birth_date: date
    sex: str  # "M" or "F"

    def age_on(self, day: date) -> int:
        return age_on(self.birth_date, day)


def normalize(raw: str) -> str:
    """Strip blanks and full-width characters people paste from spreadsheets; upper-case the X."""
    table = str.maketrans("０１２３４５６７８９ｘＸ", "0123456789XX")
    return re.sub(r"\s+", "", (raw or "")).translate(table).upper()


def check_char(first17: str) -> str:
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def parse(raw: str, *, today: date | None = None) -> IdFacts:
    """Validate an 18-digit ID number and return the facts it encodes, or raise ValidationError
    with a Chinese message that says what is wrong."""
    number = normalize(raw)
    if len(number) != 18:
        raise ValidationError(_("身份证号应为18位，当前为%(n)d位。") % {"n": len(number)}, code="length")
    if not PATTERN.match(number):
        raise ValidationError(_("身份证号只能由数字组成，最后一位可以是X。"), code="chars")
    if number[:2] not in PROVINCE_CODES:
        raise ValidationError(_("身份证号前两位“%(p)s”不是有效的省级行政区划代码。") % {"p": number[:2]}, code="area")
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise ValidationError(_("身份证号中的出生日期“%(d)s”不存在。") % {"d": number[6:14]}, code="birth") from exc
    today = today or date.today()
    if birth > today or birth.year < 1900:
        raise ValidationError(_("身份证号中的出生日期“%(d)s”不合理。") % {"d": number[6:14]}, code="birth")
    expected = check_char(number[:17])
    if number[17] != expected:
        raise ValidationError(_("身份证号校验位错误，请核对是否录入有误。"), code="checksum")
    return IdFacts(birth_date=birth, sex="M" if int(number[16]) % 2 else "F")


def validate_id_number(value: str) -> None:
    """Django field validator."""
    parse(value)


def mask(number: str | None) -> str:
    """522601********1234: the area code and the last four digits stay, birth date hidden."""
    if not number:
        return ""
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def make(first17: str) -> str:
    """A valid number from its first 17 digits (for demo data and tests)."""
    return first17 + check_char(first17)
