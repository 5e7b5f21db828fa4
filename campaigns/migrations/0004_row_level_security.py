"""Row-level security on the campaigns' household rows and the stock ledger (accounts/rls.py,
docs/security.md).

- Assessments (winter relief and water needs), needs, deliveries, water deliveries and water
  alerts: a household's children.
- Donations: the receiving area's.
- Stock entries: the stock's area (a township's or county's), or the delivery they issue —
  a cadre recording a delivery from stock writes the township's issue entry; that entry names
  the cadre's own delivery, which is admitted through the paired household, so the cadre may
  write (and read back) that entry and no other of the township's ledger.
- The trigger that numbers an entry and computes its balance reads the previous entry of the
  area and item: it now runs as its owner (SECURITY DEFINER), so a cadre's issue entry follows
  the township's real last entry, not the last one the cadre may see."""

from django.db import migrations

from accounts.rls import area_in_scope, child_of, disable_sql, enable_sql, household_child

TABLES = [
    ("campaigns_campaignhousehold", household_child()),
    ("campaigns_campaignneed", household_child()),
    ("campaigns_delivery", household_child()),
    ("campaigns_waterdelivery", household_child()),
    ("campaigns_wateralert", household_child()),
    ("campaigns_donation", area_in_scope("area_id")),
    ("campaigns_stockentry", "(" + area_in_scope("area_id") + " OR " + child_of("delivery_id", "campaigns_delivery") + ")"),
]

TRIGGER_AS_OWNER = ("ALTER FUNCTION campaigns_stockentry_balance() SECURITY DEFINER;\n"
                    "ALTER FUNCTION campaigns_stockentry_balance() SET search_path = public;\n")
TRIGGER_AS_CALLER = ("ALTER FUNCTION campaigns_stockentry_balance() RESET search_path;\n"
                     "ALTER FUNCTION campaigns_stockentry_balance() SECURITY INVOKER;\n")


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0003_campaign_closed_early"), ("beneficiaries", "0008_row_level_security_pairings")]

    operations = [
        migrations.RunSQL(TRIGGER_AS_OWNER + "".join(enable_sql(table, using) for table, using in TABLES),
                          "".join(disable_sql(table) for table, _using in reversed(TABLES)) + TRIGGER_AS_CALLER),
    ]
