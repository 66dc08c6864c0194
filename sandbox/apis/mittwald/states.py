"""mittwald's order vocabulary, from the spec excerpt (``openapi.json`` beside this file).

Orders are read-only in the emulated endpoints, so no transition table is needed: the status set is the
spec's ``de.mittwald.v1.order.OrderStatus`` enum, and the list filters check values against it."""

ORDER_STATUSES = ("NEW", "CONFIRMED", "REJECTED", "ABORTED", "EXECUTED")
ORDER_TYPES = ("NEW_ORDER", "CONTRACT_CHANGE")

# order-list-orders documents these defaults; order-list-customer-orders repeats the parameters without them.
DEFAULT_LIMIT = 1000
DEFAULT_SKIP = 0

PAGINATION_HEADERS = ("X-Pagination-TotalCount", "X-Pagination-Limit", "X-Pagination-Skip", "X-Pagination-Page")
