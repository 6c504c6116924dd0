"""How far the floor has taken an order: the states of `orders.state`, in flow order.

The table's CHECK holds the same list (migration 0007's own copy); a test keeps them equal.
"""

from __future__ import annotations

ORDER_STATES = (
    "new",  # from the OMS, nothing reserved yet
    "backorder",  # not all of it could be reserved
    "allocated",  # every unit reserved
    "waved",  # in a wave: pick tasks open
    "picking",  # some units in the tote
    "picked",  # every unit in the tote: ready to pack
    "short",  # a pick came up short and no other stock was found
    "packed",  # a parcel with its waybill number
    "loaded",
    "shipped",
    "cancelled",  # intercepted (CEB623)
)
