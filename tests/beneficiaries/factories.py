"""Roster test helpers: users of each role and roster sheets built row by row."""

from __future__ import annotations

from datetime import date

from accounts.models import Role
from beneficiaries import roster_io
from tests.conftest import COUNTY, OTHER_TOWNSHIP, TOWNSHIP
from tests.factories import id_number_for, user_with_role


def county_officer(**kw):
    return user_with_role(Role.COUNTY, COUNTY, **kw)


def township_official(**kw):
    return user_with_role(Role.TOWNSHIP, TOWNSHIP, **kw)


def other_township_official(**kw):
    return user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP, **kw)


def sheet_row(household: str, village: str, name: str, number: str, relation: str = "户主", **cols) -> list[str]:
    row = dict.fromkeys(roster_io.HEADERS, "")
    row.update({"户编号": household, "村级区划代码": village, "姓名": name, "身份证号": number, "与户主关系": relation})
    row.update(cols)
    return [row[h] for h in roster_io.HEADERS]


def roster_sheet(rows: list[list[str]], fmt: str = "xlsx") -> bytes:
    if fmt == "csv":
        return roster_io.write_csv(roster_io.HEADERS, rows)
    return roster_io.write_xlsx(roster_io.TEMPLATE_TITLE, roster_io.HEADERS, rows)


def twenty_households(village: str, start: int = 0) -> list[list[str]]:
    """20 households, two people each, with a mix of facts that suggest A, B, C and nothing."""
    rows = []
    for i in range(start, start + 20):
        code = f"LS{i:04d}"
        kind = i % 4
        head_birth = date(1950, 1, 1 + i % 28)
        head = id_number_for(i * 2 + 1, head_birth)
        other = id_number_for(i * 2 + 1, date(2014, 3, 1 + i % 28), sex="F")
        if kind == 0:  # A1
            rows.append(sheet_row(code, village, f"吴{i}", head, 保障类别="特困", 供养方式="分散供养", 自理能力="失能"))
            rows.append(sheet_row(code, village, f"吴{i}女", other, "孙子女"))
        elif kind == 1:  # B1
            rows.append(sheet_row(code, village, f"杨{i}", head, 保障类别="低保", 长期患大病="是", 劳动能力="丧失劳动能力", 主要劳动力="是"))
            rows.append(sheet_row(code, village, f"杨{i}女", other, "子女", 保障类别="低保"))
        elif kind == 2:  # C1 (the child)
            rows.append(sheet_row(code, village, f"龙{i}", head, 保障类别="低收入", 留守情况="留守老人"))
            rows.append(sheet_row(code, village, f"龙{i}女", other, "孙子女", 保障类别="低收入", 留守情况="留守儿童"))
        else:  # nothing
            rows.append(sheet_row(code, village, f"潘{i}", head))
            rows.append(sheet_row(code, village, f"潘{i}女", other, "子女"))
    return rows
