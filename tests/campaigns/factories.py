import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Area, Role
from campaigns import actions
from campaigns.models import CampaignKind
from tests.conftest import COUNTY
from tests.factories import user_with_role

WINTER_DAY = dt.date(2026, 12, 7)


def county_officer():
    return user_with_role(Role.COUNTY, COUNTY)


def winter_campaign(actor=None, *, today=WINTER_DAY, **kwargs):
    values = dict(kind=CampaignKind.WINTER, name="雷山县2026—2027年冬春救助", area=Area.objects.get(code=COUNTY),
                  starts_on=dt.date(2026, 12, 1), ends_on=dt.date(2027, 3, 31), assess_by=dt.date(2026, 12, 20),
                  tiers=["A", "B"], limited_mobility_tiers=["C"])
    values |= kwargs
    return actions.campaign_declare(actor=actor or county_officer(), today=today, **values)


def water_campaign(actor=None, *, today=dt.date(2026, 7, 1), **kwargs):
    values = dict(kind=CampaignKind.WATER, name="雷山县2026年夏季缺水送水", area=Area.objects.get(code=COUNTY),
                  starts_on=dt.date(2026, 7, 1), ends_on=dt.date(2026, 8, 31), assess_by=dt.date(2026, 7, 10),
                  tiers=[], limited_mobility_tiers=["A", "B", "C"], water_every_days=7)
    values |= kwargs
    return actions.campaign_declare(actor=actor or county_officer(), today=today, **values)


def png(name="proof.png") -> SimpleUploadedFile:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")
