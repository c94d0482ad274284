"""The primary care side's pages, one module per part."""
