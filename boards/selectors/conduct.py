"""Reads of the board side: conduct. (Filled in as the part lands.)"""

from __future__ import annotations
