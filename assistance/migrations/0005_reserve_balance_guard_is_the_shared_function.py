from django.db import migrations

# The reserve fund's balance guard becomes the one shared function of custody 0006
# (balance_matches_ledger, the ledger's table and columns as trigger arguments). The entry's
# running-total trigger (assistance_reserve_entry_running_total) has no custody twin and stays.
FORWARD = """
DROP TRIGGER IF EXISTS assistance_reserve_balance_from_ledger ON assistance_reservefund;
CREATE TRIGGER assistance_reserve_balance_from_ledger
BEFORE INSERT OR UPDATE OF balance_fen ON assistance_reservefund
FOR EACH ROW EXECUTE FUNCTION balance_matches_ledger('assistance_reserveentry', 'fund_id', 'county_id', 'reserve fund');
DROP FUNCTION IF EXISTS assistance_reserve_balance_matches_ledger();
"""

BACKWARD = """
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
DROP TRIGGER IF EXISTS assistance_reserve_balance_from_ledger ON assistance_reservefund;
CREATE TRIGGER assistance_reserve_balance_from_ledger
BEFORE INSERT OR UPDATE OF balance_fen ON assistance_reservefund
FOR EACH ROW EXECUTE FUNCTION assistance_reserve_balance_matches_ledger();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("assistance", "0004_reserve_balance_only_through_ledger"),
        ("custody", "0006_one_balance_guard_function"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
