from sales.tests.conftest import till  # noqa: F401 - the till with an open shift
