"""factory_boy factories shared by the whole suite. Areas are real (loaded by migration)."""

import factory

from accounts.models import Area, RoleAssignment, User

PASSWORD = "Correct-horse-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    real_name = factory.Sequence(lambda n: f"测试用户{n}")
    phone = "13800000000"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        password = kwargs.pop("password", PASSWORD)
        return model_class.objects.create_user(*args, password=password, **kwargs)


def area(code: str) -> Area:
    return Area.objects.get(code=code)


def user_with_role(role: str, area_code: str | None = None, department=None, **kwargs) -> User:
    user = UserFactory(**kwargs)
    RoleAssignment.objects.create(
        user=user, role=role, area=area(area_code) if area_code else None, department=department
    )
    return user


# --- roster ---------------------------------------------------------------------------------
import datetime as _dt  # noqa: E402

from beneficiaries import idnumber  # noqa: E402
from beneficiaries.models import Cadre, CadreKind, Household, Pairing, PairingRelation, Person, Relation  # noqa: E402


def id_number_for(n: int, birth: _dt.date = _dt.date(1950, 1, 1), county: str = "522634", sex: str = "M") -> str:
    """A valid, unique 18-digit ID number: county code, birth date, sequence n, check digit."""
    seq = n % 1000
    if (seq % 2 == 1) != (sex == "M"):
        seq = (seq + 1) % 1000
    return idnumber.make(f"{county}{birth:%Y%m%d}{seq:03d}")


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    code = factory.Sequence(lambda n: f"HH{n:06d}")
    village = factory.LazyFunction(
        lambda: Area.objects.filter(parent_id="522634101000").order_by("code").first()
    )
    address = "一组"
    tier = "A"
    criteria = factory.LazyFunction(lambda: ["A1"])
    tier_since = _dt.date(2026, 1, 1)


_birth_counter = iter(range(10**6))


class PersonFactory(factory.django.DjangoModelFactory):
    """Each person gets a distinct birth date so ID numbers never collide."""

    class Meta:
        model = Person

    household = factory.SubFactory(HouseholdFactory)
    name = factory.Sequence(lambda n: f"对象{n}")
    relation = Relation.HEAD
    birth_date = factory.LazyFunction(lambda: _dt.date(1940, 1, 1) + _dt.timedelta(days=next(_birth_counter)))
    id_number = factory.LazyAttribute(lambda o: id_number_for(7, o.birth_date, sex=o.sex))
    sex = "M"


class CadreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cadre

    name = factory.Sequence(lambda n: f"干部{n}")
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    kind = CadreKind.PARTY
    work_unit = "雷山县民政局"
    home_village = factory.LazyFunction(
        lambda: Area.objects.filter(parent_id="522634101000").order_by("code").first()
    )


class PairingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pairing

    household = factory.SubFactory(HouseholdFactory)
    cadre = factory.SubFactory(CadreFactory)
    relation = PairingRelation.NEARBY
    started_on = _dt.date(2026, 1, 1)


def cadre_user(username: str = "cadre", **cadre_kwargs) -> tuple[User, Cadre]:
    """A cadre with a login: user + cadre role (bound to the cadre's village) + Cadre row."""
    cadre = CadreFactory(**cadre_kwargs)
    user = user_with_role("cadre", cadre.home_village_id, username=username, real_name=cadre.name)
    cadre.user = user
    cadre.save(update_fields=["user"])
    return user, cadre


def jpeg_bytes(width: int = 64, height: int = 48, color=(180, 35, 42)) -> bytes:
    """A real JPEG (uploads are decoded and re-encoded on the server: fake bytes are refused)."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "JPEG")
    return out.getvalue()
