"""Business dates are China Standard Time dates: today for a county office is 北京时间."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def today() -> date:
    """The current business date in China."""
    return datetime.now(CHINA).date()
