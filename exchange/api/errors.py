"""Errors of the domain actions as API answers: a Django ValidationError is 400 (or 409 when the
record's state does not allow the step), PermissionDenied 403 — each with its Chinese message."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class Conflict(Exception):
    def __init__(self, error: DjangoValidationError):
        self.error = error


def exception_handler(exc, context):
    if isinstance(exc, Conflict):
        return Response({"detail": "；".join(exc.error.messages)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return Response({k: v for k, v in exc.message_dict.items()}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"detail": "；".join(exc.messages)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, PermissionDenied) and exc.args:
        return Response({"detail": str(exc.args[0])}, status=status.HTTP_403_FORBIDDEN)
    return drf_exception_handler(exc, context)
