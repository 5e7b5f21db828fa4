"""Demo data for `make run`: users of every role, then (when the apps provide them) a
realistic roster, visits, custody accounts and referrals. Idempotent: a second run adds
nothing that is already there."""

from django.core.management.base import BaseCommand

from accounts import demo as accounts_demo
from accounts.models import Role


class Command(BaseCommand):
    help = "Create demo users for every role (and demo households) in real areas. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, default=300, help="demo households to create (default 300)")
        parser.add_argument("--seed", type=int, default=20261128, help="random seed, for reproducible demo data")

    def handle(self, *args, **options):
        users = accounts_demo.seed_users()
        for step in self.extra_steps():
            step(households=options["households"], seed=options["seed"], stdout=self.stdout)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"演示账号（密码均为 {accounts_demo.DEMO_PASSWORD}）："))
        for spec, user in users:
            role = user.roles.get(role=spec.role)
            where = role.department.name if role.department else role.area.name
            self.stdout.write(f"  {spec.username:<10} {Role(spec.role).label:<10} {where:<14} {spec.real_name}")

    def extra_steps(self):
        """Each later app adds its own demo seeding here, in dependency order."""
        from beneficiaries.demo import seed_roster
        from visits.demo import seed_visits

        steps = [seed_roster]
        # The roster's demo step goes before this line; visits need its households.
        steps.append(seed_visits)
        from custody.demo import seed_custody

        steps.append(seed_custody)
        from services.demo import seed_services

        steps.append(seed_services)
        from oversight.demo import seed_prefecture

        steps.append(seed_prefecture)
        from assistance.demo import seed_assistance

        steps.append(seed_assistance)
        from accounts.demo_otp import seed_demo_devices

        steps.append(seed_demo_devices)
        from exchange.demo import seed_exchange

        steps.append(seed_exchange)
        from campaigns.demo import demo_load as seed_campaigns

        steps.append(seed_campaigns)
        return steps
