import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from visits.actions import daily_digest


class Command(BaseCommand):
    help = "每日走访提醒：给每位结对干部发送逾期和即将到期的户数（同一天重复运行只发一次）。"

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD（默认今天，Asia/Shanghai）")

    def handle(self, *args, **options):
        try:
            today = dt.date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
        except ValueError as exc:
            raise CommandError("日期格式应为 YYYY-MM-DD") from exc
        with transaction.atomic():
            sent = daily_digest(today=today)
        self.stdout.write(f"{today}: 新发走访提醒 {sent} 条")
