"""Pure rules of assistance and emergencies: no database, `today` passed in."""

from __future__ import annotations

from dataclasses import dataclass

from .models import ApplicationStatus as S
from .models import AssistanceKind

# A county that has set nothing: a township approves up to 1,000 元 on its own and may pay up to
# 1,000 元 at once on the fast track (先行救助); above that the county decides. Counties change both.
DEFAULT_TOWNSHIP_LIMIT_FEN = 100_000
DEFAULT_FAST_TRACK_LIMIT_FEN = 100_000

# Only urgent kinds may be paid first and reviewed after.
FAST_TRACK_KINDS = frozenset({AssistanceKind.URGENT, AssistanceKind.TEMPORARY})

OPEN_STATUSES = frozenset({S.SUBMITTED, S.TOWNSHIP_APPROVED, S.APPROVED, S.FAST_PAID})


@dataclass(frozen=True)
class Limits:
    township_fen: int = DEFAULT_TOWNSHIP_LIMIT_FEN
    fast_track_fen: int = DEFAULT_FAST_TRACK_LIMIT_FEN


def status_after_township_approval(amount_fen: int, limits: Limits) -> str:
    """Within the township's limit its approval is final; above it the county decides."""
    return S.APPROVED if amount_fen <= limits.township_fen else S.TOWNSHIP_APPROVED


def fast_track_refusal(kind: str, amount_fen: int, limits: Limits) -> str | None:
    """Why this application cannot be paid on the fast track, or None when it can."""
    if kind not in FAST_TRACK_KINDS:
        return "kind"
    if amount_fen > limits.fast_track_fen:
        return "limit"
    return None


# Which statuses each step starts from.
TRANSITIONS = {
    "township_approve": {S.SUBMITTED},
    "county_approve": {S.TOWNSHIP_APPROVED},
    "reject": {S.SUBMITTED, S.TOWNSHIP_APPROVED},
    "fast_pay": {S.SUBMITTED},
    "pay": {S.APPROVED},
    "review": {S.FAST_PAID},
}


def can(step: str, status: str) -> bool:
    return status in TRANSITIONS[step]
