"""Figure functions: plain data in, a matplotlib Figure out.

Nothing here trains a model or runs a probe: every function takes NumPy arrays (or dicts and lists
of them) that a compute function produced, draws them, and returns the Figure. That keeps an
explorer's redraw cheap and lets a learner re-plot any stored result.

How the figures behave in a notebook: each is made by pyplot and *closed* at once, so Jupyter
shows it exactly once when a cell returns it (`fig` as the last line, or `display(fig)` inside an
`ipywidgets.Output`), and never a second time when the cell ends; `fig = plot_...(...)` shows
nothing. Outside Jupyter, `figure_to_png_bytes(fig)` or `fig.savefig(path)` renders it.

House style (see the course design): fixed figure sizes, modest dpi, matplotlib's colour-blind-safe
`tab10` for categories and `viridis` for heat maps, and every category also gets its own line
style and marker, so no two lines are told apart by colour alone. Every axis is labelled, with
"(log scale)" where it is one.

Bad input (mismatched lengths, wrong shapes, empty dicts) raises a ValueError naming the function,
the argument and the shapes involved.
"""
from __future__ import annotations

import io
from typing import Mapping

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import ticker
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure

from .stats import mean_interval

__all__ = [
    "DPI",
    "plain_log_ticks",
    "fixed_log_ticks",
    "plot_paired_differences",
    "compare_layer_histograms",
    "figure_to_png_bytes",
    "category_style",
    "decision_grid",
    "plot_layer_gradient_norms",
    "plot_layer_histograms",
    "plot_heatmap_layer_by_step",
    "plot_loss_curves",
    "plot_singular_values",
    "plot_cosine_matrix",
    "plot_trajectories_on_contours",
    "plot_loss_space",
    "plot_tradeoff_curve",
]

DPI = 80
"""Resolution of every figure: small PNGs in the notebooks, fast redraws in the explorers."""

_SINGLE = (6.0, 3.6)
_SQUARE = (4.6, 4.0)
_SQUARE_MARGINS = {"left": 0.16, "right": 0.95, "bottom": 0.13}

_COLOURS = matplotlib.colormaps["tab10"].colors
_LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1.5, 1, 1.5, 1, 1.5)), (0, (8, 2)), (0, (1, 3)),
               (0, (3, 1, 1, 1)), (0, (6, 2, 2, 2)), (0, (2, 2)))
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")
_MISSING_COLOUR = "#d9d9d9"  # heat-map cells with no value (zero on a log scale, NaN)


# ----------------------------------------------------------------------------------------------
# shared helpers
# ----------------------------------------------------------------------------------------------

def figure_to_png_bytes(fig: Figure, dpi: float | None = None) -> bytes:
    """Render `fig` to PNG and return the bytes (what the notebook would show)."""
    if not isinstance(fig, Figure):
        raise TypeError(f"figure_to_png_bytes: expected a matplotlib Figure, got {type(fig).__name__}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi if dpi is not None else fig.dpi)
    return buffer.getvalue()


def category_style(index: int) -> dict:
    """Colour, line style and marker of the category at `index` (a tab10 colour plus shape cues)."""
    return {
        "color": _COLOURS[index % len(_COLOURS)],
        "linestyle": _LINESTYLES[index % len(_LINESTYLES)],
        "marker": _MARKERS[index % len(_MARKERS)],
    }


# Fixed margins (fractions of the figure) instead of a layout engine: constrained layout measures
# every text twice and made a redraw about 45 ms slower, too much for an explorer's 100 ms budget.
_MARGINS = {"left": 0.12, "right": 0.97, "bottom": 0.14, "top": 0.90, "wspace": 0.32, "hspace": 0.45}


def _new_figure(figsize, nrows: int = 1, ncols: int = 1, margins: dict | None = None, **subplot_kw):
    """A pyplot figure that is closed at once (shown once in Jupyter, never leaked)."""
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, dpi=DPI, squeeze=False, **subplot_kw)
    plt.close(fig)
    fig.subplots_adjust(**{**_MARGINS, **(margins or {})})
    return fig, axes


def _target_axes(ax, figsize, margins: dict | None = None):
    """Draw into the caller's axes when given one (to compose panels), else into a new figure."""
    if ax is None:
        fig, axes = _new_figure(figsize, margins=margins)
        return fig, axes[0, 0]
    if not isinstance(ax, matplotlib.axes.Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    return ax.figure, ax


SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _decade_label(value: float, _position=None) -> str:
    """10⁻³ as plain text: the same look as matplotlib's default, without its slower mathtext."""
    if not value > 0:
        return ""
    exponent = np.log10(value)
    if abs(exponent - round(exponent)) > 1e-9:
        return ""
    return "10" + str(int(round(exponent))).translate(SUPERSCRIPTS)


class _MinorLogLabels(ticker.LogFormatter):
    """Labels minor ticks (as 0.2, 0.5, ...) only when the axis spans too few decades for major ones."""

    def __call__(self, value, position=None):
        return f"{value:.3g}" if super().__call__(value, position) else ""


def _log_axis(ax) -> None:
    """A log y axis with plain-text decade labels. Call it after drawing: when the lines and bars
    span more than 4 decades the minor ticks are dropped (too dense to see, and slow to draw)."""
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(_decade_label))
    ax.yaxis.set_minor_formatter(_MinorLogLabels(labelOnlyBase=False, minor_thresholds=(1, 0.4)))
    drawn = [np.asarray(line.get_ydata(), dtype=np.float64).ravel() for line in ax.get_lines()]
    drawn += [np.array([patch.get_height()], dtype=np.float64) for patch in ax.patches]
    flat = np.concatenate(drawn) if drawn else np.zeros(0)
    positive = flat[np.isfinite(flat) & (flat > 0)]
    if positive.size and np.log10(positive.max() / positive.min()) > 4:
        ax.yaxis.set_minor_locator(ticker.NullLocator())


