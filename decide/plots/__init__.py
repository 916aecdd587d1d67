"""Plots take results (tables from decide.compare and friends) and draw them; they never recompute.

One module per stage: decide.plots.decision (options, harms and benefits), and later
decide.plots.audit, decide.plots.evidence, ...
"""
