from django.db import migrations

# A custody balance changes only through ledger entries: the database refuses to store a balance
# (on INSERT, or an UPDATE that changes it) that differs from the sum of the account's entries.
# custody.actions inserts the entry first and then stores the new balance, which passes; a bare
# `UPDATE custody_custodyaccount SET balance_fen = balance_fen + 100000` is refused.
# SQLSTATE check_violation, so Django raises IntegrityError as for the CHECK constraints.
FUNCTION = """
CREATE OR REPLACE FUNCTION custody_balance_matches_ledger() RETURNS trigger AS $$
DECLARE
    ledger_sum bigint;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.balance_fen IS NOT DISTINCT FROM OLD.balance_fen THEN
        RETURN NEW;
    END IF;
    SELECT COALESCE(SUM(amount_fen), 0) INTO ledger_sum FROM custody_ledgerentry WHERE account_id = NEW.id;
    IF NEW.balance_fen IS DISTINCT FROM ledger_sum THEN
        RAISE EXCEPTION 'custody account %: balance % differs from the sum of its ledger entries (%)',
            NEW.id, NEW.balance_fen, ledger_sum
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

TRIGGER = """
CREATE TRIGGER custody_account_balance_from_ledger
BEFORE INSERT OR UPDATE OF balance_fen ON custody_custodyaccount
FOR EACH ROW EXECUTE FUNCTION custody_balance_matches_ledger();
"""


class Migration(migrations.Migration):
    dependencies = [("custody", "0003_actor_optional_for_system_writes")]

    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS custody_balance_matches_ledger() CASCADE;"),
        migrations.RunSQL(TRIGGER, "DROP TRIGGER IF EXISTS custody_account_balance_from_ledger ON custody_custodyaccount;"),
    ]
