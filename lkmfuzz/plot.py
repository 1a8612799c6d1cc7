"""`lkmfuzz plot STATS...`: a campaign's dashboard, STEM.png and a self-contained STEM.html.

Each stats file (written by `lkmfuzz fuzz` under --work/<target>[-bytes]/stats.json,
summed over every worker, continued across restarts and resumes) gives one line per
panel, so a structured and a byte-level campaign compare at a glance:

* libFuzzer's coverage counter, with each crash title marked where it was first found;
* the loader's own branch coverage over time (lkmfuzz/loader, measured with
  coverage.py by replaying the campaign's seeds and corpus in the order the campaign
  found them: the input files' times against the stats' clock column);
* executions and exec/s, and the corpus size;
* how deep inputs get: per step of load_module(), the share of executions that
  reached it and the errnos it returned (the harness's counters, first stats file).
"""

import base64
import html
import os
from pathlib import Path

from .errors import LkmfuzzError
from .files import read_json

SERIES_COLUMNS = 5      # [elapsed s, execs, cov, corpus, crashes], then exec/s, unix time (newer campaigns)
TOTALS = ("execs", "cov", "corpus", "crashes")
COVERAGE_POINTS = 24    # replay checkpoints of the loader coverage curve


class PlotError(LkmfuzzError, ValueError):
    """A stats file that cannot be plotted: names the file and what is wrong."""


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def load_stats(path: Path) -> dict:
    """A campaign's stats.json, checked for the shape plot() reads; PlotError otherwise."""
    stats = read_json(path, PlotError, "stats file")
    if not isinstance(stats, dict) or not isinstance(stats.get("series"), list) or not stats["series"]:
        raise PlotError(f"{path}: no time series (was the campaign shorter than its first status line?)")
    for i, row in enumerate(stats["series"]):
        if not isinstance(row, list) or len(row) < SERIES_COLUMNS or not all(map(_is_number, row)):
            raise PlotError(f"{path}: series row {i} is not [seconds, execs, cov, corpus, crashes] numbers")
    for key in TOTALS:
        if not _is_number(stats.get(key)):
            raise PlotError(f"{path}: {key!r} is missing or not a number")
    crash_times = stats.get("crash_times", [])
    if not isinstance(crash_times, list) or not all(
            isinstance(c, list) and len(c) == 2 and _is_number(c[0]) and isinstance(c[1], str) for c in crash_times):
        raise PlotError(f"{path}: 'crash_times' is not a list of [seconds, title]")
    depth = stats.get("depth", {})
    if not isinstance(depth, dict) or not all(
            isinstance(e, dict) and _is_number(e.get("reached")) and isinstance(e.get("errnos", {}), dict)
            for e in depth.values()):
        raise PlotError(f"{path}: 'depth' is not step -> {{reached, errnos}}")
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


# --- how deep inputs get -----------------------------------------------------------------

def depth_rows(depth: dict) -> list[tuple[str, float, list]]:
    """(step, share of executions that reached it, [(errno, share of executions)]) in the
    order of load_module() (steps it does not know, by how many reached them)."""
    from .loader.main import PIPELINE
    executions = depth.get("executions", {}).get("reached", 0)
    if not executions:
        return []
    order = {step.name: i for i, step in enumerate(PIPELINE)}
    steps = sorted((s for s in depth if s != "executions"),
                   key=lambda s: (order.get(s, len(order)), -depth[s]["reached"], s))
    return [(step, depth[step]["reached"] / executions,
             sorted(((name, n / executions) for name, n in depth[step].get("errnos", {}).items()),
                    key=lambda e: -e[1]))
            for step in steps]


# --- the loader's branch coverage over time ------------------------------------------------

def input_times(work: Path, series: list) -> list[tuple[float, Path]]:
    """Each seed (at 0 s) and corpus input (when its file was written, on the campaign's
    clock: the stats rows' unix-time column) of a campaign directory, in that order."""
    clock = [(row[6], row[0]) for row in series if len(row) > 6]
    if not clock:
        return []

    def elapsed(mtime: float) -> float:
        for wall, seconds in clock:
            if wall >= mtime:
                return max(0.0, seconds - (wall - mtime))
        return clock[-1][1]
    seeds = [(0.0, p) for p in sorted((work / "seeds").glob("*")) if p.is_file()]
    corpus = [(elapsed(p.stat().st_mtime), p) for p in sorted((work / "corpus").glob("*")) if p.is_file()]
    return seeds + sorted(corpus)


