def test_each_role_lands_on_its_page(tenant):
    for role, marker in [
        ("CASHIER", 'data-testid="till"'),
        ("KITCHEN", "kitchen-display"),
        ("SUPERVISOR", "supervisor-console"),
        ("ADMIN_TENANT", "backoffice-dashboard"),
    ]:
        client = tenant.client(role)
        response = client.get("/", follow=True)
        assert response.status_code == 200, role
        assert marker in response.content.decode(), role
