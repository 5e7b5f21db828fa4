"""Cheaper policies for a custody account's children (issue 21, measured with
tests/bench_rls_cost.py and tests/bench_rls_explain.py): a child row (ledger entry, custodian,
caregiver, evaluation, replacement, ledger check, sample) was admitted by
`account_id IN (SELECT id FROM custody_custodyaccount)`, which expands the account's policy, then
the person's, then the household's — three nested scans, planned and run again for every child
table a query touches (the account list touches them in seven correlated subqueries). The children
now ask `care_scope_custody_accounts()` once per subquery (a hashed set): the same rule (the
household policy's, the supervisor's sample) as one array, computed from the accounts through
their persons to their households by index — the accounts are far fewer than the persons — by
a PL/pgSQL function (its plan cached for the session) that reads as the owner. A test
(tests/accounts/test_rls.py) checks that the function and the account policy admit the same
accounts."""

from django.db import migrations

from accounts.rls import area_in_scope, child_of, enable_sql

FUNCTION = """
CREATE OR REPLACE FUNCTION care_scope_custody_accounts() RETURNS bigint[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public AS
$$
DECLARE
    pats text[] := care_scope_patterns();
    uid bigint := care_scope_user();
    sampled boolean := care_scope_sampled_only();
BEGIN
    -- From the accounts (far fewer than persons) to their household: the household policy's rule
    -- (accounts.rls.HOUSEHOLD_USING) on h, and the supervisor's sample (care_scope_sampled_accounts),
    -- written out so that the one cached plan holds everything (no nested function to plan).
    RETURN ARRAY(
        SELECT a.id FROM custody_custodyaccount a
        JOIN beneficiaries_person p ON p.id = a.person_id JOIN beneficiaries_household h ON h.id = p.household_id
        WHERE (h.village_id LIKE ANY (pats)
               OR h.id IN (SELECT pr.household_id FROM beneficiaries_pairing pr
                           JOIN beneficiaries_cadre c ON c.id = pr.cadre_id WHERE c.user_id = uid)
               OR h.agency_id IN (SELECT c.agency_id FROM beneficiaries_cadre c
                                  WHERE c.user_id = uid AND c.agency_id IS NOT NULL))
          AND (NOT sampled OR a.id IN (SELECT s.account_id FROM custody_spotchecksample s
                                       JOIN custody_spotcheck sc ON sc.id = s.spot_check_id
                                       WHERE sc.area_id LIKE ANY (pats))));
END $$;
"""

CHILDREN = ["custody_ledgerentry", "custody_custodian", "custody_caregiver", "custody_dutyevaluation",
            "custody_replacement", "custody_ledgercheck"]
FAST = "account_id IN (SELECT unnest((SELECT care_scope_custody_accounts())))"
SLOW = child_of("account_id", "custody_custodyaccount")
SAMPLE_SPOT_CHECK = " OR spot_check_id IN (SELECT id FROM custody_spotcheck WHERE " + area_in_scope("area_id") + "))"


class Migration(migrations.Migration):
    dependencies = [("custody", "0009_row_level_security_supervisor_sample")]

    operations = [
        migrations.RunSQL(
            FUNCTION + "".join(enable_sql(t, FAST) for t in CHILDREN)
            + enable_sql("custody_spotchecksample", "(" + FAST + SAMPLE_SPOT_CHECK),
            enable_sql("custody_spotchecksample", "(" + SLOW + SAMPLE_SPOT_CHECK)
            + "".join(enable_sql(t, SLOW) for t in CHILDREN)
            + "DROP FUNCTION IF EXISTS care_scope_custody_accounts();\n"),
    ]
