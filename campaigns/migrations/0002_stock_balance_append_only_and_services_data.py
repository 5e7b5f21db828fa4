"""The database holds the stock ledger: each entry is numbered and its balance computed from the
previous entry of the same area and item (so the application cannot write a balance, two
writers cannot take the same place — `stockentry_seq_once` — and `stockentry_never_negative`
refuses an issue larger than what is on hand). Stock entries, donations and deliveries are
append-only.

Then the data of services' seasonal records moves here (one place for each concept):
- each DrySeason becomes a water campaign over its area (limited-mobility households of every
  tier, water every 7 days), its households listed;
- each season of WinterReliefNeed becomes a winter campaign per county (November to March),
  every recorded household assessed (the old yes/no boxes kept in `answers`);
- every WaterDelivery is copied, tied to the water campaign covering it when there is one."""

import datetime as dt

from django.db import migrations
from django.db.models import Exists, OuterRef, Q

STOCK_SQL = """
CREATE OR REPLACE FUNCTION campaigns_stockentry_balance() RETURNS trigger AS $$
DECLARE prev RECORD;
BEGIN
    SELECT seq, balance_after INTO prev FROM campaigns_stockentry
     WHERE area_id = NEW.area_id AND item = NEW.item ORDER BY seq DESC LIMIT 1;
    NEW.seq := COALESCE(prev.seq, 0) + 1;
    NEW.balance_after := COALESCE(prev.balance_after, 0) + NEW.delta;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER campaigns_stockentry_balance BEFORE INSERT ON campaigns_stockentry
FOR EACH ROW EXECUTE FUNCTION campaigns_stockentry_balance();
CREATE TRIGGER campaigns_stockentry_append_only BEFORE UPDATE OR DELETE ON campaigns_stockentry
FOR EACH ROW EXECUTE FUNCTION care_refuse_update_delete();
CREATE TRIGGER campaigns_donation_append_only BEFORE UPDATE OR DELETE ON campaigns_donation
FOR EACH ROW EXECUTE FUNCTION care_refuse_update_delete();
CREATE TRIGGER campaigns_delivery_append_only BEFORE UPDATE OR DELETE ON campaigns_delivery
FOR EACH ROW EXECUTE FUNCTION care_refuse_update_delete();
"""

REVERSE_SQL = """
DROP TRIGGER IF EXISTS campaigns_delivery_append_only ON campaigns_delivery;
DROP TRIGGER IF EXISTS campaigns_donation_append_only ON campaigns_donation;
DROP TRIGGER IF EXISTS campaigns_stockentry_append_only ON campaigns_stockentry;
DROP TRIGGER IF EXISTS campaigns_stockentry_balance ON campaigns_stockentry;
DROP FUNCTION IF EXISTS campaigns_stockentry_balance();
"""

PREFIX = {"prefecture": 4, "county": 6, "township": 9, "village": 12}
LIMITED = Q(self_care__in=["partial", "none"]) | Q(disability_type__in=["physical", "visual", "multiple"],
                                                   disability_grade__lte=2)


def move(apps, schema_editor):
    DrySeason = apps.get_model("services", "DrySeason")
    WinterReliefNeed = apps.get_model("services", "WinterReliefNeed")
    OldWater = apps.get_model("services", "WaterDelivery")
    Campaign = apps.get_model("campaigns", "Campaign")
    Row = apps.get_model("campaigns", "CampaignHousehold")
    Water = apps.get_model("campaigns", "WaterDelivery")
    Household = apps.get_model("beneficiaries", "Household")
    Person = apps.get_model("beneficiaries", "Person")
    Area = apps.get_model("accounts", "Area")

    water_campaigns = []
    for season in DrySeason.objects.select_related("area").order_by("id"):
        campaign = Campaign.objects.create(
            kind="water", name=f"{season.area.name}季节性缺水 {season.starts_on:%Y-%m-%d}", area=season.area,
            starts_on=season.starts_on, ends_on=season.ends_on, assess_by=season.ends_on, tiers=[],
            limited_mobility_tiers=["A", "B", "C"], assessor="cadre", water_every_days=7, note=season.note,
            declared_by_id=season.declared_by_id)
        prefix = season.area.code[:PREFIX[season.area.level]]
        limited = Person.objects.filter(LIMITED, household=OuterRef("pk"))
        households = Household.objects.filter(Exists(limited), village__code__startswith=prefix, status="active")
        Row.objects.bulk_create([Row(campaign=campaign, household_id=h, added_on=season.starts_on)
                                 for h in households.values_list("pk", flat=True)])
        water_campaigns.append((campaign, prefix))

    for delivery in OldWater.objects.select_related("household").order_by("id"):
        campaign = next((c for c, p in water_campaigns if delivery.household.village_id.startswith(p)
                         and c.starts_on <= delivery.delivered_on <= c.ends_on), None)
        Water.objects.create(household_id=delivery.household_id, campaign=campaign,
                             delivered_on=delivery.delivered_on, litres=delivery.litres,
                             delivered_by=delivery.delivered_by, note=delivery.note,
                             recorded_by_id=delivery.recorded_by_id)

    seasons = {}
    for need in WinterReliefNeed.objects.select_related("household").order_by("season", "id"):
        county = need.household.village_id[:6] + "000000"
        key = (need.season, county)
        if key not in seasons:
            area = Area.objects.get(code=county)
            seasons[key] = Campaign.objects.create(
                kind="winter", name=f"{area.name}{need.season}—{need.season + 1}年冬春救助", area=area,
                starts_on=dt.date(need.season, 11, 1), ends_on=dt.date(need.season + 1, 3, 31),
                assess_by=dt.date(need.season, 12, 31), tiers=["A", "B", "C"], limited_mobility_tiers=[],
                assessor="cadre", declared_by_id=need.recorded_by_id)
        Row.objects.create(
            campaign=seasons[key], household_id=need.household_id, added_on=dt.date(need.season, 11, 1),
            assessed_on=need.updated_at.date(), assessed_by_id=need.recorded_by_id, note=need.note,
            answers={"口粮": need.grain, "衣被": need.clothing, "取暖": need.heating})


class Migration(migrations.Migration):

    dependencies = [
        ("campaigns", "0001_campaigns_needs_deliveries_stock"),
        ("services", "0007_department_moved_to_accounts"),
        ("beneficiaries", "0006_merge_agency_move_and_indexes"),
    ]

    operations = [
        migrations.RunSQL(STOCK_SQL, REVERSE_SQL),
        migrations.RunPython(move, migrations.RunPython.noop),
    ]