def plain_log_ticks(axis, step: int = 1) -> None:
    """Label a log axis's decades as plain text "10⁻⁶" (every `step`-th decade, no minor labels).

    matplotlib's default labels are mathtext, whose parsing costs more than the rest of a figure.
    """
    def label(value, _position):
        exponent = int(round(np.log10(value))) if value > 0 else 0
        return "10" + str(exponent).translate(SUPERSCRIPTS) if exponent % step == 0 else ""

    axis.set_major_locator(ticker.LogLocator(base=10.0, numticks=30))
    axis.set_major_formatter(ticker.FuncFormatter(label))
    axis.set_minor_locator(ticker.NullLocator())  # ~8 unlabelled ticks per decade cost more than they show
    axis.set_tick_params(which="major", labelsize=10)


def fixed_log_ticks(ax, values: np.ndarray, max_ticks: int = 5) -> None:
    """A log y axis with at most `max_ticks` plain-text decade labels and no minor ticks.

    Fixed ticks instead of a locator: a log axis spanning 60 decades would otherwise make dozens of
    tick artists, and drawing them is most of an update's time.
    """
    ax.set_yscale("log")
    ax.minorticks_off()
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return
    low, high = int(np.floor(np.log10(finite.min()))), int(np.ceil(np.log10(finite.max())))
    if high == low:
        low, high = low - 1, high + 1
    stride = max(1, int(np.ceil((high - low) / (max_ticks - 1))))
    exponents = list(range(high, low - 1, -stride))[::-1]
    ax.set_ylim(10.0 ** (exponents[0] if exponents[0] <= low else low), 10.0 ** high)
    ax.set_yticks([10.0**e for e in exponents], [f"1e{e}" for e in exponents])


def _title(ax, text: str, **options) -> None:
    # An explicit y skips matplotlib's search for top-axis tick labels to dodge, which costs a
    # full layout pass per axes (no figure here has ticks on top).
    ax.set_title(text, y=1.0, **options)


def _layer_axis(ax, which: str = "x") -> None:
    """Whole layer numbers only (no tick at layer 2.5)."""
    axis = ax.xaxis if which == "x" else ax.yaxis
    axis.set_major_locator(ticker.MaxNLocator(integer=True))
    (ax.set_xlabel if which == "x" else ax.set_ylabel)("layer l (1 = next to the input)")


