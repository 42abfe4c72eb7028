"""The catalog's back-office pages, at the paths they have always had (bookmarks keep working)."""

from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("backoffice/catalog/categories/", views.category_list, name="category_list"),
    path("backoffice/catalog/categories/<int:pk>/", views.category_edit, name="category_edit"),
    path("backoffice/catalog/categories/<int:pk>/archive/", views.category_archive, name="category_archive"),
    path("backoffice/catalog/products/", views.product_list, name="product_list"),
    path("backoffice/catalog/products/add/", views.product_create, name="product_create"),
    path("backoffice/catalog/products/<int:pk>/", views.product_edit, name="product_edit"),
    path("backoffice/catalog/products/<int:pk>/archive/", views.product_archive, name="product_archive"),
    path("backoffice/catalog/products/<int:pk>/unarchive/", views.product_unarchive, name="product_unarchive"),
    path("backoffice/catalog/products/<int:pk>/variants/", views.variant_add, name="variant_add"),
    path("backoffice/catalog/products/<int:pk>/outlets/", views.product_override_set, name="product_override_set"),
    path("backoffice/catalog/variants/<int:pk>/", views.variant_edit, name="variant_edit"),
    path("backoffice/catalog/variants/<int:pk>/archive/", views.variant_archive, name="variant_archive"),
    path("backoffice/catalog/modifiers/", views.modifier_group_list, name="modifier_group_list"),
    path("backoffice/catalog/modifiers/add/", views.modifier_group_create, name="modifier_group_create"),
    path("backoffice/catalog/modifiers/<int:pk>/", views.modifier_group_edit, name="modifier_group_edit"),
    path("backoffice/catalog/import/", views.catalog_import, name="catalog_import"),
    path("backoffice/catalog/export.csv", views.catalog_export, name="catalog_export"),
]
