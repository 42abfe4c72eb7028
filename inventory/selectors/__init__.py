"""Reads of stock, one module per subject; import from the submodule (e.g. `inventory.selectors.items`)."""
