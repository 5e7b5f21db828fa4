"""Print the current code of the public demo TOTP secret (accounts/demo_otp.py)."""

from django.core.management.base import BaseCommand

from accounts.demo_otp import demo_code, demo_secret


class Command(BaseCommand):
    help = "当前演示二次验证码（仅用于演示账号，密钥公开）。"

    def handle(self, *args, **options):
        self.stdout.write(f"演示密钥 {demo_secret()}，当前验证码 {demo_code()}（30秒内有效）")
