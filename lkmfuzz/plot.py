"""`lkmfuzz plot STATS...`: campaign stats to a PNG and a small HTML page.

Each stats file (written by `lkmfuzz fuzz` under --work/<target>[-bytes]/stats.json)
becomes one line per panel — coverage, corpus size and executions over time — so
a structured and a byte-level campaign on the same target compare at a glance.
"""

import html
import json
from pathlib import Path

PANELS = (("coverage (libFuzzer cov)", 2), ("corpus size", 3), ("executions", 1))


class PlotError(ValueError):
    """A stats file that cannot be plotted: names the file and what is wrong."""


def load_stats(path: Path) -> dict:
    try:
        stats = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise PlotError(f"{path}: no such stats file") from None
    except json.JSONDecodeError as e:
        raise PlotError(f"{path}: damaged JSON ({e.msg} at line {e.lineno})") from None
    if not isinstance(stats, dict) or not isinstance(stats.get("series"), list) or not stats["series"]:
        raise PlotError(f"{path}: no time series (was the campaign shorter than its first status line?)")
    return stats


def label(stats: dict) -> str:
    return f"{stats.get('target', '?')} ({'structured' if stats.get('structured', True) else 'byte-level'})"


def plot(paths: list[Path], out: Path) -> tuple[Path, Path]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    runs = [(label(s), s) for s in map(load_stats, paths)]
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
