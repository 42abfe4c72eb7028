"""Staff apps' sign-in for the JSON API (docs/api.md, docs/adr/0017): a short-lived access token and a refresh
token used once. These three endpoints take no bearer credential (they make one) and need no Idempotency-Key:
signing in twice makes two sign-ins, which harms nothing."""

import math

from django.urls import path
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from accounts.throttle import Throttled, wait_message
from core.api import ApiView

from . import services


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(allow_blank=True, trim_whitespace=False)
    password = serializers.CharField(allow_blank=True, trim_whitespace=False, style={"input_type": "password"})
    otp = serializers.CharField(
        required=False, allow_blank=True, help_text="The authenticator's code (or a backup code), when they have one."
    )


class TokenPairSerializer(serializers.Serializer):
    token_type = serializers.CharField(default="Bearer")
    access_token = serializers.CharField()
    access_expires_at = serializers.DateTimeField()
    refresh_token = serializers.CharField()
    refresh_expires_at = serializers.DateTimeField()


class RefreshRequestSerializer(serializers.Serializer):
    refresh_token = serializers.CharField(allow_blank=True)


class RevokeRequestSerializer(serializers.Serializer):
    token = serializers.CharField(allow_blank=True, help_text="An access or refresh token of the sign-in to end.")


PAIR_EXAMPLE = OpenApiExample(
    "Tokens",
    value={
        "token_type": "Bearer",
        "access_token": "pos_at_Jx2...",
        "access_expires_at": "2026-12-01T08:15:00Z",
        "refresh_token": "pos_rt_9Qm...",
        "refresh_expires_at": "2026-12-08T08:00:00Z",
    },
    response_only=True,
)


SIGN_IN_EXAMPLE = {"username": "ayu", "password": "correct-horse-battery", "otp": "123456"}


def _pair(pair: services.TokenPair) -> dict:
    return TokenPairSerializer(
        {
            "token_type": "Bearer",
            "access_token": pair.access,
            "access_expires_at": pair.access_expires_at,
            "refresh_token": pair.refresh,
            "refresh_expires_at": pair.refresh_expires_at,
        }
    ).data


class _TokenView(ApiView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []  # the sign-in limits of accounts/throttle.py apply instead
    idempotency_exempt = True
    api_resource = "auth"
    api_public_reason = "Signing in: it checks the person's own credentials."


class TokenCreate(_TokenView):
    """Sign a person in for a staff app: username and password (and the authenticator's code when the person has
    one). Failed tries slow down as on the sign-in page (429 with Retry-After)."""

    @extend_schema(
        summary="Sign in (staff apps)",
        request=TokenRequestSerializer,
        responses={200: TokenPairSerializer},
        auth=[],
        examples=[PAIR_EXAMPLE, OpenApiExample("Sign in", request_only=True, value=SIGN_IN_EXAMPLE)],
    )
    def post(self, request):
        form = TokenRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            pair = services.token_sign_in(request=request._request, **form.validated_data)
        except Throttled as wait:
            raise exceptions.Throttled(wait=math.ceil(wait.seconds), detail=wait_message(wait.seconds),
                                       code="auth.throttled") from None  # fmt: skip
        return Response(_pair(pair))


class TokenRefresh(_TokenView):
    """A new access token and a new refresh token for a refresh token, which is then used up. Sending a used
    refresh token again ends the whole sign-in (every token of it): sign in again."""

    @extend_schema(
        summary="Refresh tokens",
        request=RefreshRequestSerializer,
        responses={200: TokenPairSerializer},
        auth=[],
        examples=[PAIR_EXAMPLE, OpenApiExample("Refresh", request_only=True, value={"refresh_token": "pos_rt_9Qm..."})],
    )
    def post(self, request):
        form = RefreshRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        return Response(_pair(services.token_refresh(refresh=form.validated_data["refresh_token"])))


class TokenRevoke(_TokenView):
    """Sign out: every token of the sign-in the given token belongs to stops working. An unknown token is no
    error."""

    @extend_schema(
        summary="Sign out (revoke tokens)",
        request=RevokeRequestSerializer,
        responses={204: None},
        auth=[],
        examples=[OpenApiExample("Revoke", request_only=True, value={"token": "pos_rt_9Qm..."})],
    )
    def post(self, request):
        form = RevokeRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.token_revoke(token=form.validated_data["token"])
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("auth/token", TokenCreate.as_view(), name="token"),
    path("auth/refresh", TokenRefresh.as_view(), name="token-refresh"),
    path("auth/revoke", TokenRevoke.as_view(), name="token-revoke"),
]
