"""bench/results/latest.md and latest.png from the figures of one run."""

from __future__ import annotations

import platform
import statistics
from datetime import UTC, datetime
from pathlib import Path

from bench.harness import Figure

RESULTS = Path(__file__).with_name("results")
BASELINE_OF = {
    "command path": ("crud", "pgbench"),
    "status page reads": ("memory",),
    "notification fan-out": ("arq no-op",),
    "projection rebuild": ("read",),
    "ASGI servers": ("uvicorn-h11", "uvicorn"),
}


def _latency(figure: Figure) -> str:
    if not figure.p50_ms:
        return ""
    return f"{statistics.median(figure.p50_ms):.1f} / {statistics.median(figure.p99_ms):.1f}"


def markdown(figures: list[Figure], command: str, settings: str) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"`{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
        f"Python {platform.python_version()}; {settings}.",
        "Subjects alternate round by round; each cell is the median over the rounds, with the",
        "range (min-max) beside it. Ratios are Herald's median over the baseline's.",
        "",
    ]
    for benchmark in dict.fromkeys(f.benchmark for f in figures):
        rows = [f for f in figures if f.benchmark == benchmark]
        lines += [
            f"## {benchmark}",
            "",
            "| case | subject | median | range | p50 / p99 ms | errors | ratio |",
            "| --- | --- | ---: | ---: | ---: | ---: | --- |",
        ]
        for figure in rows:
            herald = next(
                (r for r in rows if r.case == figure.case and r.subject in ("herald", "granian")),
                None,
            )
            ratio = ""
            if herald is not None and figure is not herald and figure.median:
                ratio = f"{herald.subject}/{figure.subject} = {herald.median / figure.median:.2f}"
            lines.append(
                f"| {figure.case} | {figure.subject} | {figure.median:.4g} {figure.unit} | "
                f"{figure.spread()} | {_latency(figure)} | {figure.errors} | {ratio} |"
            )
        lines.append("")
    return "\n".join(lines)


def chart(figures: list[Figure], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display here
    from matplotlib import pyplot

    benchmarks = list(dict.fromkeys(f.benchmark for f in figures))
    fig, axes = pyplot.subplots(1, len(benchmarks), figsize=(4.5 * len(benchmarks), 4))
    for ax, benchmark in zip(axes if len(benchmarks) > 1 else [axes], benchmarks, strict=True):
        rows = [f for f in figures if f.benchmark == benchmark and f.unit != "MiB"]
        labels = [f"{f.case}\n{f.subject}" for f in rows]
        medians = [f.median for f in rows]
        errors = [
            [f.median - min(f.values) for f in rows],
            [max(f.values) - f.median for f in rows],
        ]
        colors = ["tab:orange" if f.subject in ("herald",) else "tab:blue" for f in rows]
        ax.bar(range(len(rows)), medians, yerr=errors, color=colors, capsize=3)
        ax.set_xticks(range(len(rows)), labels, rotation=90, fontsize=7)
        ax.set_title(benchmark, fontsize=10)
        ax.set_ylabel(rows[0].unit if rows else "")
        ax.set_yscale("log")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    pyplot.close(fig)


def write(figures: list[Figure], command: str, settings: str) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "latest.md"
    text = markdown(figures, command, settings)
    chart(figures, RESULTS / "latest.png")
    path.write_text(text + "\n![figures](latest.png)\n")
    print(text)
    return path
