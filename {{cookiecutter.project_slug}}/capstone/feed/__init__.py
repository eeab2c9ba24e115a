"""The simulated company data feed: domain generators, the defect catalogue and the defect battery.

The feed arrives with a later template update; `capstone data ...` commands will live here.
"""
