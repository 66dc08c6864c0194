"""shop's vocabulary and rules as tables.

The docs show "pending", "processing" and "cancelled"; "shipped", "completed" and "refunded" are the other
statuses a Laravel shop's orders commonly pass through (recorded in docs/fidelity.md)."""

from sandbox.core.transitions import Transitions

STATUSES = ("pending", "processing", "shipped", "completed", "cancelled", "refunded")

# What a customer may do to an order in each status. Docs: update and cancel "if order status is pending".
CUSTOMER_ACTIONS = Transitions({
    "pending": {"update", "cancel"},
    "processing": set(),
    "shipped": set(),
    "completed": set(),
    "cancelled": set(),
    "refunded": set(),
})
REFUSALS = {  # action -> (rule id, message of the 422); API-NOTES: Laravel has no convention, CHOICE 422
    "update": ("update-only-pending", "Only pending orders can be updated."),
    "cancel": ("cancel-only-pending", "Only pending orders can be cancelled."),
}

DEFAULT_USER_ID = 1            # the docs' user: any token not in SHOP_USERS
ORDER_NUMBER_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"   # strtoupper(Str::random(4))
ITEM_SEQUENCE = "order_items"  # the auto-increment behind order item ids (see seed.py)