def _markevery(n: int) -> int:
    """Draw about a dozen markers on a long line: enough to tell lines apart, not a smear."""
    return max(1, n // 12)


def _as_array(values, name: str, function: str, ndim: int | None = None) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{function}: {name} must be numbers, got {type(values).__name__}") from None
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{function}: {name} must be {ndim}-D, got shape {array.shape}")
    return array


def _check_mapping(data, name: str, function: str) -> dict:
    if not isinstance(data, Mapping):
        raise ValueError(f"{function}: {name} must be a dict label -> values, got {type(data).__name__}")
    if len(data) == 0:
        raise ValueError(f"{function}: {name} is empty; give at least one label -> values")
    return dict(data)


def _positive_for_log(values: np.ndarray) -> tuple[np.ndarray, int, int]:
    """Values a log axis can show (others -> NaN), with counts of zeros/negatives and non-finite."""
    finite = np.isfinite(values)
    positive = finite & (values > 0)
    shown = np.where(positive, values, np.nan)
    return shown, int(np.sum(finite & ~positive)), int(np.sum(~finite))


_NOTE_PREFIX = "note: "


def _note(ax, text: str) -> None:
    """A remark on what could not be drawn, as a legend entry without a line, so the legend's
    automatic placement keeps it off the data."""
    ax.plot([], [], linestyle="none", label=_NOTE_PREFIX + text)


def _omission_note(ax, n_nonpositive: int, n_nonfinite: int) -> None:
    parts = []
    if n_nonpositive:
        parts.append(f"{n_nonpositive} value(s) <= 0 hidden (log scale)")
    if n_nonfinite:
        parts.append(f"{n_nonfinite} inf/NaN value(s) hidden")
    if parts:
        _note(ax, "; ".join(parts))


def _legend(ax, n_entries: int) -> None:
    """A legend when there is more than one entry to tell apart, or a note to show."""
    has_note = any(label.startswith(_NOTE_PREFIX) for label in ax.get_legend_handles_labels()[1])
    if n_entries > 1 or has_note:
        ax.legend(fontsize=8, ncols=1 if n_entries <= 5 else 2, framealpha=0.85)


# ----------------------------------------------------------------------------------------------
# gradient flow through depth (lessons 03, 04, 08)
# ----------------------------------------------------------------------------------------------

def plot_layer_gradient_norms(norms_by_config: Mapping[str, np.ndarray],
                              title: str = "Gradient norm reaching each layer",
                              ylabel: str = "gradient norm ‖∂L/∂z_l‖ (log scale)",
                              ax=None) -> Figure:
    """One line per configuration: a per-layer gradient norm against layer index, log y.

    norms_by_config: {label: (L,) norms, layer 1 = next to the input}; configurations may have
    different depths. Zeros (dead layers) and inf/NaN cannot sit on a log axis: they are left out
    and a note says how many. ax: draw into this Axes instead of a new figure.
    """
    function = "plot_layer_gradient_norms"
    norms_by_config = _check_mapping(norms_by_config, "norms_by_config", function)
    fig, ax = _target_axes(ax, _SINGLE)
    skipped_low = skipped_bad = 0
    for index, (label, norms) in enumerate(norms_by_config.items()):
        norms = _as_array(norms, f"norms_by_config[{label!r}]", function, ndim=1)
        if norms.size == 0:
            raise ValueError(f"{function}: norms_by_config[{label!r}] is empty")
        shown, low, bad = _positive_for_log(norms)
        skipped_low, skipped_bad = skipped_low + low, skipped_bad + bad
        layers = np.arange(1, norms.size + 1)
        ax.plot(layers, shown, label=str(label), markersize=4, markevery=_markevery(norms.size),
                **category_style(index))
    _log_axis(ax)
    _layer_axis(ax)
    ax.set_ylabel(ylabel)
    _title(ax, title)
    ax.grid(True, which="major", alpha=0.3)
    _omission_note(ax, skipped_low, skipped_bad)
    _legend(ax, len(norms_by_config))
    return fig


def _stats_field(stats, name: str, function: str, required: bool = True):
    value = stats.get(name) if isinstance(stats, Mapping) else getattr(stats, name, None)
    if value is None and required:
        raise ValueError(f"{function}: the statistics lack the field {name!r}")
    return value


def _pick_layers(n_layers: int, wanted: int) -> list[int]:
    """About `wanted` layer indices spread evenly from the first to the last (0-based)."""
    if n_layers <= wanted:
        return list(range(n_layers))
    return sorted(set(np.linspace(0, n_layers - 1, wanted).round().astype(int).tolist()))


def plot_layer_histograms(hist_data, kind: str = "activations", layers=None, max_layers: int = 5,
                          title: str | None = None, ax=None) -> Figure:
    """Glorot & Bengio (2010, AISTATS, Figs. 6-7) style: one normalised histogram curve per layer.

    hist_data: a LayerStats (its `activation_histograms` / `gradient_histograms` /
    `gradient_log10_histograms` are used, by `kind`; a linear output layer is left out of the
    default layers for activations and gradients) or a list, bottom to top, of (counts (B,), edges (B+1,)) pairs. kind: "activations", "gradients" (back-propagated
    gradients ∂L/∂z_l) or "gradient_magnitudes" (histograms of log10 |∂L/∂z_l|).
    layers: 1-based layer numbers to draw; default: up to `max_layers` spread from first to last.
    ax: draw into this Axes (to compose panels) instead of a new figure.
    """
    function = "plot_layer_histograms"
    fields = {"activations": "activation_histograms", "gradients": "gradient_histograms",
              "gradient_magnitudes": "gradient_log10_histograms"}
    if kind not in fields:
        raise ValueError(f"{function}: kind must be one of {sorted(fields)}, got {kind!r}")
    output_layer_is_linear = False
    if isinstance(hist_data, Mapping) or hasattr(hist_data, fields[kind]):
        names = _stats_field(hist_data, "activation_names", function, required=False)
        output_layer_is_linear = bool(names) and len(names) > 1 and names[-1] == "identity" != names[0]
        hist_data = _stats_field(hist_data, fields[kind], function)
    if not isinstance(hist_data, (list, tuple)) or len(hist_data) == 0:
        raise ValueError(f"{function}: hist_data must be a non-empty list of (counts, edges) pairs, "
                         f"got {type(hist_data).__name__}")
    n_layers = len(hist_data)
    if layers is None:
        # A linear output layer's values and gradients live on another scale (logits) and have
        # their own bins: by default draw the hidden layers only, as Glorot & Bengio do.
        drawable = n_layers - 1 if kind != "gradient_magnitudes" and output_layer_is_linear else n_layers
        chosen = _pick_layers(drawable, max_layers)
    else:
        chosen = [int(layer) - 1 for layer in layers]
        outside = [layer + 1 for layer in chosen if not 0 <= layer < n_layers]
        if outside:
            raise ValueError(f"{function}: layers {outside} do not exist; there are {n_layers} layers (1..{n_layers})")
    fig, ax = _target_axes(ax, _SINGLE)
    for position, layer in enumerate(chosen):
        pair = hist_data[layer]
        if len(pair) != 2:
            raise ValueError(f"{function}: layer {layer + 1}: expected a (counts, edges) pair")
        counts = _as_array(pair[0], "counts", function, 1)
        edges = _as_array(pair[1], "edges", function, 1)
        if edges.size != counts.size + 1:
            raise ValueError(f"{function}: layer {layer + 1}: {counts.size} counts need {counts.size + 1} "
                             f"bin edges, got {edges.size}")
        total = counts.sum()
        # Normalise to a density so layers with different bins compare, as in Glorot & Bengio.
        widths = np.diff(edges)
        density = counts / (total * widths) if total > 0 else np.zeros_like(counts)
        centres = 0.5 * (edges[:-1] + edges[1:])
        ax.plot(centres, density, label=f"layer {layer + 1}", markersize=4,
                markevery=_markevery(centres.size), **category_style(position))
    xlabels = {"activations": "activation value h_l",
               "gradients": "back-propagated gradient ∂L/∂z_l",
               "gradient_magnitudes": "log10 |∂L/∂z_l|"}
    titles = {"activations": "Activation values per layer",
              "gradients": "Back-propagated gradients per layer",
              "gradient_magnitudes": "Gradient magnitudes per layer"}
    ax.set_xlabel(xlabels[kind])
    ax.set_ylabel("density (normalised histogram)")
    _title(ax, title or titles[kind])
    ax.grid(True, alpha=0.3)
    _legend(ax, len(chosen))
    return fig


def compare_layer_histograms(stats_by_label: Mapping, kind: str = "gradients", layers=None,
                             title: str | None = None) -> Figure:
    """`plot_layer_histograms` for several networks side by side, one panel each, on shared axes, so
    that the curves of different networks compare by eye. stats_by_label: {label: LayerStats}."""
    stats_by_label = _check_mapping(stats_by_label, "stats_by_label", "compare_layer_histograms")
    n = len(stats_by_label)
    fig, axes = _new_figure((4.6 * n + 0.4, 3.9), ncols=n, margins={"left": 0.1, "right": 0.98, "bottom": 0.15,
                                                                   "top": 0.8, "wspace": 0.12},
                            sharex=True, sharey=True)
    for ax, (label, stats) in zip(axes[0], stats_by_label.items()):
        plot_layer_histograms(stats, kind=kind, layers=layers, title=label, ax=ax)
    for ax in axes[0]:
        ax.xaxis.set_major_locator(ticker.MaxNLocator(5))
        ax.ticklabel_format(axis="x", style="sci", scilimits=(-2, 3))
    for ax in axes[0][1:]:
        ax.set_ylabel("")
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def _edges_from_centres(centres: np.ndarray) -> np.ndarray:
    """Cell boundaries half-way between neighbouring centres (steps may be unevenly spaced)."""
    if centres.size == 1:
        return np.array([centres[0] - 0.5, centres[0] + 0.5])
    middle = 0.5 * (centres[:-1] + centres[1:])
    return np.concatenate([[2 * centres[0] - middle[0]], middle, [2 * centres[-1] - middle[-1]]])


def plot_heatmap_layer_by_step(values, steps=None, title: str = "Gradient norm per layer during training",
                               colorbar_label: str = "gradient norm (log scale)", log: bool = True,
                               ax=None) -> Figure:
    """A layer x step heat map, layer 1 at the bottom, on a log colour scale by default.

    values: (L, S), e.g. per-layer gradient norms recorded at S steps; steps: (S,) the training
    step of each column (default 0..S-1). Cells that cannot be coloured (zero or negative on a
    log scale, NaN, inf) are drawn light grey and counted in a note.
    """
    function = "plot_heatmap_layer_by_step"
    values = _as_array(values, "values", function, ndim=2)
    n_layers, n_steps = values.shape
    if n_layers == 0 or n_steps == 0:
        raise ValueError(f"{function}: values must have at least one layer and one step, got shape {values.shape}")
    steps = np.arange(n_steps, dtype=np.float64) if steps is None else _as_array(steps, "steps", function, 1)
    if steps.size != n_steps:
        raise ValueError(f"{function}: values has {n_steps} columns (steps) but steps has {steps.size} entries")
    fig, ax = _target_axes(ax, _SINGLE)
    if log:
        shown, low, bad = _positive_for_log(values)
        finite = shown[np.isfinite(shown)]
        norm = LogNorm(vmin=finite.min(), vmax=finite.max()) if finite.size else LogNorm(1e-1, 1e1)
        if finite.size and finite.min() == finite.max():
            norm = LogNorm(vmin=finite.min() / 10, vmax=finite.max() * 10)
    else:
        shown = np.where(np.isfinite(values), values, np.nan)
        low, bad = 0, int(np.sum(~np.isfinite(values)))
        finite = shown[np.isfinite(shown)]
        norm = Normalize(vmin=finite.min(), vmax=finite.max()) if finite.size else Normalize(0, 1)
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad=_MISSING_COLOUR)
    mesh = ax.pcolormesh(_edges_from_centres(steps), np.arange(0.5, n_layers + 1.0),
                         np.ma.masked_invalid(shown), cmap=cmap, norm=norm, shading="flat")
    colorbar = fig.colorbar(mesh, ax=ax)
    colorbar.set_label(colorbar_label)
    if log:  # plain-text decade labels, as on the log axes (matplotlib's default uses slow mathtext)
        colorbar.ax.yaxis.set_major_formatter(ticker.FuncFormatter(_decade_label))
        colorbar.ax.yaxis.set_minor_formatter(_MinorLogLabels(labelOnlyBase=False, minor_thresholds=(1, 0.4)))
        if np.log10(norm.vmax / norm.vmin) > 4:
            colorbar.ax.yaxis.set_minor_locator(ticker.NullLocator())
    ax.set_xlabel("training step")
    _layer_axis(ax, "y")
    _title(ax, title)
    _omission_note(ax, low, bad)
    _legend(ax, 0)
    return fig


