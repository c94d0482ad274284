"""The primary care side's forms, one module per part."""
