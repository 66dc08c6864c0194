"""appx's vocabulary. Only "Awaiting Delivery" and "PYOP" appear in the docs; the rest is what a UK phone
trade-in service shows its customers (recorded in docs/fidelity.md)."""

ORDER_STATUSES = ("Awaiting Delivery", "Received", "Inspecting", "Revised Offer", "Paid", "Cancelled",
                  "Expired", "Returned")
PROCESSED_STATUSES = frozenset({"Revised Offer", "Paid", "Returned"})   # these carry a processed_date
ORDER_TYPES = ("PYOP", "FREEPOST")   # print your own postage / prepaid postage pack
# Grade -> share of the model's "Good" price; 155 of 455 for "Faulty" comes from the docs' example.
GRADES = {"Excellent": 1.08, "Good": 1.0, "Poor": 0.7, "Faulty": 155 / 455}
PRICE_GUARANTEE_DAYS = 14            # expiry_date - order_date in both documented orders
PER_PAGE = 15
