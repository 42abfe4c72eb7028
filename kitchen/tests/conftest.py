from sales.tests.conftest import resto, till  # noqa: F401 - a restaurant menu and a till with an open shift
