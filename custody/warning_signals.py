"""The early-warning signal whose facts custody owns: a custodian or caregiver evaluated
不称职 (observed on the evaluation's date). The rule's contract is that of
visits.warning_signals."""

from __future__ import annotations

import datetime as dt

from beneficiaries.models import Person

from .models import CustodyAccount, DutyEvaluation, DutyRole, EvaluationResult


def poor_evaluation(since: dt.date, today: dt.date) -> tuple[str, dict]:
    sql = f"""
        SELECT p.household_id, 'poor_evaluation' AS kind, e.evaluated_on AS observed_on,
               CASE WHEN e.role = %(caregiver)s THEN '照料护理人' ELSE '代管人' END || '履职评估：不称职（'
                   || to_char(e.evaluated_on, 'FMMM"月"FMDD"日"') || '）' AS words,
               '履职评估' AS source, 'poor_evaluation:' || e.id AS key
        FROM {DutyEvaluation._meta.db_table} e
        JOIN {CustodyAccount._meta.db_table} a ON a.id = e.account_id
        JOIN {Person._meta.db_table} p ON p.id = a.person_id
        WHERE e.result = %(fail)s AND e.evaluated_on BETWEEN %(since)s AND %(today)s"""
    return sql, {"caregiver": DutyRole.CAREGIVER, "fail": EvaluationResult.FAIL, "since": since, "today": today}


SIGNAL_RULES = [poor_evaluation]
