"""The benchmark's targets as PASS/MISS/SKIP rows.

They are informational: the exit code stays 0 whatever they say (``benchmarks/gate.py`` is the gate that fails a run).
"""

from __future__ import annotations

from typing import Any

TARGET_REPLICA_F1 = 0.99
TARGET_RENAMED_F1 = 0.95


def targets(sets: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    def ours(set_name: str) -> dict[str, Any] | None:
        return sets.get(set_name, {}).get("extractors", {}).get("ours")

    def other(set_name: str, name: str) -> dict[str, Any] | None:
        return sets.get(set_name, {}).get("extractors", {}).get(name)

    def failed(fig: dict[str, Any]) -> str:  # a page that raised leaks nothing: say so
        return f" (but {fig['errors']} pages raised)" if fig["errors"] else ""

    rows: list[dict[str, Any]] = []

    def add(label: str, ok: bool | None, value: str) -> None:
        rows.append({"target": label, "status": "SKIP" if ok is None else ("PASS" if ok else "MISS"), "value": value})

    rep, ren, zh = ours("replica"), ours("renamed"), ours("zh")
    add(
        f"replica: ours F1 >= {TARGET_REPLICA_F1}",
        None if rep is None else rep["f1"] >= TARGET_REPLICA_F1,
        f"{rep['f1']:.4f}" if rep else "-",
    )
    add(
        "replica: 0 leak markers in ours",
        None if rep is None else rep["leak_markers"] == 0 and not rep["errors"],
        f"{rep['leak_markers']} on {rep['leak_pages']} pages{failed(rep)}" if rep else "-",
    )
    meta = sets.get("replica", {}).get("metadata")
    add(
        "replica: 0 metadata mismatches (ours)",
        None if meta is None else sum(meta["mismatches"].values()) == 0,
        str(sum(meta["mismatches"].values())) if meta else "-",
    )
    add(
        f"renamed: ours F1 >= {TARGET_RENAMED_F1}",
        None if ren is None else ren["f1"] >= TARGET_RENAMED_F1,
        f"{ren['f1']:.4f}" if ren else "-",
    )
    add(
        "renamed: 0 notice leaks in ours",
        None if ren is None else ren["notice_leaks"] == 0 and not ren["errors"],
        f"{ren['notice_leaks']} on {ren['notice_leak_pages']} pages{failed(ren)}" if ren else "-",
    )
    traf = other("zh", "trafilatura")
    add(
        "zh: ours F1 >= trafilatura",
        None if zh is None or traf is None else zh["f1"] >= traf["f1"],
        f"{zh['f1']:.4f} vs {traf['f1']:.4f}" if zh and traf else "-",
    )
    traf_rep = other("replica", "trafilatura")
    add(
        "replica: ours ms/page < trafilatura",
        None if rep is None or traf_rep is None else rep["ms_per_page"] < traf_rep["ms_per_page"],
        f"{rep['ms_per_page']:.1f} vs {traf_rep['ms_per_page']:.1f}" if rep and traf_rep else "-",
    )
    return rows


def print_targets(rows: list[dict[str, Any]]) -> None:
    print("\ntargets")
    for row in rows:
        print(f"  {row['status']:<4}  {row['target']:<42} {row['value']}")
