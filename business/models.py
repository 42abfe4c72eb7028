from django.db import models


class Outlet(models.Model):
    name = models.CharField(max_length=120)
    code = models.SlugField(max_length=20, unique=True, help_text="Short code printed on receipts and reports.")
    address = models.TextField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
