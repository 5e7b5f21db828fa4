"""Browser journeys wait for what the user waits for (a URL, a row, a field's value, a server
answer), never for a fixed time or a widget's animation: on a busy machine a sleep is too short
and on a quiet one it is time thrown away (issue 20)."""

import re
from pathlib import Path

JOURNEYS = Path(__file__).resolve().parent / "e2e"
# A fixed pause, in Python or through Playwright, or a wait keyed on a CSS transition/animation.
FORBIDDEN = re.compile(r"\bwait_for_timeout\s*\(|\btime\.sleep\s*\(|\bsleep\s*\(|transitionend|animationend")


def test_no_browser_journey_sleeps_or_waits_for_a_transition():
    offences = [
        f"{path.relative_to(JOURNEYS.parent)}:{number}: {line.strip()}"
        for path in sorted(JOURNEYS.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if FORBIDDEN.search(line)
    ]
    assert not offences, "journeys must wait for state, not time:\n" + "\n".join(offences)


def test_the_check_catches_a_sleep():
    assert FORBIDDEN.search("    page.wait_for_timeout(500)")
    assert FORBIDDEN.search("time.sleep(0.2)")
    assert not FORBIDDEN.search("page.wait_for_url(re.compile('/visits/mine/$'))")
