"""The race's lines in the end-of-sweep summary, read from its record (``_review``): what
it trained, spent and concluded, computed once for the summary, the study and its note."""

from __future__ import annotations

from collections import Counter
from typing import Any


def race_lines(record: dict[str, Any]) -> list[str]:
    candidates = record["candidates"]
    if not candidates:
        return ["race: no run yet"]
    runs = [r for c in candidates for r in c["runs"] if r["state"] == "done"]
    per_rung = Counter(r["steps"] for r in runs if r["role"] == "search")
    rungs = ", ".join(f"{per_rung[s]} at step {s}" for s in record["rungs"])
    confirm = sum(1 for r in runs if r["role"] == "confirm")
    lines = [f"race: {len(candidates)} points; selection runs {rungs}; confirmation runs "
             f"{confirm}; spent {record['spent']} of {record['budget']}"]
    dropped = [c["candidate"] for c in candidates if c["dropped"]]
    if dropped:
        lines.append(f"dropped: {', '.join(f'trial {c}' for c in dropped)}")
    for entry in candidates:
        confirmed = entry["confirmed"]
        if confirmed is None:
            continue
        role = "baseline" if entry["baseline"] else "candidate"
        values = ", ".join(f"{r['value']:.4f}" for r in entry["runs"]
                           if r["role"] == "confirm" and r["value"] is not None)
        lines.append(f"  confirmed {role} trial {entry['candidate']}: {confirmed['mean']:.4f} "
                     f"± {confirmed['std']:.4f} on fresh seeds ({values}); "
                     f"params {entry['params']}")
    lines.append(f"verdict: {record['verdict']}")
    return lines
