"""Plots take results (tables from decide.compare and friends) and draw them; they never recompute.

One module per stage: decision (options, harms and benefits, what would change the choice),
information (value of finding out, robustness), evidence (priors, posteriors, league tables),
training (the trainers' figures and the review), world (the synthetic world) and audit (a risk
tool's audit); interactive wraps any of them in sliders with a static first figure.

Every figure is written to be read: keys sit beside or under the data, never over it; lines are
named in the key rather than by notes that would sit on them; labels use the case's words, not
identifiers. tests/test_plot_layout.py draws every public function here and checks all three.
"""