def loader_coverage(stats_path: Path, stats: dict, points: int = COVERAGE_POINTS) -> list | None:
    """[[seconds, branches taken, branches]] of lkmfuzz/loader replaying the campaign's
    inputs in the order it found them; None without coverage.py or without the inputs."""
    try:
        import coverage
    except ImportError:
        return None
    from .fuzzing.targets import Finding, decoder_for, execute
    inputs = input_times(Path(stats_path).parent, stats["series"])
    if not inputs:
        return None
    loader = Path(__file__).resolve().parent / "loader"
    decode = decoder_for(stats.get("target", "load"), stats.get("profile", "hardened"))
    end = max(stats["series"][-1][0], inputs[-1][0])
    marks = [end * (i + 1) / points for i in range(points)]
    cov = coverage.Coverage(branch=True, source=[str(loader)], data_file=None)
    curve, i = [], 0
    for mark in marks:
        cov.start()
        while i < len(inputs) and inputs[i][0] <= mark:
            try:
                execute(decode(inputs[i][1].read_bytes()))
            except Finding:
                pass    # a finding covered its path too; the campaign stored it
            i += 1
        cov.stop()
        taken = total = 0
        for path in sorted(loader.glob("*.py")):
            numbers = cov._analyze(str(path)).numbers
            total += numbers.n_branches
            taken += numbers.n_branches - numbers.n_missing_branches
        curve.append([round(mark, 1), taken, total])
    return curve


# --- drawing -------------------------------------------------------------------------------

def plot(paths: list[Path], out: Path, with_loader_coverage: bool = True) -> tuple[Path, Path]:
    check_output(out)
    runs = [(label(s), s, p) for p, s in ((p, load_stats(p)) for p in paths)]
    coverage_curves = {name: (loader_coverage(p, s) if with_loader_coverage else None) for name, s, p in runs}
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig = plt.figure(figsize=(13, 13))
    grid = fig.add_gridspec(3, 2, height_ratios=[1, 1, 1.5])
    ax_cov, ax_loader = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1])
    ax_execs, ax_corpus = fig.add_subplot(grid[1, 0]), fig.add_subplot(grid[1, 1])
    ax_depth = fig.add_subplot(grid[2, :])
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    ax_rate = ax_execs.twinx()
    ax_rate.set_ylabel("exec/s (dotted)")
    for n, (name, stats, _) in enumerate(runs):
        color = colors[n % len(colors)]
        series = stats["series"]
        t = [row[0] for row in series]
        ax_cov.plot(t, [row[2] for row in series], color=color, label=name)
        ax_execs.plot(t, [row[1] for row in series], color=color, label=f"{name} execs")
        ax_corpus.plot(t, [row[3] for row in series], color=color, label=name)
        if all(len(row) > 5 for row in series):
            ax_rate.plot(t, [row[5] for row in series], color=color, alpha=0.5, linestyle=":")
        curve = coverage_curves[name]
        if curve:
            ax_loader.plot([c[0] for c in curve], [100 * c[1] / c[2] for c in curve], color=color, marker=".",
                           label=f"{name}: {curve[-1][1]}/{curve[-1][2]} branches")
        for seconds, title in stats.get("crash_times", []):
            for ax in (ax_cov, ax_loader):
                ax.axvline(seconds, color=color, linestyle="--", alpha=0.6)
            ax_cov.annotate(title[:48], (seconds, ax_cov.get_ylim()[0]), rotation=90, fontsize=7, color=color,
                            va="bottom", ha="right")
    ax_cov.set_title("libFuzzer coverage (cov); dashed: a crash title first found")
    ax_loader.set_title("loader branch coverage (lkmfuzz/loader, coverage.py), %")
    if not any(coverage_curves.values()):
        why = ("needs coverage.py and the campaign's seeds/ and corpus/ beside its stats.json"
               if with_loader_coverage else "skipped (--no-loader-coverage)")
        ax_loader.text(0.5, 0.5, f"not measured: {why}", ha="center", va="center", transform=ax_loader.transAxes,
                       wrap=True)
    ax_execs.set_title("executions (all workers, across restarts and resumes)")
    ax_corpus.set_title("corpus size")
    for ax in (ax_cov, ax_loader, ax_execs, ax_corpus):
        ax.grid(alpha=0.3)
        ax.set_xlabel("seconds")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8, loc="lower right")
    draw_depth(ax_depth, runs[0][0], depth_rows(runs[0][1].get("depth", {})),
               runs[0][1].get("depth", {}).get("executions", {}).get("reached", 0))
    fig.suptitle("lkmfuzz campaign: " + ", ".join(name for name, _, _ in runs))
    fig.tight_layout()
    png = out.with_suffix(".png")
    fig.savefig(png, dpi=90)
    plt.close(fig)
    page = out.with_suffix(".html")
    page.write_text(render_html(runs, png, coverage_curves), encoding="utf-8")
    return png, page


