"""Demo data for `make run`: users of every role, then (when the apps provide them) a
realistic roster, visits, custody accounts and referrals. Idempotent: a second run adds
nothing that is already there."""

from django.core.management.base import BaseCommand

from accounts import demo as accounts_demo
from accounts.models import Role
from config import demo


class Command(BaseCommand):
    help = "Create demo users for every role (and demo households) in real areas. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, default=300, help="demo households to create (default 300)")
        parser.add_argument("--seed", type=int, default=20261128, help="random seed, for reproducible demo data")

    def handle(self, *args, **options):
        users = accounts_demo.seed_users()
        # The apps' demo data, in the order config/demo.py composes it (accounts imports no app).
        demo.seed_all(households=options["households"], seed=options["seed"], stdout=self.stdout)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"演示账号（密码均为 {accounts_demo.DEMO_PASSWORD}）："))
        for spec, user in users:
            role = user.roles.get(role=spec.role)
            where = role.department.name if role.department else role.area.name
            self.stdout.write(f"  {spec.username:<10} {Role(spec.role).label:<10} {where:<14} {spec.real_name}")
