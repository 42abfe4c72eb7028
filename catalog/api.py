"""The catalog's resources in the JSON API (`/api/v1/`, docs/api.md): thin views over catalog's services and
selectors, on the shared base of core/api.py (permission, idempotency, pagination, errors)."""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from core.api import ApiView, api_object

from . import selectors, services

INT_MAX = 2**31 - 1  # a PositiveIntegerField's ceiling: larger is a 400, not a database error


class CategorySerializer(serializers.Serializer):
    """A menu category. Rules (a name is required, at most 80 characters...) are the catalog's services', as on
    the back-office page."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(trim_whitespace=False, allow_blank=True)
    sort_order = serializers.IntegerField(min_value=0, max_value=INT_MAX, default=0)
    is_archived = serializers.BooleanField(required=False, help_text=str(_("Hidden from the till.")))
    updated_at = serializers.DateTimeField(read_only=True)


CATEGORY_EXAMPLE = {"id": 3, "name": "Coffee", "sort_order": 1, "is_archived": False,
                    "updated_at": "2026-12-01T08:00:00Z"}  # fmt: skip
_category_examples = [
    OpenApiExample("Coffee", value=CATEGORY_EXAMPLE, response_only=True),
    OpenApiExample("New category", value={"name": "Coffee", "sort_order": 1}, request_only=True),
]


def _category_write(*, category, data: dict):
    """The one write path of POST and PATCH: name and order through category_update/create, archiving through
    category_archive, as the back-office page does."""
    if category is None:
        category = services.category_create(name=data["name"], sort_order=data.get("sort_order", 0))
    elif "name" in data or "sort_order" in data:
        category = services.category_update(category=category, name=data.get("name", category.name),
                                            sort_order=data.get("sort_order", category.sort_order))  # fmt: skip
    if "is_archived" in data and data["is_archived"] != category.is_archived:
        category = services.category_archive(category=category, archived=data["is_archived"])
    return category


class CategoryList(ApiView):
    """The menu's categories, archived ones included (`is_archived`)."""

    api_list = True
    api_resource = "categories"
    api_capability_read = "till.use"
    api_capability_write = "catalog.edit"
    serializer_class = CategorySerializer
    ordering = ("sort_order", "name")
    ordering_fields = ("id", "name", "sort_order", "updated_at")

    @extend_schema(summary="List categories", examples=_category_examples)
    def get(self, request):
        return self.paginated(selectors.category_list())

    @extend_schema(summary="Create a category", request=CategorySerializer, responses={201: CategorySerializer},
                   examples=_category_examples)  # fmt: skip
    def post(self, request):
        serializer = CategorySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        category = _category_write(category=None, data=serializer.validated_data)
        return Response(CategorySerializer(category).data, status=status.HTTP_201_CREATED)


class CategoryDetail(ApiView):
    """One category."""

    api_resource = "categories"
    api_capability_read = "till.use"
    api_capability_write = "catalog.edit"
    serializer_class = CategorySerializer

    @extend_schema(summary="Read a category", examples=_category_examples)
    def get(self, request, pk: int):
        return Response(CategorySerializer(api_object(selectors.category_get, pk)).data)

    @extend_schema(summary="Change a category (name, order, archived)", examples=[
        _category_examples[0], OpenApiExample("Archive", value={"is_archived": True}, request_only=True)])  # fmt: skip
    def patch(self, request, pk: int):
        category = api_object(selectors.category_get, pk)
        serializer = CategorySerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        category = _category_write(category=category, data=serializer.validated_data)
        return Response(CategorySerializer(category).data)


urlpatterns = [
    path("categories/", CategoryList.as_view(), name="category-list"),
    path("categories/<int:pk>/", CategoryDetail.as_view(), name="category-detail"),
]