# ----------------------------------------------------------------------------------------------
# training on 2-D data (lesson 02 and later)
# ----------------------------------------------------------------------------------------------

def decision_grid(X, resolution: int = 100, margin: float = 0.5):
    """A regular grid covering the data, for a decision-boundary plot.

    X: (N, 2) data. Returns (xx, yy, points) with xx, yy: (resolution, resolution) from
    numpy.meshgrid and points: (resolution**2, 2) the grid points as rows, ready for a model.
    """
    X = _as_array(X, "X", "decision_grid", ndim=2)
    if X.shape[1] != 2 or X.shape[0] == 0:
        raise ValueError(f"decision_grid: X must have shape (N, 2) with N >= 1, got {X.shape}")
    if not isinstance(resolution, (int, np.integer)) or resolution < 2:
        raise ValueError(f"decision_grid: resolution must be an integer >= 2, got {resolution!r}")
    low, high = X.min(axis=0) - margin, X.max(axis=0) + margin
    xx, yy = np.meshgrid(np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution))
    return xx, yy, np.column_stack([xx.ravel(), yy.ravel()])


def plot_loss_curves(curves: Mapping[str, np.ndarray], log: bool = True, steps=None,
                     title: str = "Training loss", xlabel: str = "training step", ylabel: str = "loss",
                     ylim=None, ax=None) -> Figure:
    """One line per run. A run that diverged (its curve reaches inf/NaN) ends in an ✕ there.

    curves: {label: (S,) loss values}; runs may have different lengths. steps: None (0..S-1 for
    each), one (S,) array shared by all curves, or {label: (S,) steps}. log: log y axis. ylim: None or
    (low, high); a diverged run's ✕ whose last finite loss is above `high` sits on the top edge at its step,
    so the view never crops it.
    """
    function = "plot_loss_curves"
    curves = _check_mapping(curves, "curves", function)
    if ylim is not None:
        ylim = tuple(float(v) for v in np.asarray(ylim, dtype=np.float64).ravel())
        if len(ylim) != 2 or not (np.isfinite(ylim).all() and ylim[0] < ylim[1] and (not log or ylim[0] > 0)):
            raise ValueError(f"{function}: ylim must be (low, high) with low < high"
                             f"{' and low > 0 on a log axis' if log else ''}, got {ylim}")
    fig, ax = _target_axes(ax, _SINGLE)
    skipped_low = 0
    for index, (label, values) in enumerate(curves.items()):
        values = _as_array(values, f"curves[{label!r}]", function, ndim=1)
        if steps is None:
            x = np.arange(values.size, dtype=np.float64)
        elif isinstance(steps, Mapping):
            if label not in steps:
                raise ValueError(f"{function}: steps has no entry for the curve {label!r}")
            x = _as_array(steps[label], f"steps[{label!r}]", function, 1)
        else:
            x = _as_array(steps, "steps", function, 1)
        if x.size != values.size:
            raise ValueError(f"{function}: curve {label!r} has {values.size} values but its steps have {x.size}")
        style = category_style(index)
        bad = ~np.isfinite(values)
        name = str(label)
        if bad.any():
            first_bad = int(np.argmax(bad))
            name = f"{label} (diverged at step {x[first_bad]:.0f})"
            values, x = values[:first_bad], x[:first_bad]
        shown = values
        if log:
            shown, low, _ = _positive_for_log(values)
            skipped_low += low
        ax.plot(x, shown, label=name, markersize=4, markevery=_markevery(max(values.size, 1)), **style)
        if bad.any() and values.size:
            last = shown[-1] if ylim is None else min(shown[-1], ylim[1])
            ax.plot(x[-1:], [last], marker="X", markersize=10, color=style["color"], markeredgecolor="black",
                    linestyle="none", clip_on=False, zorder=5)
    if log:
        _log_axis(ax)
    if ylim is not None:
        ax.set_ylim(*ylim)

        ylabel = f"{ylabel} (log scale)"
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _title(ax, title)
    if ylim is not None and any(line.get_marker() == "X" and line.get_ydata()[0] >= ylim[1] for line in ax.get_lines()):
        ax.title.set_y(1.05)  # a ✕ pinned to the top edge must not sit under the title
    ax.grid(True, alpha=0.3)
    _omission_note(ax, skipped_low, 0)
    _legend(ax, len(curves))
    return fig


