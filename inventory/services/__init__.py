"""Writes of stock, one module per subject; import from the submodule (e.g. `inventory.services.stock`)."""
