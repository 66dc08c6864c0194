"""eFiling's vocabulary: order statuses, page size, rate limits and the formation agent's catalogue.

Statuses and rate limits are eFiling's published values (efiling-documentation.bdgroup.co.uk, `_rest/7-orders`,
`_rest/1-introduction`); the page size and the catalogue are choices recorded in docs/fidelity.md."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sandbox.core.rules import Rule

STARTED, COMPLETE, CANCELLED = 0, 700, 900
ORDER_STATUSES = {STARTED: "Started", COMPLETE: "Complete", CANCELLED: "Cancelled"}

PER_PAGE = 100                      # nothing public for orders; the sibling Services endpoint returns 100

# Requests per rolling 60 s, per auth key: fewer during UK office hours.
RATE_WINDOW_SECONDS = 60
RATE_PEAK_HOURS = range(8, 18)      # 08:00-18:00 local (Europe/London)
RATE_LIMIT_PEAK, RATE_LIMIT_OFF_PEAK = 120, 180

UK_VAT = Decimal("0.20")

# Formation packages: name -> the incorporation line's price and what the package includes at no charge.
PACKAGES = {
    "Bronze Package": (Decimal("12.99"), ()),
    "Silver Package": (Decimal("39.99"), ("Registered Office Address",)),
    "Gold Package": (Decimal("79.99"), ("Registered Office Address", "Service Address", "Printed Share Certificates")),
    "Platinum Package": (Decimal("129.99"), ("Registered Office Address", "Service Address", "Mail Forwarding",
                                             "Certificate of Good Standing", "Printed Share Certificates")),
}

# Product name -> (is_service, is_incorporation, taxable, unit net price when bought on its own).
INCORPORATIONS = {
    "Limited Company Formation": (0, 1, 1, Decimal("12.99")),
    "LLP Formation": (0, 1, 1, Decimal("24.99")),
    "Company Limited by Guarantee Formation": (0, 1, 1, Decimal("29.99")),
}
PRODUCTS = {
    **INCORPORATIONS,
    "Registered Office Address": (1, 0, 1, Decimal("39.00")),
    "Service Address": (1, 0, 1, Decimal("26.00")),        # one per officer: the docs' line carries the officer
    "Mail Forwarding": (1, 0, 1, Decimal("59.00")),
    "Business Telephone Answering": (1, 0, 1, Decimal("120.00")),
    "Certificate of Good Standing": (0, 0, 1, Decimal("35.00")),
    "Printed Share Certificates": (0, 0, 1, Decimal("15.00")),
    "Company Seal": (0, 0, 1, Decimal("25.00")),
    "Apostilled Documents Pack": (0, 0, 1, Decimal("95.00")),
    "VAT Registration": (1, 0, 1, Decimal("29.00")),
    "PAYE Registration": (1, 0, 1, Decimal("29.00")),
    "Companies House Filing Fee": (0, 0, 0, Decimal("12.00")),   # a statutory fee: outside the scope of VAT
}
OFFICER_PRODUCTS = frozenset({"Service Address"})
EXTRAS = ("Registered Office Address", "Mail Forwarding", "Business Telephone Answering",
          "Certificate of Good Standing", "Printed Share Certificates", "Company Seal", "Apostilled Documents Pack",
          "VAT Registration", "PAYE Registration")
# Companies House's incorporation fee rose from 12 to 50 GBP on 1 May 2024.
FILING_FEES = ((date(2024, 5, 1), Decimal("50.00")), (date.min, Decimal("12.00")))

RATE_LIMIT_RULE = Rule("rate-limit", "Off by default: turn it on with SANDBOX_FORMATIONS_RATE_LIMIT=1 (config key "
                       "FORMATIONS_RATE_LIMIT) to exercise a client's 429 handling. Then 120 requests per 60 s per "
                       "auth key from 08:00 to 18:00 UK time, 180 otherwise; beyond that 429 with Retry-After as a "
                       "YmdHis timestamp.", "eFiling docs, introduction (API-NOTES)")
RULES = (RATE_LIMIT_RULE,)