def plot_singular_values(svals_by_config: Mapping[str, np.ndarray],
                         title: str = "Singular values of the Jacobian", ax=None) -> Figure:
    """Sorted singular values per configuration on a log axis, with the line σ = 1.

    svals_by_config: {label: (k,) singular values}. All near 1 means the network passes signals
    and gradients through unchanged in every direction; values far below 1 mean directions
    in which gradients vanish. Values below 1e-15 of a configuration's largest are zero to
    floating-point precision (a rank-deficient map, e.g. dead ReLUs): they are left out and counted.
    """
    function = "plot_singular_values"
    svals_by_config = _check_mapping(svals_by_config, "svals_by_config", function)
    fig, ax = _target_axes(ax, _SINGLE)
    skipped_zero = skipped_bad = 0
    for index, (label, svals) in enumerate(svals_by_config.items()):
        svals = _as_array(svals, f"svals_by_config[{label!r}]", function, ndim=1)
        ordered = np.sort(svals)[::-1]
        shown, low, bad = _positive_for_log(ordered)
        largest = np.nanmax(shown) if np.any(np.isfinite(shown)) else np.nan
        negligible = np.isfinite(shown) & (shown < largest * 1e-15)
        shown[negligible] = np.nan
        skipped_zero, skipped_bad = skipped_zero + low + int(negligible.sum()), skipped_bad + bad
        ax.plot(np.arange(1, ordered.size + 1), shown, label=str(label), markersize=5,
                markevery=_markevery(ordered.size), **category_style(index))
    ax.axhline(1.0, color="0.3", linestyle=":", linewidth=1.0, label="σ = 1")
    _log_axis(ax)
    ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    ax.set_xlabel("index i (largest first)")
    ax.set_ylabel("singular value σ_i (log scale)")
    _title(ax, title)
    ax.grid(True, alpha=0.3)
    if skipped_zero or skipped_bad:
        parts = [f"{skipped_zero} value(s) zero to machine precision hidden"] if skipped_zero else []
        parts += [f"{skipped_bad} inf/NaN value(s) hidden"] if skipped_bad else []
        _note(ax, "; ".join(parts))
    _legend(ax, len(svals_by_config) + 1)
    return fig


# ----------------------------------------------------------------------------------------------
# multi-task learning (lessons 06-08, 10)
# ----------------------------------------------------------------------------------------------

