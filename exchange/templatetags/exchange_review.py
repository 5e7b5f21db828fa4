"""The quarterly review page shows the county's proposals (one include line in its template)."""

from django import template

from beneficiaries.actions import can_reveal

from ..queries import review_proposals as review_proposals_query

register = template.Library()


@register.inclusion_tag("exchange/review_proposals.html", takes_context=True)
def review_proposals(context, review):
    request = context["request"]
    pending, decided = review_proposals_query(request.user, review)
    for p in pending:
        p.typed_reason = request.session.get(f"proposal-reason-{p.pk}", "")
    # A waiting entry's full ID number is revealed here on the terms of a person's page.
    reveal_review = review if can_reveal(request.user) and not review.is_completed else None
    return {"review": review, "pending": pending, "decided": decided, "csrf_token": context.get("csrf_token"),
            "request": request, "reveal_review": reveal_review}
