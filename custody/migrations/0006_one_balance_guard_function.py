from django.db import migrations

# One guard for every balance kept beside an append-only ledger (a custody account here, the
# county's reserve fund in assistance 0005): the database refuses to store a balance (on INSERT,
# or an UPDATE that changes it) that differs from the sum of the ledger's entries for that row.
# It replaces custody_balance_matches_ledger() and assistance_reserve_balance_matches_ledger(),
# which differed only in the table and column names; those now come as the trigger's arguments:
#   TG_ARGV[0] the ledger table, [1] its column naming the balance's row, [2] that row's key
#   column, [3] the words for the row in the error message.
# SQLSTATE check_violation, so Django raises IntegrityError as for the CHECK constraints.
FUNCTION = """
CREATE OR REPLACE FUNCTION balance_matches_ledger() RETURNS trigger AS $$
DECLARE
    ledger_sum bigint;
    row_key text;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.balance_fen IS NOT DISTINCT FROM OLD.balance_fen THEN
        RETURN NEW;
    END IF;
    EXECUTE format('SELECT COALESCE(SUM(e.amount_fen), 0) FROM %I e WHERE e.%I = ($1).%I',
                   TG_ARGV[0], TG_ARGV[1], TG_ARGV[2])
        INTO ledger_sum USING NEW;
    IF NEW.balance_fen IS DISTINCT FROM ledger_sum THEN
        row_key := to_jsonb(NEW) ->> TG_ARGV[2];
        RAISE EXCEPTION '% %: balance % differs from the sum of its ledger entries (%)',
            TG_ARGV[3], row_key, NEW.balance_fen, ledger_sum
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

FORWARD = FUNCTION + """
DROP TRIGGER IF EXISTS custody_account_balance_from_ledger ON custody_custodyaccount;
CREATE TRIGGER custody_account_balance_from_ledger
BEFORE INSERT OR UPDATE OF balance_fen ON custody_custodyaccount
FOR EACH ROW EXECUTE FUNCTION balance_matches_ledger('custody_ledgerentry', 'account_id', 'id', 'custody account');
DROP FUNCTION IF EXISTS custody_balance_matches_ledger();
"""

BACKWARD = """
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
DROP TRIGGER IF EXISTS custody_account_balance_from_ledger ON custody_custodyaccount;
CREATE TRIGGER custody_account_balance_from_ledger
BEFORE INSERT OR UPDATE OF balance_fen ON custody_custodyaccount
FOR EACH ROW EXECUTE FUNCTION custody_balance_matches_ledger();
"""
# balance_matches_ledger() itself stays on the way back: assistance 0005's reverse drops its use first.


class Migration(migrations.Migration):
    dependencies = [("custody", "0005_merge_balance_guard_id_encryption")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
