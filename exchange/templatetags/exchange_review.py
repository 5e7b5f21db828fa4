"""The quarterly review page shows the county's proposals (one include line in its template)."""

from django import template

from ..queries import review_proposals as review_proposals_query

register = template.Library()


@register.inclusion_tag("exchange/review_proposals.html", takes_context=True)
def review_proposals(context, review):
    request = context["request"]
    pending, decided = review_proposals_query(request.user, review)
    for p in pending:
        p.typed_reason = request.session.get(f"proposal-reason-{p.pk}", "")
    return {"review": review, "pending": pending, "decided": decided, "csrf_token": context.get("csrf_token"),
            "request": request}
