"""Reports over the local cache (no Qt, no Stripe calls): MRR first (issue 15)."""
