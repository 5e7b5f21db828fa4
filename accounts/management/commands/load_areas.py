from django.core.management.base import BaseCommand

from accounts.actions import areas_load


class Command(BaseCommand):
    help = "Load (or refresh) the administrative divisions of Qiandongnan from the shipped CSV. Idempotent."

    def handle(self, *args, **options):
        count = areas_load()
        self.stdout.write(self.style.SUCCESS(f"行政区划已载入：共 {count} 条。"))
