"""Sliders that still show something on paper.

A slider's figure lives in widget state that only a live kernel can redraw, so an executed
notebook saved as HTML would show nothing where the sliders are. :func:`with_sliders` first
draws the figure at the sliders' starting values as an ordinary image, says in one line that
the sliders need a live kernel, and then shows the sliders themselves.
"""

from __future__ import annotations

LIVE_KERNEL_NOTE = (
    "Above: the figure at the sliders' starting values. The sliders below redraw it only in a live "
    "notebook (run `make lab`); in a saved page they are left out."
)


def with_sliders(func, **controls):
    """Show ``func``'s output at the controls' starting values, then sliders that redraw it.

    ``controls`` are ipywidgets (e.g. FloatSlider) keyed by ``func``'s argument names, as for
    ``ipywidgets.interact``. The starting figure is drawn once, as a plain image in the cell's
    output; the sliders redraw into their own area only when one of them moves. Returns the
    box of sliders and output (already displayed).
    """
    import ipywidgets as widgets
    from IPython.display import display

    func(**{name: control.value for name, control in controls.items()})
    print(LIVE_KERNEL_NOTE)
    out = widgets.Output()

    def redraw(_change=None):
        with out:
            out.clear_output(wait=True)
            func(**{name: control.value for name, control in controls.items()})

    for control in controls.values():
        control.observe(redraw, names="value")
    box = widgets.VBox([*controls.values(), out])
    display(box)
    return box
