"""Measured, not guessed (issue 22 §5): a year of history for 3,000 households with planted
deteriorations; at the default weights and thresholds the warnings catch ≥ 95 % of the planted
cases by the next day, and on an ordinary day at most 10 % of households are at 预警 or above.
docs/early-warning.md reports the figures (bench/early_warning.py prints them)."""

import pytest

from accounts.models import Role
from tests.factories import user_with_role

from .scenario import build, measure

pytestmark = pytest.mark.django_db


def test_recall_and_alert_fatigue_at_the_defaults():
    township = user_with_role(Role.TOWNSHIP, "522634101000", username="xijiang")
    scenario = build(households=3000, recorder=township)
    assert scenario.visits > 50_000 and len(scenario.planted) == 150
    result = measure(scenario, township)
    assert {how for how in result.by_how} == {"visit", "critical", "help"}
    assert result.recall >= 0.95, result
    assert result.worst_share <= 0.10, result
    # Noise is there: ordinary fluctuations do put households at 关注 (the measure is not empty).
    assert all(attention > 0.02 for _day, _high, attention in result.ordinary_days), result
