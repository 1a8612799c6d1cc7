"""`lkmfuzz plot STATS...`: campaign stats to a PNG and a small HTML page.

Each stats file (written by `lkmfuzz fuzz` under --work/<target>[-bytes]/stats.json)
becomes one line per panel — coverage, corpus size and executions over time — so
a structured and a byte-level campaign on the same target compare at a glance.
"""

import html
import json
import os
from pathlib import Path

PANELS = (("coverage (libFuzzer cov)", 2), ("corpus size", 3), ("executions", 1))


class PlotError(ValueError):
    """A stats file that cannot be plotted: names the file and what is wrong."""


SERIES_COLUMNS = 5      # [elapsed s, execs, cov, corpus, crashes], then optional columns
TOTALS = ("execs", "cov", "corpus", "crashes")


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def load_stats(path: Path) -> dict:
    """A campaign's stats.json, checked for the shape plot() reads; PlotError otherwise."""
    try:
        stats = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlotError(f"{path}: no such stats file") from None
    except OSError as e:
        raise PlotError(f"{path}: cannot read: {e.strerror}") from None
    except UnicodeDecodeError:
        raise PlotError(f"{path}: not a stats file (not UTF-8 text)") from None
    except json.JSONDecodeError as e:
        raise PlotError(f"{path}: damaged JSON ({e.msg} at line {e.lineno})") from None
    if not isinstance(stats, dict) or not isinstance(stats.get("series"), list) or not stats["series"]:
        raise PlotError(f"{path}: no time series (was the campaign shorter than its first status line?)")
    for i, row in enumerate(stats["series"]):
        if not isinstance(row, list) or len(row) < SERIES_COLUMNS or not all(map(_is_number, row[:SERIES_COLUMNS])):
            raise PlotError(f"{path}: series row {i} is not [seconds, execs, cov, corpus, crashes] numbers")
    for key in TOTALS:
        if not _is_number(stats.get(key)):
            raise PlotError(f"{path}: {key!r} is missing or not a number")
    return stats


def check_output(out: Path) -> None:
    """STEM.png and STEM.html can be written (asked before any drawing)."""
    folder = Path(out).parent
    if not folder.is_dir():
        raise PlotError(f"-o {out}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise PlotError(f"-o {out}: folder {folder} is not writable")


def label(stats: dict) -> str:
    return f"{stats.get('target', '?')} ({'structured' if stats.get('structured', True) else 'byte-level'})"


def plot(paths: list[Path], out: Path) -> tuple[Path, Path]:
    check_output(out)
    runs = [(label(s), s) for s in map(load_stats, paths)]
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(len(PANELS), 1, figsize=(8, 9), sharex=True)
    for ax, (title, column) in zip(axes, PANELS):
        for name, stats in runs:
            series = stats["series"]
            ax.plot([row[0] for row in series], [row[column] for row in series], label=name)
        ax.set_ylabel(title)
        ax.grid(alpha=0.3)
    axes[0].legend()
    axes[-1].set_xlabel("seconds")
    fig.suptitle("lkmfuzz campaign")
    fig.tight_layout()
    png = out.with_suffix(".png")
    fig.savefig(png, dpi=100)
    plt.close(fig)
    page = out.with_suffix(".html")
    page.write_text(render_html(runs, png.name))
    return png, page


def render_html(runs, png_name: str) -> str:
    rows = "".join(f"<tr><td>{html.escape(name)}</td><td>{s['series'][-1][0]:.0f}</td><td>{s['execs']}</td>"
                   f"<td>{s['cov']}</td><td>{s['corpus']}</td><td>{s['crashes']}</td></tr>" for name, s in runs)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>lkmfuzz campaign</title></head><body>"
            f"<h1>lkmfuzz campaign</h1><img src='{html.escape(png_name)}' alt='coverage over time'>"
            f"<table border='1'><tr><th>run</th><th>seconds</th><th>execs</th><th>cov</th><th>corpus</th>"
            f"<th>new crash titles</th></tr>{rows}</table></body></html>")
