"""The model book against the live book (issue 22): pure maths on the rows ClickHouse returns.

* `waterfall` — the range's split of live − model PnL into bars that add up exactly (and each day's sentence)
* `band` — the cumulative active return and its ±kσ√t band from the desk's own realised tracking error
* `curves` — the two equity curves (live and model) for one chart

The model book itself, the marks and every bar per day and symbol are computed by ClickHouse
(queries/tracking/model_days.sql, model_book.sql, shortfall.sql); `answers/shortfall.py` is the one
function every surface calls.
"""
