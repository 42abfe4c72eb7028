from pos_project.money import currency_format


def money(request):
    """`currency` (`{{ amount|money:currency }}`) and `currency_format` (for `json_script`, so the browser formats
    amounts by the server's rules) on a tenant's pages: the tenant's currency, never a guessed one."""
    code = getattr(getattr(request, "tenant", None), "currency", None)
    if not code:
        return {}
    return {"currency": code, "currency_format": currency_format(code)}