def plot_cosine_matrix(C, task_names, title: str = "Cosine similarity of task gradients", ax=None) -> Figure:
    """A T x T matrix of cosines in [-1, 1], each cell also printed as a number.

    C: (T, T) e.g. from `mtl_edu.instruments.probes.cosine_matrix`; task_names: T names. Blue is aligned,
    red conflicting (the ColorBrewer RdBu map, readable with the common colour-vision deficiencies).
    """
    function = "plot_cosine_matrix"
    C = _as_array(C, "C", function, ndim=2)
    names = [str(name) for name in task_names]
    if C.shape[0] != C.shape[1]:
        raise ValueError(f"{function}: C must be square (T, T), got shape {C.shape}")
    if len(names) != C.shape[0]:
        raise ValueError(f"{function}: C is {C.shape[0]} x {C.shape[1]} but {len(names)} task names were given")
    # Room on the left for the longest task name (about 7 px per character at 10 pt and DPI 80).
    left = min(0.45, (40 + 7 * max(map(len, names))) / (5.0 * DPI))
    fig, ax = _target_axes(ax, (5.0, 4.0), {"left": left, "right": 0.84, "bottom": 0.2})
    # aspect="auto": the matrix fills the axes, so the title and colour bar line up with it.
    image = ax.imshow(C, cmap="RdBu", vmin=-1, vmax=1, aspect="auto")
    for row in range(C.shape[0]):
        for column in range(C.shape[1]):
            value = C[row, column]
            text = "nan" if not np.isfinite(value) else f"{value:.2f}"
            ax.text(column, row, text, ha="center", va="center", fontsize=9,
                    color="white" if np.isfinite(value) and abs(value) > 0.6 else "black")
    ticks = np.arange(len(names))
    ax.set_xticks(ticks, names, rotation=30 if max(map(len, names)) > 6 else 0)
    ax.set_yticks(ticks, names)
    ax.set_xlabel("task")
    ax.set_ylabel("task")
    _title(ax, title)
    colorbar = fig.colorbar(image, ax=ax)
    colorbar.set_label("cosine similarity (-1 conflict ... 1 aligned)")
    return fig


def _trajectory_stack(trajectory, label: str, function: str) -> np.ndarray:
    """(S, n, 2) from one trajectory (n, 2) or a stack of them."""
    array = _as_array(trajectory, f"trajectories[{label!r}]", function)
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or array.shape[2] != 2 or array.shape[1] == 0:
        raise ValueError(f"{function}: trajectories[{label!r}] must have shape (n, 2) or (S, n, 2), "
                         f"got {np.shape(trajectory)}")
    return array


def _thin(path: np.ndarray, max_points: int = 1500) -> np.ndarray:
    """Every k-th point of a long path (and its end): 100k-step runs render in milliseconds."""
    if path.shape[0] <= max_points:
        return path
    stride = int(np.ceil(path.shape[0] / max_points))
    return np.concatenate([path[::stride], path[-1:]])


def _draw_paths(ax, paths: np.ndarray, style: dict, label: str) -> None:
    """Each path as a line in the method's style, ending in the method's marker."""
    for number, path in enumerate(paths):
        path = _thin(path)
        ax.plot(path[:, 0], path[:, 1], linewidth=2.0, markersize=8, markeredgecolor="black",
                markevery=[path.shape[0] - 1], label=label if number == 0 else None, **style)


def _label_outer_panels(axes, ncols: int, xlabel: str, ylabel: str) -> None:
    """Label the outer edges of a grid of panels only: the left column gets the y label, and a panel
    with no panel below it keeps its x labels (label_outer would strip them from the short last row's
    neighbours too)."""
    for number, ax in enumerate(axes):
        if number + ncols < len(axes):
            ax.tick_params(labelbottom=False)
        else:
            ax.set_xlabel(xlabel)
        if number % ncols == 0:
            ax.set_ylabel(ylabel)
        else:
            ax.tick_params(labelleft=False)


def _figure_legend(fig, ax, names) -> None:
    """Markers that are the same in every panel (e.g. the starts): one legend for the figure."""
    handles, labels = ax.get_legend_handles_labels()
    shared = [(h, n) for h, n in zip(handles, labels) if n in names]
    fig.legend(*zip(*shared), loc="upper right", bbox_to_anchor=(0.995, 0.998), fontsize=8, ncols=2,
               frameon=False)


