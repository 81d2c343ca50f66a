"""The rebalance desk, pure: the trades that bring the book to a target set (ticket), today's rebalance
tracked to completion (completion), and the next targets checked before they trade (preflight, whose
weights check also flags absurd live targets on Positions and Tracking Error).

No streamlit, no queries: answers/rebalance.py loads the frames and calls these functions, so the pages, the
command line, the alerts and the daily report show the same numbers.
"""
