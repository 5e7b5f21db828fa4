"""A year of history for a few thousand households, with deteriorations planted at known dates:
the measure of early warning (issue 22 §5). Used by tests/earlywarning/test_recall.py (asserts
at the defaults) and bench/early_warning.py (prints the figures for docs/early-warning.md).

The households get visits at their tier's interval, all year. Ordinary life is noise: at any
visit an item may be a little worse than last time and better again at the next (食/衣/住/医
有困难, health one step worse, a safety hazard). Planted cases are what a caseworker must not
miss: at one visit health one step worse *and* a living item in difficulty, or health turned
病重, or a help request from the door card. Each planted case has a date; recall is the share of
planted cases that carry a 预警 or 紧急 warning by the day after (the nightly run)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import timezone

from accounts.models import Area
from beneficiaries.models import Household
from imports.bulk import copy_insert
from visits.models import Visit

SHANGHAI = ZoneInfo("Asia/Shanghai")
YEAR_START = dt.date(2025, 12, 1)
YEAR_END = dt.date(2026, 11, 30)
INTERVAL = {"A": 10, "B": 15, "C": 30}
HEALTH = ["good", "fair", "poor", "critical"]
LIVING = ["food", "clothing", "housing", "medical"]
SAFETY = ["house_safety", "water_safety", "power_safety", "heating_safety"]

# Chance, at one visit, of an ordinary fluctuation (worse than the household's usual, back next time).
NOISE_LIVING = 0.03
NOISE_HEALTH = 0.015
NOISE_SAFETY = 0.01


@dataclass
class Planted:
    household_id: int
    on: dt.date
    how: str  # "visit" (health worse + living difficult), "critical" (health 病重), "help" (help request)


@dataclass
class Scenario:
    households: list[int] = field(default_factory=list)
    planted: list[Planted] = field(default_factory=list)
    visits: int = 0


def build(*, households: int = 3000, planted_share: float = 0.05, seed: int = 2026, recorder) -> Scenario:
    """Write the households and their year of visits (COPY), return what was planted."""
    rng = random.Random(seed)
    villages = list(Area.objects.filter(parent_id="522634101000", level="village").order_by("code")[:12])
    objs = [Household(code=f"EW{n:06d}", village=villages[n % len(villages)], tier=rng.choice("AABBBCC"),
                      criteria=["A1"], tier_since=YEAR_START, address="") for n in range(households)]
    copy_insert(objs)
    scenario = Scenario(households=[h.pk for h in objs])
    plant_dates = [YEAR_START + dt.timedelta(days=20 + 28 * k) for k in range(12)]
    chosen = rng.sample(objs, int(households * planted_share))
    plant_of: dict[int, tuple[dt.date, str]] = {}
    for i, h in enumerate(chosen):
        how = "help" if i % 10 == 0 else ("critical" if i % 10 == 1 else "visit")
        plant_of[h.pk] = (plant_dates[i % len(plant_dates)], how)
    recorder_name = recorder.display_name[:50]
    now = timezone.now()
    visits: list[Visit] = []
    for h in objs:
        usual_health = rng.choice(["good", "fair", "fair", "poor"]) if h.pk not in plant_of else rng.choice(["good", "fair"])
        day = YEAR_START + dt.timedelta(days=rng.randrange(min(INTERVAL[h.tier], 20)))  # before the first plant date
        planted_on, how = plant_of.get(h.pk, (None, ""))
        previous_noisy = False
        while day <= YEAR_END:
            answers = {"health": usual_health, **{k: "ok" for k in LIVING}, **{k: "safe" for k in SAFETY}}
            if planted_on and how in ("visit", "critical") and day == planted_on:
                if how == "visit":
                    answers["health"] = HEALTH[HEALTH.index(usual_health) + 1]
                    answers[rng.choice(LIVING)] = "difficult"
                else:
                    answers["health"] = "critical"
                scenario.planted.append(Planted(h.pk, day, how))
                previous_noisy = True
            elif not previous_noisy:
                if rng.random() < NOISE_LIVING:
                    answers[rng.choice(LIVING)] = "difficult"
                if rng.random() < NOISE_HEALTH and usual_health != "critical":
                    answers["health"] = HEALTH[HEALTH.index(usual_health) + 1]
                if rng.random() < NOISE_SAFETY:
                    answers[rng.choice(SAFETY)] = "hazard"
                previous_noisy = answers["health"] != usual_health or "difficult" in answers.values()
            else:
                previous_noisy = False
            visits.append(Visit(household_id=h.pk, visited_on=day, mode="in_person", counted=True,
                                visitor_name=recorder_name, recorded_by=recorder, recorded_at=now, transport="ok",
                                benefits=["dibao"], family_support="fulfilled", gas_safety="none", needs=["none"],
                                **answers))
            # The planted visit falls on its date: the schedule bends to meet it, as a cadre would.
            nxt = day + dt.timedelta(days=INTERVAL[h.tier])
            if planted_on and how != "help" and day < planted_on < nxt:
                nxt = planted_on
            day = nxt
        if how == "help":
            scenario.planted.append(Planted(h.pk, planted_on, how))
    copy_insert(visits)
    scenario.visits = len(visits)
    with connection.cursor() as cur:
        cur.execute(f"ANALYZE {Visit._meta.db_table}")
    return scenario


def planted_help_requests(scenario: Scenario, actor, day: dt.date) -> None:
    """The help requests planted on `day`, through the door card as a household makes them (at 10:00)."""
    from earlywarning import actions

    for p in (p for p in scenario.planted if p.how == "help" and p.on == day):
        card = actions.door_card_issue(actor=actor, household=Household.objects.get(pk=p.household_id))
        actions.help_request_submit(card=card, kinds=["ill"],
                                    now=dt.datetime.combine(p.on, dt.time(10), tzinfo=SHANGHAI))


@dataclass
class Measure:
    planted: int
    warned: int
    by_how: dict[str, tuple[int, int]]
    ordinary_days: list[tuple[dt.date, float, float]]  # day, share at 预警+, share at 关注+

    @property
    def recall(self) -> float:
        return self.warned / self.planted if self.planted else 1.0

    @property
    def worst_share(self) -> float:
        return max(s for _d, s, _a in self.ordinary_days)


ORDINARY_DAYS = [dt.date(2026, 3, 3), dt.date(2026, 6, 9), dt.date(2026, 9, 15)]


def measure(scenario: Scenario, actor) -> Measure:
    """1. Store every signal of the year (the rules read only facts dated on or before each day).
    2. Alert fatigue: the share of households at 预警 or above on ordinary days.
    3. Recall: run the nightly job's warning step the day after each planted date; a planted case
       is warned when an open 预警/紧急 warning of its household carries a signal of that date.
       Then the township verifies every open warning (so the next month starts clean)."""
    from earlywarning import actions
    from earlywarning.models import CareWarning

    actions.signals_refresh(since=YEAR_START, today=YEAR_END)
    total = len(scenario.households)
    shares = []
    for day in ORDINARY_DAYS:
        levels = actions.levels_on(day)
        high = sum(1 for _s, lv in levels.values() if lv in ("warning", "urgent"))
        shares.append((day, high / total, len(levels) / total))
    warned, by_how = 0, {}
    for day in sorted({p.on for p in scenario.planted}):
        planted_help_requests(scenario, actor, day)
        actions.warnings_refresh(today=day + dt.timedelta(days=1),
                                 now=dt.datetime.combine(day + dt.timedelta(days=1), dt.time(7, 5), tzinfo=SHANGHAI))
        cases = [p for p in scenario.planted if p.on == day]
        hits = set(CareWarning.objects.filter(
            verified_at__isnull=True, level__in=["warning", "urgent"],
            household_id__in=[p.household_id for p in cases], signals__observed_on=day,
        ).values_list("household_id", flat=True))
        for p in cases:
            n, w = by_how.get(p.how, (0, 0))
            by_how[p.how] = (n + 1, w + (p.household_id in hits))
        warned += sum(1 for p in cases if p.household_id in hits)
        CareWarning.objects.filter(verified_at__isnull=True).update(
            verified_at=dt.datetime.combine(day + dt.timedelta(days=2), dt.time(12), tzinfo=SHANGHAI))
    return Measure(len(scenario.planted), warned, by_how, shares)
