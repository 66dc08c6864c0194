"""shop's vocabulary and rules as tables.

The docs show "pending", "processing" and "cancelled"; "shipped", "completed" and "refunded" are the other
statuses a Laravel shop's orders commonly pass through (recorded in docs/fidelity.md)."""

from sandbox.core.rules import Rule
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
UPDATE_ONLY_PENDING = Rule("update-only-pending", "An order can be updated only while its status is pending.",
                           "docs: '5. Update order (if order status is pending)'")
CANCEL_ONLY_PENDING = Rule("cancel-only-pending", "An order can be cancelled only while its status is pending.",
                           "docs: '5. Cancel order (if order status is pending)'")
CREATE_NEEDS_CART_ITEMS = Rule("create-needs-cart-items",
                               "An order is created from the user's cart, which must hold at least one item.",
                               "docs: meta.source 'cart'; refusal of an empty cart is a choice (docs/fidelity.md)")
ITEM_SKU_MUST_EXIST = Rule("item-sku-must-exist", "Every item's product_sku names a product or variation.",
                           "choice (docs/fidelity.md): Laravel's exists rule")
ORDERS_BELONG_TO_USER = Rule("orders-belong-to-user",
                             "A user sees and changes only their own orders; another user's order is a 404.",
                             "docs: 'All user orders'; the 404 is a choice (docs/fidelity.md)")
RULES = (UPDATE_ONLY_PENDING, CANCEL_ONLY_PENDING, CREATE_NEEDS_CART_ITEMS, ITEM_SKU_MUST_EXIST, ORDERS_BELONG_TO_USER)
REFUSALS = {  # action -> (rule, message of the 422); API-NOTES: Laravel has no convention, CHOICE 422
    "update": (UPDATE_ONLY_PENDING, "Only pending orders can be updated."),
    "cancel": (CANCEL_ONLY_PENDING, "Only pending orders can be cancelled."),
}

DEFAULT_USER_ID = 1            # the docs' user: any token not in SHOP_USERS
ORDER_NUMBER_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"   # strtoupper(Str::random(4))
ITEM_SEQUENCE = "order_items"  # the auto-increment behind order item ids (see seed.py)
