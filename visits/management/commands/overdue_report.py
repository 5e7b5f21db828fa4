import datetime as dt
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.actions import audit_record
from accounts.models import Area, AuditAction
from visits.exports import overdue_report_csv
from visits.queries import households_in_area


class Command(BaseCommand):
    help = "逾期未走访清单（CSV，UTF-8 带 BOM，Excel 可直接打开）。"

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD（默认今天）")
        parser.add_argument("--area", help="区划代码（县、乡镇或村），默认全州")
        parser.add_argument("--output", "-o", help="输出文件，默认标准输出")

    def handle(self, *args, **options):
        try:
            on = dt.date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
        except ValueError as exc:
            raise CommandError("日期格式应为 YYYY-MM-DD") from exc
        area = None
        if options["area"]:
            area = Area.objects.filter(code=options["area"]).first()
            if area is None:
                raise CommandError(f"区划代码不存在：{options['area']}")
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8", newline="") as fh:
                count = overdue_report_csv(households_in_area(area), on, fh)
        else:
            count = overdue_report_csv(households_in_area(area), on, sys.stdout)
        audit_record(actor=None, action=AuditAction.EXPORT, object_type="visits.overdue_report",
                     object_repr=f"逾期未走访清单 {on}", details={"date": on.isoformat(),
                                                          "area": area.code if area else "", "rows": count,
                                                          "via": "manage.py overdue_report"})
        self.stderr.write(f"{count} 户")
