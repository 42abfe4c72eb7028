"""API keys, staff tokens, webhook endpoints and deliveries: all in the tenant's schema, so a key or token of one
business is simply not found on another's host. One module per concern; importing them here registers them."""

from . import keys, webhooks  # noqa: F401
