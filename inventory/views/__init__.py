"""Pages of the stock back office, one module per subject (items, reports, adjustments, transfers, ...)."""
