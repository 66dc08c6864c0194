"""mittwald's order vocabulary, from the spec excerpt (``openapi.json`` beside this file).

Orders are read-only in the emulated endpoints, so no transition table is needed: the status set is the
spec's ``de.mittwald.v1.order.OrderStatus`` enum, and the list filters check values against it."""

from sandbox.core.rules import Rule

ORDER_STATUSES = ("NEW", "CONFIRMED", "REJECTED", "ABORTED", "EXECUTED")
ORDER_TYPES = ("NEW_ORDER", "CONTRACT_CHANGE")

# order-list-orders documents these defaults; order-list-customer-orders repeats the parameters without them.
DEFAULT_LIMIT = 1000
DEFAULT_SKIP = 0

PAGINATION_HEADERS = ("X-Pagination-TotalCount", "X-Pagination-Limit", "X-Pagination-Skip", "X-Pagination-Page")

# mittwald's developer portal (docs/api/intro.mdx, "Rate Limiting") puts these on each response of the
# current user; the limit and its period are not public (a CHOICE), and the sandbox never refuses with 429.
RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
RATE_LIMIT = 1000
RATE_LIMIT_PERIOD_SECONDS = 60


CUSTOMER_MUST_BE_ACCESSIBLE = Rule(
    "customer-must-be-accessible", "Orders are listed only for a customer the user has access to; any other is 403.",
    "docs: 'The list of Orders of a Customer the User has access to'; 403 is a choice (docs/fidelity.md)")
QUERY_MATCHES_SPEC = Rule("query-matches-spec", "limit, skip and page are integers >= 0 and statuses come from the "
                          "spec's enum; anything else is a 400 ValidationError.", "mittwald's OpenAPI spec")
RULES = (CUSTOMER_MUST_BE_ACCESSIBLE, QUERY_MATCHES_SPEC)
