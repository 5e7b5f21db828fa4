"""The importers the job runner knows, registered by the apps that own the data.

The imports app is the job runner (store, check, commit, progress, errors); it does not know
what a roster or a visit ledger is. Each app registers one function per `ImportKind` in its
`AppConfig.ready()`:

    registry.register(ImportKind.ROSTER, roster_job)

An importer is called as `importer(job, content, commit=bool, progress=callable, table=rows)` (the
rows the check parsed, kept so the commit does not parse the file again) and returns an `Outcome`; it runs inside the job's transaction (all or nothing)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from accounts import sheets


@dataclass
class Outcome:
    errors: list[sheets.RowError]
    rows: int
    summary: dict[str, Any]


Importer = Callable[..., Outcome]
_importers: dict[str, Importer] = {}


def register(kind: str, importer: Importer) -> None:
    _importers[str(kind)] = importer


def importer_for(kind: str) -> Importer:
    try:
        return _importers[str(kind)]
    except KeyError:
        raise LookupError(f"no importer registered for import kind {kind!r}") from None
