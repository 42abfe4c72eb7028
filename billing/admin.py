from django.contrib import admin

from .models import Plan


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "monthly_price_minor",
        "currency",
        "max_outlets",
        "max_staff",
        "is_default",
    ]
