import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from visits.actions import overdue_alerts


class Command(BaseCommand):
    help = "逾期走访预警：生成逾期预警、7天上报乡镇、30天上报县，每月1日生成上月走访不足预警（可重复运行）。"

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD（默认今天，Asia/Shanghai）")

    def handle(self, *args, **options):
        try:
            today = dt.date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
        except ValueError as exc:
            raise CommandError("日期格式应为 YYYY-MM-DD") from exc
        run = overdue_alerts(today=today)
        self.stdout.write(
            f"{today}: 重算应访日期 {run.refreshed} 户，关闭预警 {run.closed}，新增预警 {run.opened}，"
            f"上报乡镇 {run.escalated_township}，上报县 {run.escalated_county}，月度不足 {run.shortfalls}"
        )
