"""Nightly reconciliation (docs/security.md "部署与数据库角色"): every custody balance must equal
the sum of its ledger entries. The database already refuses a balance change that does not match
(trigger custody_account_balance_from_ledger), so a difference means someone went around the
application role (a superuser, a restored backup, a disabled trigger). The county civil affairs
office of each differing account is told in its inbox, once per account and day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.actions import audit_record
from accounts.models import AuditAction

MISMATCH_SQL = """
SELECT a.id, a.balance_fen, COALESCE(s.total, 0), substr(h.village_id, 1, 6) || '000000', p.household_id, p.name
FROM custody_custodyaccount a
JOIN beneficiaries_person p ON p.id = a.person_id
JOIN beneficiaries_household h ON h.id = p.household_id
LEFT JOIN (SELECT account_id, SUM(amount_fen) AS total FROM custody_ledgerentry GROUP BY account_id) s
       ON s.account_id = a.id
WHERE a.balance_fen <> COALESCE(s.total, 0)
ORDER BY a.id
"""


@dataclass(frozen=True)
class Mismatch:
    account_id: int
    balance_fen: int
    ledger_sum_fen: int
    county_code: str
    household_id: int
    person_name: str = ""


def balance_mismatches() -> list[Mismatch]:
    """Accounts whose stored balance differs from the sum of their entries (one set-based query)."""
    with connection.cursor() as cur:
        cur.execute(MISMATCH_SQL)
        return [Mismatch(*row) for row in cur.fetchall()]


def notify_county(county_code: str, *, key: str, title: str, url: str, household_id: int | None) -> None:
    """Tell the county office (every county role of the county) once per key."""
    from accounts.models import Role, RoleAssignment
    from accounts.notifications import notify

    users = RoleAssignment.objects.filter(role=Role.COUNTY, area_id=county_code).values_list("user_id", flat=True)
    notify(set(users), key=key[:80], title=title[:200], url=url[:200], household=household_id)


@transaction.atomic
def balances_reconcile(*, today: dt.date) -> dict:
    mismatches = balance_mismatches()
    for m in mismatches:
        notify_county(
            m.county_code,
            key=f"custody-reconcile:{m.account_id}:{today:%Y%m%d}",
            title=_("%(name)s 的代管账户 %(id)s 余额 %(balance)s 元与收支台账合计 %(sum)s 元不符，请核查")
            % {"name": m.person_name, "id": m.account_id, "balance": f"{m.balance_fen / 100:.2f}", "sum": f"{m.ledger_sum_fen / 100:.2f}"},
            url=reverse("custody:account_detail", args=[m.account_id]),
            household_id=m.household_id,
        )
    audit_record(actor=None, action=AuditAction.VIEW, object_type="custody.reconciliation",
                 object_repr=_("代管余额对账"),
                 details={"date": today.isoformat(), "mismatched": [m.account_id for m in mismatches]})
    return {"date": today.isoformat(), "mismatched": len(mismatches)}
