"""Live-mode confirmation: the person types the amount (or the object id) before money moves."""

from __future__ import annotations

from dataclasses import dataclass

from desk_billing.core.errors import ValidationError
from desk_billing.core.money import parse_amount, to_decimal


@dataclass(frozen=True)
class LiveConfirmation:
    """What must be typed: the amount in major units ("12.50", "12,50" also accepted), or the id."""

    object_id: str
    amount: int | None = None
    currency: str | None = None

    @property
    def expected(self) -> str:
        if self.amount is not None and self.currency:
            return str(to_decimal(self.amount, self.currency))
        return self.object_id

    def prompt(self) -> str:
        if self.amount is not None and self.currency:
            return (
                f"LIVE MODE: real money moves. Type the amount ({self.expected}) or the id "
                f"({self.object_id}) to confirm"
            )
        return f"LIVE MODE: this changes real data. Type the id ({self.object_id}) to confirm"

    def matches(self, typed: str) -> bool:
        text = (typed or "").strip()
        if not text:
            return False
        if text == self.object_id:
            return True
        if self.amount is None or not self.currency:
            return False
        try:
            return parse_amount(text, self.currency) == self.amount
        except ValidationError:
            return False


def needs_confirmation(mode: str) -> bool:
    """Live mode asks; test mode does not (nothing real moves)."""
    return mode == "live"
