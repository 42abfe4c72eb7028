"""Writes of the till, one module per subject (orders, shifts, refunds, ...); import from the submodule
(e.g. `from sales.services.orders import order_submit`)."""
