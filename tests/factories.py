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
