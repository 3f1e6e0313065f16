"""Stage and task counts of a finished Spark application, from its event log.

The bench starts the job with Spark's event log on (`spark.eventLog.enabled`, written to a
temporary folder: it works with the UI disabled, and it is what Spark's history server
reads) and reads it here once the job's process has ended, so the figures come from the
job's own process and the job carries no measuring code.

What they show, for a Glue job with more workers:
- `row_stages`: the stages that read at least ROW_STAGE_SHARE of the raw input's bytes
  (from files, from a cached frame or from a shuffle), i.e. the passes over the rows. Their
  smallest task count says whether any pass ran in one task, which more workers would not
  speed up. A stage can also have many tasks of which one reads nearly everything (a
  shuffle by day on a one-day run), so each stage's `spread` is its bytes read over its
  largest task's: 1.0 is one task doing all the work, N is N equal tasks.
- `driver_result_bytes`: every byte the tasks sent back to the driver (task results:
  collected aggregates, broadcast tables, write commit messages, map statuses). A step
  that gathered the rows on the driver would make it grow with the rows; it stays a few
  hundred KB whatever the size (see the bench's figures in docs/performance.md).
"""

from __future__ import annotations

import json
from pathlib import Path

# A stage reading less than this share of the raw bytes works on figures, not rows.
ROW_STAGE_SHARE = 0.05
# Below this spread one task reads more than two thirds of its stage's bytes.
SPREAD_OF_ONE = 1.5

_READ_METRICS = (
    "internal.metrics.input.bytesRead",
    "internal.metrics.shuffle.read.localBytesRead",
    "internal.metrics.shuffle.read.remoteBytesRead",
)


def _metrics(stage_info: dict) -> dict[str, int]:
    values: dict[str, int] = {}
    for acc in stage_info.get("Accumulables", []):
        name, value = acc.get("Name"), acc.get("Value")
        if isinstance(name, str) and name.startswith("internal.metrics."):
            try:
                values[name] = int(value)
            except (TypeError, ValueError):
                continue
    return values


def _task_read_bytes(event: dict) -> int:
    metrics = event.get("Task Metrics") or {}
    shuffle = metrics.get("Shuffle Read Metrics") or {}
    return (
        (metrics.get("Input Metrics") or {}).get("Bytes Read", 0)
        + shuffle.get("Local Bytes Read", 0)
        + shuffle.get("Remote Bytes Read", 0)
    )


def read_stages(event_dir: Path) -> tuple[int, list[dict]]:
    """(jobs run, one dict per completed stage) from the event log files in event_dir."""
    jobs, stages = 0, []
    largest_task: dict[int, int] = {}
    for path in sorted(p for p in event_dir.iterdir() if p.is_file()):
        with path.open() as events:
            for line in events:
                event = json.loads(line)
                kind = event.get("Event")
                if kind == "SparkListenerJobStart":
                    jobs += 1
                elif kind == "SparkListenerTaskEnd":
                    stage = event["Stage ID"]
                    largest_task[stage] = max(largest_task.get(stage, 0), _task_read_bytes(event))
                elif kind == "SparkListenerStageCompleted":
                    info = event["Stage Info"]
                    metrics = _metrics(info)
                    stages.append(
                        {
                            "stage": info["Stage ID"],
                            "name": info.get("Stage Name", ""),
                            "tasks": info["Number of Tasks"],
                            "read_bytes": sum(metrics.get(m, 0) for m in _READ_METRICS),
                            "result_bytes": metrics.get("internal.metrics.resultSize", 0),
                            "failed": "Failure Reason" in info,
                            "seconds": round(
                                (info.get("Completion Time", 0) - info.get("Submission Time", 0))
                                / 1000,
                                1,
                            ),
                        }
                    )
    for stage in stages:
        largest = largest_task.get(stage["stage"], 0)
        stage["spread"] = round(stage["read_bytes"] / largest, 1) if largest else 0.0
    return jobs, stages


def summarise(event_dir: Path, raw_bytes: int) -> dict:
    """The figures the bench reports: stages, row-stage task counts, bytes to the driver."""
    jobs, stages = read_stages(event_dir)
    if not stages:
        raise ValueError(f"no completed stage in the event log under {event_dir}")
    threshold = ROW_STAGE_SHARE * raw_bytes
    rows = [s for s in stages if s["read_bytes"] >= threshold]
    single = [s for s in rows if s["tasks"] == 1]
    return {
        "jobs": jobs,
        "stages": len(stages),
        "row_stages": len(rows),
        "row_stage_max_tasks": max((s["tasks"] for s in rows), default=0),
        "row_stage_min_tasks": min((s["tasks"] for s in rows), default=0),
        "row_stages_in_one_task": [f"{s['stage']}: {s['name']}" for s in single],
        "row_stage_min_spread": min((s["spread"] for s in rows), default=0.0),
        "row_stages_one_task_doing_most": [
            f"{s['stage']}: {s['name']}" for s in rows if s["spread"] < SPREAD_OF_ONE
        ],
        "tasks": sum(s["tasks"] for s in stages),
        "driver_result_bytes": sum(s["result_bytes"] for s in stages),
        "driver_result_bytes_per_raw_byte": round(
            sum(s["result_bytes"] for s in stages) / max(raw_bytes, 1), 5
        ),
        "failed_stages": sum(1 for s in stages if s["failed"]),
        "row_stage_share": ROW_STAGE_SHARE,
        # stage id, tasks, spread, MB read, seconds, Spark's name for it
        "by_stage": [
            [
                s["stage"],
                s["tasks"],
                s["spread"],
                round(s["read_bytes"] / 2**20, 1),
                s["seconds"],
                s["name"],
            ]
            for s in stages
        ],
    }
