"""The second lock narrows a financial supervisor to their sample (issue 21; accounts/rls.py,
docs/security.md). A user whose only role is financial supervisor is admitted to a custody
account (and through it to its ledger, checks, custodians, …) only when a spot check of an area
under their scope sampled it — the first lock's rule, now in the database too. Their persons and
households stay geographic (the county): the sample's pages name the person and household.

- `care_scope_sampled_only()`: the scope carries the word `sampled` (accounts.rls.scope_for: the
  request's user holds the financial-supervisor role and no other).
- `care_scope_sampled_accounts()`: the accounts sampled by spot checks of the scope's areas, read as
  the owner (SECURITY DEFINER: the sample table's policy refers to the accounts).
- `care_custody_open_accounts(prefix)`: the ids (nothing else) of the open accounts under an area
  prefix inside the scope — the population a supervisor draws a sample from, and its count.
- A spot-check sample row is admitted by its account or by its spot check's area (the supervisor
  writes the samples of accounts they do not see yet)."""

from django.db import migrations

from accounts.rls import area_in_scope, child_of, enable_sql

FUNCTIONS = """
CREATE OR REPLACE FUNCTION care_scope_sampled_only() RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT 'sampled' = ANY (string_to_array(coalesce(current_setting('care.scope', true), ''), ',')) $$;

CREATE OR REPLACE FUNCTION care_scope_sampled_accounts() RETURNS SETOF bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
$$ SELECT s.account_id FROM custody_spotchecksample s JOIN custody_spotcheck c ON c.id = s.spot_check_id
   WHERE c.area_id LIKE ANY ((SELECT care_scope_patterns())::text[]) $$;

CREATE OR REPLACE FUNCTION care_custody_open_accounts(prefix text) RETURNS SETOF bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
$$ SELECT a.id FROM custody_custodyaccount a
   JOIN beneficiaries_person p ON p.id = a.person_id JOIN beneficiaries_household h ON h.id = p.household_id
   WHERE a.status = 'open' AND prefix ~ '^[0-9]{1,12}$' AND h.village_id LIKE prefix || '%'
     AND ((SELECT care_scope_all()) OR prefix || '%' LIKE ANY ((SELECT care_scope_patterns())::text[])) $$;
"""

DROP_FUNCTIONS = """
DROP FUNCTION IF EXISTS care_custody_open_accounts(text);
DROP FUNCTION IF EXISTS care_scope_sampled_accounts();
DROP FUNCTION IF EXISTS care_scope_sampled_only();
"""

ACCOUNT = ("(person_id IN (SELECT id FROM beneficiaries_person) AND (NOT (SELECT care_scope_sampled_only())"
           " OR id IN (SELECT care_scope_sampled_accounts())))")
ACCOUNT_BEFORE = "person_id IN (SELECT id FROM beneficiaries_person)"
SAMPLE = ("(" + child_of("account_id", "custody_custodyaccount") + " OR spot_check_id IN (SELECT id FROM custody_spotcheck"
          " WHERE " + area_in_scope("area_id") + "))")
SAMPLE_BEFORE = child_of("account_id", "custody_custodyaccount")


class Migration(migrations.Migration):
    dependencies = [("custody", "0008_row_level_security_custodians_checks"), ("accounts", "0009_row_level_security_functions")]

    operations = [
        migrations.RunSQL(FUNCTIONS + enable_sql("custody_custodyaccount", ACCOUNT)
                          + enable_sql("custody_spotchecksample", SAMPLE),
                          enable_sql("custody_spotchecksample", SAMPLE_BEFORE)
                          + enable_sql("custody_custodyaccount", ACCOUNT_BEFORE) + DROP_FUNCTIONS),
    ]
