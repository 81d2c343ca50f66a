"""Statements of the rebalance desk: the model's targets of a date, the exchange's asset metadata, the newest
Binance closes of a set of coins, and what happened at a day's 00:00 rebalance (fills, orders)."""
