"""desk-billing: a desktop back-office for a company's Stripe account."""

__version__ = "0.1.0"
