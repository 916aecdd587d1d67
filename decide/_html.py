"""Shared helpers for the self-contained HTML reports: embedded figures, templates, safe writing."""

from __future__ import annotations

import base64
import contextlib
import io
import os
import re
import tempfile
from pathlib import Path

import jinja2

from decide.errors import DIRECTION_CONTROLS, DecideError
from decide.files import refuse_special_file

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("decide", "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


#: Resolution of the report's figures (dots per inch).
FIGURE_DPI = 110
#: White space kept around a figure's drawn content, in inches (matplotlib's default for a tight box).
FIGURE_PAD = 0.1


def figure_to_data_uri(fig) -> str:
    """A matplotlib figure as a PNG data URI, so the report needs no other files or network.

    The picture is what is drawn plus a margin of FIGURE_PAD, as savefig's bbox_inches="tight"
    gives it, but drawn once: savefig lays out every text once to find the box and then again on a
    new canvas to draw it, and laying out one text costs matplotlib's text engine about half a
    millisecond (a report has some 600). Here the figure is drawn on its own canvas, at the
    resolution it was made at (FIGURE_DPI; decide.case_report.figures), where the text layouts
    found while making it are reused; the box is measured on that canvas, and the picture is that
    canvas cropped to the box, with the figure's background added where the margin runs past the
    canvas. Only a figure with something drawn outside its own canvas goes through savefig.
    """
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    try:
        with _ticks_once():
            _write_png(fig, buf)
    finally:
        plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


@contextlib.contextmanager
def _ticks_once():
    """While a finished figure is measured and drawn: each axis works out its ticks (where they go,
    their labels, which are in view) once for a given view, size and resolution, not at every
    request; measuring the figure's box alone asked three times per axis (the axis and each of its
    two spines), and drawing asked again. Only matplotlib's own measuring and drawing run meanwhile,
    and anything they change that the ticks depend on (the view, the axes' place) is in the key."""
    from matplotlib.axis import Axis

    update = Axis.__dict__["_update_ticks"]
    kept: dict = {}

    def remembered(self):
        key = (tuple(self.get_view_interval()), self.axes.bbox.bounds, self.get_figure(root=True).dpi)
        hit = kept.get(self)
        if hit is not None and hit[0] == key:
            return list(hit[1])
        ticks = update(self)
        kept[self] = (key, list(ticks))
        return ticks

    Axis._update_ticks = remembered
    try:
        yield
    finally:
        Axis._update_ticks = update


def _write_png(fig, buf) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    if not isinstance(fig.canvas, FigureCanvasAgg):  # a canvas without pixels (PDF, SVG backends)
        fig.savefig(buf, format="png", dpi=FIGURE_DPI, bbox_inches="tight", pad_inches=FIGURE_PAD)
        return
    if fig.dpi != FIGURE_DPI:
        fig.set_dpi(FIGURE_DPI)
    canvas = fig.canvas
    width, height = fig.get_size_inches()
    engine = fig.get_layout_engine()
    lays_out_when_drawn = engine is not None and not isinstance(engine, PlaceHolderLayoutEngine)
    if not lays_out_when_drawn:  # the box is known before drawing: no wasted drawing if it runs past
        box = fig.get_tightbbox(canvas.get_renderer())
        if not _inside(box, width, height):
            fig.savefig(buf, format="png", dpi=FIGURE_DPI, bbox_inches=box.padded(FIGURE_PAD))
            return
    _draw_text_quickly(canvas.get_renderer())
    canvas.draw()
    if lays_out_when_drawn:  # the box once the layout is done
        box = fig.get_tightbbox(canvas.get_renderer())
        if not _inside(box, width, height):
            fig.savefig(buf, format="png", dpi=FIGURE_DPI, bbox_inches=box.padded(FIGURE_PAD))
            return
    import numpy as np
    from matplotlib.colors import to_rgba

    box = box.padded(FIGURE_PAD)
    pixels = np.asarray(canvas.buffer_rgba())
    rows, cols = pixels.shape[:2]
    top, bottom = rows - round(box.y1 * FIGURE_DPI), rows - round(box.y0 * FIGURE_DPI)
    left, right = round(box.x0 * FIGURE_DPI), round(box.x1 * FIGURE_DPI)
    background = np.round(np.array(to_rgba(fig.get_facecolor())) * 255).astype(np.uint8)
    picture = np.empty((bottom - top, right - left, 4), dtype=np.uint8)
    picture[...] = background
    picture[max(-top, 0):min(rows, bottom) - top, max(-left, 0):min(cols, right) - left] = \
        pixels[max(top, 0):min(rows, bottom), max(left, 0):min(cols, right)]
    if (picture[..., 3] == 255).all():  # opaque (the usual white background): the same picture without
        picture = picture[..., :3]       # its alpha channel, a tenth smaller and quicker to compress
    buf.write(png_bytes(picture, FIGURE_DPI))


def png_bytes(picture, dpi: float) -> bytes:
    """A PNG of an RGB or RGBA picture (rows x columns x 3 or 4, uint8), lossless.

    Written directly rather than by Pillow: Pillow tries every PNG row filter on every row, which
    took two thirds of the encoding time; the report's figures (flat colours, white space)
    compress as well unfiltered. zlib level 3: as small as Pillow's files (within 3 %), a
    quarter of the time. Like matplotlib's own PNGs: its name as the software, the resolution.
    """
    import struct
    import zlib

    import matplotlib
    import numpy as np

    rows, cols, channels = picture.shape
    colour_type = {3: 2, 4: 6}[channels]  # truecolour, truecolour with alpha

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    scanlines = np.zeros((rows, 1 + cols * channels), dtype=np.uint8)  # each row: filter 0 (none), then pixels
    scanlines[:, 1:] = picture.reshape(rows, cols * channels)
    per_metre = round(dpi / 0.0254)
    software = f"Matplotlib version{matplotlib.__version__}, https://matplotlib.org/"
    return b"".join([
        b"\x89PNG\r\n\x1a\n",
        chunk(b"IHDR", struct.pack(">IIBBBBB", cols, rows, 8, colour_type, 0, 0, 0)),
        chunk(b"tEXt", b"Software\0" + software.encode("latin-1")),
        chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
        chunk(b"IDAT", zlib.compress(scanlines.tobytes(), 3)),
        chunk(b"IEND", b""),
    ])


#: Glyph pictures already rendered, by font, size, glyph, rotation and position within a pixel.
_GLYPHS: dict = {}
#: Texts already shaped (which glyphs, where), by font, string, size and resolution.
_SHAPED: dict = {}


def _agg_draw_text(self, *args):
    """matplotlib's own RendererAgg.draw_text (also while quick_text has replaced it)."""
    from matplotlib.backends import backend_agg

    return _AGG_DRAW_TEXT.get("draw_text", backend_agg.RendererAgg.draw_text)(self, *args)


_AGG_DRAW_TEXT: dict = {}


def _draw_text_quickly(renderer) -> None:
    """Have this renderer draw text as matplotlib's Agg renderer does, pixel for pixel, with less work.

    matplotlib 3.11 shapes each text and renders every glyph through FreeType from Python, about a
    tenth of a millisecond a glyph, and a report has some 6,000: a fifth of its figures' time. A
    text shaped once (a tick label, a group's name) is not shaped again, and a glyph's
    picture depends only on the font, size, rotation and where it falls within a pixel (FreeType
    shifts an outline by whole pixels exactly), so each such picture is rendered once and then
    reused, and the rotation matrix is worked out once per text rather than per glyph. Only this
    renderer (the report's own canvas) is changed; without matplotlib's glyph-drawing helpers the
    renderer is left as it is.
    """
    from matplotlib.backends import backend_agg

    if (getattr(backend_agg.RendererAgg, "_draw_text_glyphs_and_boxes", None) is None
            or not hasattr(backend_agg, "RenderMode")):
        return
    import types

    renderer.draw_text = types.MethodType(_draw_text, renderer)


@contextlib.contextmanager
def without_property_lists():
    """While a command that writes a report loads matplotlib: no list of every property in the help
    text of each drawing class (matplotlib.artist.kwdoc reads some 7,000 docstrings as the classes
    are made: about 0.1 s of CPU, a tenth of loading matplotlib). Nobody reads that help in a command
    that writes a file, and what is drawn does not depend on it. Only when matplotlib is not loaded
    yet, so a notebook or test that has it keeps its help as it is; restored after."""
    import sys

    if "matplotlib.artist" in sys.modules:
        yield
        return
    import matplotlib.artist

    kwdoc = matplotlib.artist.kwdoc
    matplotlib.artist.kwdoc = lambda artist: "(properties: see matplotlib's documentation)"
    try:
        yield
    finally:
        matplotlib.artist.kwdoc = kwdoc


#: Sizes of texts already measured (width, height, descent), by font, string, size and resolution.
_MEASURED: dict = {}


@contextlib.contextmanager
def quick_text():
    """While making a report's figures: every text is plain text, never a formula (names come from the
    user's case or data, and "cost $5 to $10" or a stray "$\\foo{$" must not be set as mathematics, or
    stop the report), and texts are measured and drawn quickly, as _quick_text says."""
    import matplotlib

    with matplotlib.rc_context({"text.parse_math": False}), _quick_text():
        yield


@contextlib.contextmanager
def _quick_text():
    """While making a report's figures: every Agg renderer measures a text it has measured before
    (on any figure) from a table, and draws text as _draw_text_quickly's renderer does; and each
    text's layout (Text._get_layout, some 150 microseconds) is worked out once while its string,
    font, alignment, rotation and resolution stay the same, not at every pass over the figure
    (a report asked for some 2,000 layouts of 220 texts); and tight_layout works out each axis's
    ticks once (see _ticks_once).

    The same numbers and pixels as matplotlib's own; matplotlib keeps its measures per canvas, so
    each figure measured its tick labels and names afresh. Left as it was afterwards.
    """
    from matplotlib.backends import backend_agg

    cls = backend_agg.RendererAgg
    if getattr(cls, "_draw_text_glyphs_and_boxes", None) is None or not hasattr(backend_agg, "RenderMode"):
        yield
        return
    saved = cls.__dict__["draw_text"], cls.__dict__["get_text_width_height_descent"]
    _AGG_DRAW_TEXT.setdefault("draw_text", saved[0])

    def measure(self, s, prop, ismath):
        if ismath:
            return saved[1](self, s, prop, ismath)
        key = (self._prepare_font(prop), s, prop.get_size_in_points(), self.dpi, backend_agg.get_hinting_flag())
        size = _MEASURED.get(key)
        if size is None:
            if len(_MEASURED) > 20_000:
                _MEASURED.clear()
            size = _MEASURED[key] = saved[1](self, s, prop, ismath)
        return size

    from matplotlib.text import Text

    layout = Text.__dict__["_get_layout"]

    def remembered_layout(self, renderer):
        """Text._get_layout, worked out once per text while its inputs stay the same (a text is laid
        out two to four times: to fit the layout, to find the figure's box, to draw it)."""
        if self.get_wrap() or self.get_usetex():  # the layout depends on more than the key
            return layout(self, renderer)
        fp = self._fontproperties
        key = (self._text, self.get_parse_math(), self.get_figure(root=True).dpi, type(renderer),
               getattr(renderer, "dpi", None), tuple(fp.get_family()), fp.get_slant(), fp.get_variant(),
               fp.get_weight(), fp.get_stretch(), fp.get_size(), fp.get_file(), fp.get_math_fontfamily(),
               self._linespacing, self._get_multialignment(), self.get_rotation(), self._horizontalalignment,
               self._verticalalignment, self.get_rotation_mode())
        kept = self.__dict__.get("_decide_layout")
        if kept is not None and kept[0] == key:
            box, lines, corner = kept[1]
            return box.frozen(), lines, corner
        result = layout(self, renderer)
        self._decide_layout = (key, (result[0].frozen(), result[1], result[2]))
        return result

    from matplotlib.figure import Figure

    tight_layout = Figure.__dict__["tight_layout"]

    def tight_layout_ticks_once(self, *args, **kwargs):
        """Figure.tight_layout, its measuring pass with each axis's ticks worked out once (_ticks_once)."""
        with _ticks_once():
            return tight_layout(self, *args, **kwargs)

    cls.draw_text, cls.get_text_width_height_descent = _draw_text, measure
    Text._get_layout = remembered_layout
    Figure.tight_layout = tight_layout_ticks_once
    try:
        yield
    finally:
        cls.draw_text, cls.get_text_width_height_descent = saved
        Text._get_layout = layout
        Figure.tight_layout = tight_layout


def _draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
    """RendererAgg.draw_text and _draw_text_glyphs_and_boxes (matplotlib 3.11) with each glyph's
    picture kept in _GLYPHS; the same arithmetic, so the same pixels."""
    import math

    import numpy as np
    from matplotlib.backends.backend_agg import RenderMode, get_hinting_flag

    if ismath:
        return _agg_draw_text(self, gc, x, y, s, prop, angle, ismath, mtext)
    font = self._prepare_font(prop)
    flags = get_hinting_flag()
    size = prop.get_size_in_points()
    features = mtext.get_fontfeatures() if mtext is not None else None
    language = mtext.get_language() if mtext is not None else None
    try:  # the shaped text: the same string, font and size always gives the same glyphs at the same places
        shaped = (font, s, flags, features, language, size, self.dpi)
        items = _SHAPED.get(shaped)
    except TypeError:  # features or language given as something unhashable
        shaped = items = None
    if items is None:
        items = [(item.ft_object, item.glyph_index, item.x, item.y)
                 for item in font._layout(s, flags=flags, features=features, language=language)]
        if shaped is not None:
            if len(_SHAPED) > 20_000:
                _SHAPED.clear()
            _SHAPED[shaped] = items
    cos = math.cos(math.radians(angle))
    sin = math.sin(math.radians(angle))
    matrix = (0x10000 * np.array([[cos, -sin], [sin, cos]]) @ [[1, 0], [0, 1]]).round().astype(int)
    antialiased = gc.get_antialiased()
    mode = RenderMode.NORMAL if antialiased else RenderMode.MONO
    rotation = (angle, antialiased, flags, self.dpi, size)
    height = self.height
    draw = self._renderer.draw_text_image
    if len(_GLYPHS) > 50_000:  # a bound on memory; a report draws a few thousand distinct glyphs
        _GLYPHS.clear()
    for f, index, dx, dy in items:  # dy is upwards
        px = round(0x40 * (x + dx * cos - dy * sin))
        py = round(0x40 * (height - y + dx * sin + dy * cos))  # FreeType's y is upwards
        key = (f, index, rotation, px % 64, py % 64)
        glyph = _GLYPHS.get(key)
        if glyph is None:
            f.set_size(size, self.dpi)
            f._set_transform(matrix, [px, py])
            bitmap = f._render_glyph(index, flags, mode)
            buffer = bitmap.buffer
            if not antialiased:
                buffer *= 0xff
            glyph = _GLYPHS[key] = (buffer, bitmap.left - px // 64, bitmap.top - py // 64)
        buffer, left, top = glyph
        # draw_text_image's y is downwards & the bitmap bottom side
        draw(buffer, left + px // 64, int(height) - (top + py // 64) + buffer.shape[0], 0, gc)


def _inside(box, width: float, height: float) -> bool:
    """Whether everything drawn (box, in inches) lies on the figure's own canvas."""
    return box.x0 >= 0 and box.y0 >= 0 and box.x1 <= width and box.y1 <= height


#: Characters that change the direction of the text after them (embeddings, overrides, isolates, marks). One in a
#: group's or option's name, never closed, turned "1.22× (90% interval 1.09–1.37)" after it into "(73.1–90.1 ...
#: ×22.1"; in a report each is shown as its code instead, so the name looks odd and the numbers stay as they are.
_DIRECTION_CONTROLS = re.compile(f"[{DIRECTION_CONTROLS}]")


def visible_direction_controls(text: str) -> str:
    """Text with each direction control written as [U+XXXX], so it cannot reverse what follows it."""
    return _DIRECTION_CONTROLS.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)


def render(template: str, **context) -> str:
    """Render one of the package's Jinja2 templates (direction controls made visible, see above)."""
    return visible_direction_controls(_ENV.get_template(template).render(**context))


def write_new(path: str | os.PathLike, text: str, *, force: bool = False) -> Path:
    """Write text atomically; refuse to replace an existing file unless force is set.

    Atomic (temporary file, then rename) so a half-written report never replaces a good one.
    """
    path = Path(path)
    refuse_special_file(path)  # renaming over a device or pipe would replace it
    if path.exists() and not force:
        raise DecideError(f"{path} already exists; choose another name with -o, or pass --force to replace it")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise DecideError(f"cannot write {path}: {exc.strerror or exc}; choose another output path") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes owner-only files; give the usual permissions
        if force:
            os.replace(tmp, path)
        else:
            # link() fails if the target appeared meanwhile, so nothing is ever overwritten.
            os.link(tmp, path)
            os.unlink(tmp)
    except FileExistsError:
        os.unlink(tmp)
        raise DecideError(f"{path} already exists; choose another name with -o, or pass --force to replace it") from None
    except OSError as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise DecideError(f"cannot write {path}: {exc.strerror or exc}; choose another output path") from None
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
