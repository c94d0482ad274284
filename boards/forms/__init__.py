"""Board side forms, one module per part."""
