"""Webhook endpoints the owner registers and the deliveries made to them."""
