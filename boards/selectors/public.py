"""Reads of the board side: public. (Filled in as the part lands.)"""

from __future__ import annotations
