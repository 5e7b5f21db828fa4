"""A second press of a form already acted on (the first answer was slow, the phone sent it again,
the back button showed the old form): nothing is done twice and the person lands on the page of
what was done, with a note — never on an error page (issue 24 §12).

- an action that can tell its target state already holds raises ``AlreadyDone`` (after taking
  its row lock, so two presses at once are told apart too);
- a view answers it, or a target state it sees itself, with ``already_done(request, to, …)``:
  an info message "此操作已完成" and a redirect to the object's page.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.translation import gettext as _


class AlreadyDone(Exception):
    """The action's target state holds already: nothing was done (a repeated submit)."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail)
        self.detail = detail


def already_done(request: HttpRequest, to, *args, detail: str = "", **kwargs) -> HttpResponseRedirect:
    """Info "此操作已完成" (with what holds now, when given) and a redirect to `to` (a URL name,
    a URL or a model, as ``redirect`` takes)."""
    text = _("此操作已完成，未重复办理。")
    messages.info(request, f"{text}{detail}" if detail else text)
    return redirect(to, *args, **kwargs)


def moved_on(request: HttpRequest, to, *args, state: str, **kwargs) -> HttpResponseRedirect:
    """The form was for a state the object has left another way (e.g. resolving a referral that
    was declined meanwhile): nothing done, the page of what holds now, with a note."""
    messages.info(request, _("未办理：当前状态已是“%(s)s”，请看下面的记录。") % {"s": state})
    return redirect(to, *args, **kwargs)
