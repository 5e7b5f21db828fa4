"""Every URL pattern of the project, for sweep tests (CSP headers, scope before role)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver


def url_patterns(resolver=None, namespace: str = "", prefix: str = ""):
    """(name with namespace, route string, converters {kwarg: converter}) for every named pattern
    outside the admin."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from url_patterns(entry, ns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", prefix + str(entry.pattern), dict(entry.pattern.converters)
