"""Every write on the board side, one module per part. Each writes its audit event (and any
outbox rows) in its own transaction. Import the part you need:
`from boards.services import briefs`."""

from boards.services.common import BoardError
from boards.services.seats import SeatError, seat_add, seat_end

__all__ = ["BoardError", "SeatError", "seat_add", "seat_end"]