def draw_depth(ax, name: str, rows: list, executions: int) -> None:
    """One bar per step: the share of executions that reached it, and in red the share
    it refused, labelled with its errnos."""
    ax.set_title(f"how deep inputs get ({name}, {executions} executions counted): reached each step, "
                 f"refused there")
    if not rows:
        ax.text(0.5, 0.5, "no step counters in this stats file", ha="center", va="center", transform=ax.transAxes)
        return
    y = list(range(len(rows)))[::-1]
    ax.barh(y, [100 * r[1] for r in rows], color="#9ecae1", label="reached")
    ax.barh(y, [100 * sum(s for _, s in r[2]) for r in rows], color="#de2d26", label="refused here")
    for yy, (_step, reached, errnos) in zip(y, rows, strict=False):
        text = ", ".join(f"{e} {100 * s:.1f}%" for e, s in errnos[:4])
        ax.text(100 * reached + 0.5, yy, f"{100 * reached:.1f}%" + (f"  ({text})" if text else ""), va="center",
                fontsize=7)
    ax.set_yticks(y)
    ax.set_yticklabels([r[0] for r in rows], fontsize=8)
    ax.set_xlim(0, 135)
    ax.set_xlabel("% of executions")
    ax.legend(fontsize=8, loc="lower right")


def render_html(runs, png: Path, coverage_curves: dict) -> str:
    """One page, nothing to fetch: the PNG inline, the figures, the crash titles, the depth table."""
    image = base64.b64encode(png.read_bytes()).decode()
    rows = ""
    for name, s, _ in runs:
        curve = coverage_curves.get(name)
        loader = f"{curve[-1][1]}/{curve[-1][2]}" if curve else "-"
        rows += (f"<tr><td>{html.escape(name)}</td><td>{s['series'][-1][0]:.0f}</td><td>{s['execs']}</td>"
                 f"<td>{s['cov']}</td><td>{loader}</td><td>{s['corpus']}</td><td>{s.get('restarts', 0)}</td>"
                 f"<td>{s.get('runs', 1)}</td><td>{len(s.get('crash_times', []))}</td></tr>")
    crashes = "".join(f"<tr><td>{html.escape(name)}</td><td>{sec:.0f}</td><td>{html.escape(title)}</td></tr>"
                      for name, s, _ in runs for sec, title in s.get("crash_times", []))
    depth = "".join(f"<tr><td>{html.escape(step)}</td><td>{100 * reached:.2f}%</td><td>"
                    f"{html.escape(', '.join(f'{e} {100 * sh:.2f}%' for e, sh in errnos)) or '-'}</td></tr>"
                    for step, reached, errnos in depth_rows(runs[0][1].get("depth", {})))
    return ("<!doctype html><html><head><meta charset='utf-8'><title>lkmfuzz campaign</title>"
            "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}"
            "td,th{border:1px solid #999;padding:2px 8px;text-align:right}td:first-child{text-align:left}</style>"
            "</head><body><h1>lkmfuzz campaign</h1>"
            f"<img src='data:image/png;base64,{image}' alt='campaign dashboard' style='max-width:100%'>"
            "<h2>Figures</h2><table><tr><th>run</th><th>seconds</th><th>execs</th><th>libFuzzer cov</th>"
            "<th>loader branches</th><th>corpus</th><th>worker restarts</th><th>campaigns</th>"
            f"<th>crash titles</th></tr>{rows}</table>"
            "<h2>Crash titles, when first found</h2><table><tr><th>run</th><th>second</th><th>title</th></tr>"
            f"{crashes or '<tr><td colspan=3>none</td></tr>'}</table>"
            f"<h2>How deep inputs get ({html.escape(runs[0][0])})</h2><table><tr><th>step</th>"
            f"<th>reached</th><th>refused there (errno, share of executions)</th></tr>{depth}</table>"
            "</body></html>")
