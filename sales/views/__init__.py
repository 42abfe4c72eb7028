"""Till pages (till.py), shifts and cash (shifts.py), the supervisor console (supervisor.py)."""
