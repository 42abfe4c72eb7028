from .models import Plan


def plan_get_default() -> Plan:
    """The plan new tenants get; the initial migration creates one, so its absence is a broken install."""
    return Plan.objects.get(is_default=True)
