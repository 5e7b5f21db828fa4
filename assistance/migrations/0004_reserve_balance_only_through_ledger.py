from django.db import migrations

# A reserve fund's balance changes only through its ledger, as a custody account's does (custody
# migration 0004): the database refuses to store a balance (on INSERT, or an UPDATE that changes it)
# that differs from the sum of the fund's entries, and refuses an entry whose `balance_after_fen`
# is not the running total. assistance.actions inserts the entry first and then stores the new
# balance, both under the fund's row lock, which passes; a bare
# `UPDATE assistance_reservefund SET balance_fen = balance_fen + 100000` is refused.
# SQLSTATE check_violation, so Django raises IntegrityError as for the CHECK constraints.
FUNCTIONS = """
CREATE OR REPLACE FUNCTION assistance_reserve_balance_matches_ledger() RETURNS trigger AS $$
DECLARE
    ledger_sum bigint;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.balance_fen IS NOT DISTINCT FROM OLD.balance_fen THEN
        RETURN NEW;
    END IF;
    SELECT COALESCE(SUM(amount_fen), 0) INTO ledger_sum FROM assistance_reserveentry WHERE fund_id = NEW.county_id;
    IF NEW.balance_fen IS DISTINCT FROM ledger_sum THEN
        RAISE EXCEPTION 'reserve fund %: balance % differs from the sum of its ledger entries (%)',
            NEW.county_id, NEW.balance_fen, ledger_sum
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION assistance_reserve_entry_running_total() RETURNS trigger AS $$
DECLARE
    ledger_sum bigint;
BEGIN
    SELECT COALESCE(SUM(amount_fen), 0) INTO ledger_sum FROM assistance_reserveentry WHERE fund_id = NEW.fund_id;
    IF NEW.balance_after_fen IS DISTINCT FROM ledger_sum + NEW.amount_fen THEN
        RAISE EXCEPTION 'reserve fund %: entry balance % is not the running total (%)',
            NEW.fund_id, NEW.balance_after_fen, ledger_sum + NEW.amount_fen
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

TRIGGERS = """
CREATE TRIGGER assistance_reserve_balance_from_ledger
BEFORE INSERT OR UPDATE OF balance_fen ON assistance_reservefund
FOR EACH ROW EXECUTE FUNCTION assistance_reserve_balance_matches_ledger();

CREATE TRIGGER assistance_reserve_entry_running_total
BEFORE INSERT ON assistance_reserveentry
FOR EACH ROW EXECUTE FUNCTION assistance_reserve_entry_running_total();
"""

DROP = """
DROP TRIGGER IF EXISTS assistance_reserve_entry_running_total ON assistance_reserveentry;
DROP TRIGGER IF EXISTS assistance_reserve_balance_from_ledger ON assistance_reservefund;
DROP FUNCTION IF EXISTS assistance_reserve_entry_running_total();
DROP FUNCTION IF EXISTS assistance_reserve_balance_matches_ledger();
"""


class Migration(migrations.Migration):
    dependencies = [("assistance", "0003_list_outcomes")]

    operations = [migrations.RunSQL(FUNCTIONS + TRIGGERS, DROP)]