def plot_trajectories_on_contours(X1, X2, Z, trajectories: Mapping[str, np.ndarray], starts,
                                  pareto_set=None, panels: bool | None = None,
                                  title: str = "Optimisation paths on the average loss",
                                  colorbar_label: str = "average loss (L₁ + L₂)/2") -> Figure:
    """Paths of several methods over a contour map of a 2-D landscape (the CAGrad toy, Liu et al. 2021).

    X1, X2, Z: (H, W) grid (numpy.meshgrid) and the values to contour, e.g. the average loss.
    trajectories: {method: (n, 2) or (S, n, 2) paths, one per start}; long paths are thinned for
    drawing. starts: (S, 2) starting points (black circles). pareto_set: optional (K, 2) points of
    the Pareto set (thick black line). Each path ends in its method's marker.
    panels: one small panel per method (default when there are more than 3 methods) or all
    methods on one axes.
    """
    function = "plot_trajectories_on_contours"
    X1, X2, Z = (_as_array(a, name, function, ndim=2) for a, name in ((X1, "X1"), (X2, "X2"), (Z, "Z")))
    if not X1.shape == X2.shape == Z.shape:
        raise ValueError(f"{function}: X1 {X1.shape}, X2 {X2.shape} and Z {Z.shape} must have the same shape")
    trajectories = _check_mapping(trajectories, "trajectories", function)
    paths = {label: _trajectory_stack(t, label, function) for label, t in trajectories.items()}
    starts = _as_array(starts, "starts", function)
    starts = starts.reshape(-1, 2) if starts.size % 2 == 0 and starts.ndim <= 2 else None
    if starts is None:
        raise ValueError(f"{function}: starts must have shape (S, 2)")
    if pareto_set is not None:
        pareto_set = _as_array(pareto_set, "pareto_set", function, ndim=2)
        if pareto_set.shape[1] != 2:
            raise ValueError(f"{function}: pareto_set must have shape (K, 2), got {pareto_set.shape}")
    if panels is None:
        panels = len(paths) > 3
    n_panels = len(paths) if panels else 1
    ncols = min(n_panels, 4)
    nrows = int(np.ceil(n_panels / ncols))
    width = 9.0 if panels else 6.4
    height = 2.5 * nrows + 0.9 if panels else 4.6
    margins = {"left": 0.8 / width, "right": 0.86 if panels else 0.84, "wspace": 0.12, "hspace": 0.25,
               "bottom": 0.5 / height, "top": 1 - (0.75 if panels else 0.4) / height}
    fig, axes = _new_figure((width, height), nrows, ncols, margins=margins, sharex=True, sharey=True)
    flat_axes = axes.ravel()
    finite = Z[np.isfinite(Z)]
    if finite.size == 0:
        raise ValueError(f"{function}: Z has no finite value to draw")
    levels = ticker.MaxNLocator(12).tick_values(finite.min(), finite.max())
    image = None
    for ax in flat_axes[:n_panels]:
        # Filled contours render faster than a smoothly shaded mesh (about 30 vs 80 ms per panel).
        image = ax.contourf(X1, X2, Z, levels=levels, cmap="viridis")
        ax.contour(X1, X2, Z, levels=levels, colors="white", linewidths=0.4, alpha=0.7)
        if pareto_set is not None:
            ax.plot(pareto_set[:, 0], pareto_set[:, 1], color="black", linewidth=3.0, label="Pareto set")
        ax.plot(starts[:, 0], starts[:, 1], "o", color="white", markeredgecolor="black", markersize=8,
                label="start", linestyle="none")
    for index, (label, stack) in enumerate(paths.items()):
        ax = flat_axes[index] if panels else flat_axes[0]
        style = category_style(index)
        if panels:  # the panel title names the method: a solid line reads best on the map
            style["linestyle"] = "-"
            _title(ax, str(label), fontsize=10)
        _draw_paths(ax, stack, style, str(label))
    for ax in flat_axes[n_panels:]:
        ax.set_visible(False)
    for ax in flat_axes[:n_panels]:
        ax.xaxis.set_major_locator(ticker.MaxNLocator(5))
    _label_outer_panels(flat_axes[:n_panels], ncols, "x₁", "x₂")
    if panels:
        fig.suptitle(title, x=0.45)
        _figure_legend(fig, flat_axes[0], ("start", "Pareto set"))
    else:
        flat_axes[0].set_title(title)
        flat_axes[0].legend(fontsize=8, loc="upper right", framealpha=0.85)
    colorbar = fig.colorbar(image, ax=list(flat_axes[:n_panels]), fraction=0.04, pad=0.02)
    colorbar.set_label(colorbar_label)
    return fig


def plot_loss_space(trajectories_in_loss_space: Mapping[str, np.ndarray], pareto_front=None,
                    title: str = "Paths in loss space", xlabel: str = "L₁", ylabel: str = "L₂",
                    ax=None, panels: bool | None = None) -> Figure:
    """Paths of (L1, L2) over optimisation, with the Pareto front: who reaches it, and where.

    trajectories_in_loss_space: {method: (n, 2) or (S, n, 2) loss pairs along each path};
    pareto_front: optional (K, 2) loss pairs of the front (thick black line). Each path starts at a
    white circle and ends in its method's marker. panels: one small panel per method, on shared axes
    (default when there are more than 3 methods and no ax is given), or all methods on one axes.
    """
    function = "plot_loss_space"
    trajectories = _check_mapping(trajectories_in_loss_space, "trajectories_in_loss_space", function)
    paths = {label: _trajectory_stack(t, label, function) for label, t in trajectories.items()}
    if pareto_front is not None:
        pareto_front = _as_array(pareto_front, "pareto_front", function, ndim=2)
        if pareto_front.shape[1] != 2:
            raise ValueError(f"{function}: pareto_front must have shape (K, 2), got {pareto_front.shape}")
    if panels is None:
        panels = ax is None and len(paths) > 3
    if panels and ax is not None:
        raise ValueError(f"{function}: panels=True draws its own figure; pass ax=None or panels=False")
    if panels:
        ncols = min(len(paths), 4)
        nrows = int(np.ceil(len(paths) / ncols))
        width, height = 9.0, 2.3 * nrows + 0.9
        margins = {"left": 0.7 / width, "right": 0.99, "wspace": 0.1, "hspace": 0.3,
                   "bottom": 0.5 / height, "top": 1 - 0.75 / height}
        fig, axes = _new_figure((width, height), nrows, ncols, margins=margins, sharex=True, sharey=True)
        panel_axes = list(axes.ravel())
    else:
        fig, single = _target_axes(ax, (6.0, 4.4))
        panel_axes = [single]
    for index, (label, stack) in enumerate(paths.items()):
        target = panel_axes[index] if panels else panel_axes[0]
        if pareto_front is not None and (panels or index == 0):
            target.plot(pareto_front[:, 0], pareto_front[:, 1], color="black", linewidth=3.0, label="Pareto front")
        style = category_style(index)
        if panels:  # the panel title names the method: a solid line reads best
            style["linestyle"] = "-"
            _title(target, str(label), fontsize=10)
        target.plot(stack[:, 0, 0], stack[:, 0, 1], "o", color="white", markeredgecolor="black",
                    markersize=7, linestyle="none", label="start" if (panels or index == 0) else None)
        _draw_paths(target, stack, style, str(label))
    for number, target in enumerate(panel_axes):
        if number >= len(paths):
            target.set_visible(False)
            continue
        target.grid(True, alpha=0.3)
    if panels:
        _label_outer_panels(panel_axes[:len(paths)], ncols, xlabel, ylabel)
        fig.suptitle(title, x=0.45)
        _figure_legend(fig, panel_axes[0], ("start", "Pareto front"))
    else:
        single = panel_axes[0]
        single.set_xlabel(xlabel)
        single.set_ylabel(ylabel)
        _title(single, title)
        single.legend(fontsize=8, framealpha=0.85, ncols=1 if len(paths) <= 5 else 2)
    return fig


