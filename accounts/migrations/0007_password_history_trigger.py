"""Password history for every way a password is set (issue 21): a trigger on the user table writes
the new hash into accounts_passwordhistory on INSERT and on every change of `password`, whether
the write came through set_password + save, bulk_create (the prefecture demo's county officers),
a management command or raw SQL. Users that have a usable password and no history (the seeded
xian5226xx accounts) get their current hash recorded once."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION accounts_password_history_record() RETURNS trigger AS $$
BEGIN
    IF NEW.password <> '' AND left(NEW.password, 1) <> '!'
       AND (TG_OP = 'INSERT' OR NEW.password IS DISTINCT FROM OLD.password) THEN
        INSERT INTO accounts_passwordhistory (user_id, password, created_at)
        VALUES (NEW.id, NEW.password, clock_timestamp());
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER accounts_user_password_history
AFTER INSERT OR UPDATE OF password ON accounts_user
FOR EACH ROW EXECUTE FUNCTION accounts_password_history_record();

INSERT INTO accounts_passwordhistory (user_id, password, created_at)
SELECT u.id, u.password, now() FROM accounts_user u
WHERE u.password <> '' AND left(u.password, 1) <> '!'
  AND NOT EXISTS (SELECT 1 FROM accounts_passwordhistory h WHERE h.user_id = u.id);
"""

BACKWARD = """
DROP TRIGGER IF EXISTS accounts_user_password_history ON accounts_user;
DROP FUNCTION IF EXISTS accounts_password_history_record();
"""


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_department_and_agency_moved_here")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
