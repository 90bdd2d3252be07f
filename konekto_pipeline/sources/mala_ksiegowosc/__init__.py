"""Mała Księgowość „Rzeczpospolitej”: companies, taxes to pay and monthly ledger totals."""