def plot_tradeoff_curve(points, current=None, weights=None, title: str = "Trade-off traced by the task weight",
                        xlabel: str = "task 1 test loss", ylabel: str = "task 2 test loss", ax=None) -> Figure:
    """The curve of (task 1, task 2) results as one loss weight sweeps, and the current setting.

    points: (K, 2) results in sweep order; current: optional (2,) result at the current weight,
    drawn as a large star; weights: optional (K,) the weight of each point, written beside about
    six of them.
    """
    function = "plot_tradeoff_curve"
    points = _as_array(points, "points", function, ndim=2)
    if points.shape[1] != 2 or points.shape[0] == 0:
        raise ValueError(f"{function}: points must have shape (K, 2) with K >= 1, got {points.shape}")
    fig, ax = _target_axes(ax, _SQUARE, _SQUARE_MARGINS)
    style = category_style(0)
    ax.plot(points[:, 0], points[:, 1], label="sweep", markersize=5, **style)
    if weights is not None:
        weights = _as_array(weights, "weights", function, ndim=1)
        if weights.size != points.shape[0]:
            raise ValueError(f"{function}: {points.shape[0]} points but {weights.size} weights")
        for k in _pick_layers(points.shape[0], 6):
            ax.annotate(f"w={weights[k]:.2g}", points[k], textcoords="offset points", xytext=(5, 4), fontsize=7)
    if current is not None:
        current = _as_array(current, "current", function, ndim=1)
        if current.size != 2:
            raise ValueError(f"{function}: current must be one (task 1, task 2) pair, got shape {current.shape}")
        ax.plot(current[0], current[1], marker="*", markersize=16, color=_COLOURS[1], markeredgecolor="black",
                linestyle="none", label="current weight")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _title(ax, title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, framealpha=0.85)
    return fig


def plot_paired_differences(differences: Mapping[str, np.ndarray], xlabel: str,
                            title: str = "Paired differences over seeds, with 95 % intervals",
                            negative_means: str = "first better", positive_means: str = "second better",
                            higher_is_better: bool = False, left: float = 0.36, ax=None) -> Figure:
    """One row per comparison: every seed's paired difference (dots), their mean (diamond) and its
    95 % t interval (thick bar), with 0 (no difference) marked. Each row's label ends with its
    verdict: `negative_means` when the interval lies below 0, `positive_means` when above, and
    "no difference shown" when it contains 0.

    differences: {label: (n,) per-seed differences, n >= 2}; rows are drawn top to bottom in order.
    An interval on the better side of 0 is drawn green, on the worse side red: below 0 is better unless
    `higher_is_better`. left: the figure fraction kept for the row labels.
    """
    differences = _check_mapping(differences, "differences", "plot_paired_differences")
    rows = list(differences.items())
    fig, ax = _target_axes(ax, (7.5, 0.75 + 0.62 * len(rows)), margins={"left": left, "right": 0.97,
                                                                         "bottom": 0.7 / (0.75 + 0.62 * len(rows)),
                                                                         "top": 1 - 0.42 / (0.75 + 0.62 * len(rows))})
    ax.axvline(0.0, color="black", linewidth=1.0)
    jitter = np.random.default_rng(0)  # fixed: the same picture on every run
    labels = []
    for row, (label, values) in enumerate(rows):
        values = _as_array(values, f"differences[{label!r}]", "plot_paired_differences", ndim=1)
        interval = mean_interval(values)
        y = len(rows) - 1 - row
        ax.plot(values, y + jitter.uniform(-0.17, 0.17, values.size), linestyle="none", marker="o", markersize=3.5,
                color="0.45", alpha=0.7)
        better = interval.low > 0 if higher_is_better else interval.high < 0
        colour = "black" if not interval.excludes_zero else ("tab:green" if better else "tab:red")
        ax.plot([interval.low, interval.high], [y, y], color=colour, linewidth=4, solid_capstyle="butt")
        ax.plot([interval.mean], [y], marker="D", markersize=7, color=colour, markeredgecolor="black")
        verdict = ("no difference shown" if not interval.excludes_zero
                   else negative_means if interval.high < 0 else positive_means)
        labels.append(f"{label}\n{interval.mean:+.3g} [{interval.low:+.3g}, {interval.high:+.3g}]: {verdict}")
    ax.set_yticks(range(len(rows) - 1, -1, -1), labels, fontsize=8)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_xlabel(xlabel)
    ax.grid(True, axis="x", alpha=0.3)
    _title(ax, f"{title}\n(dots: seeds; diamond and bar: mean and its 95 % interval; 0: no difference)")
    ax.title.set_fontsize(9.5)
    return fig
