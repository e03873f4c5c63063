"""Progress lines for the command line: one per stage, with counts and timings."""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass, field
from typing import TextIO

import dagster as dg
from dagster import DagsterEventType
from dagster._core.log_manager import get_log_record_metadata, has_log_record_metadata


@dataclass
class ProgressState:
    started: dict[str, float] = field(default_factory=dict)
    durations: dict[str, float] = field(default_factory=dict)
    materialised: dict[str, int] = field(default_factory=dict)
    checks_passed: int = 0
    checks_warned: list[str] = field(default_factory=list)
    checks_failed: list[str] = field(default_factory=list)


def stage_label(step_key: str) -> str:
    """A reader's name for a Dagster step: `load_usage` -> `load usage/`."""
    if step_key.startswith("load_"):
        return f"load {step_key.removeprefix('load_')}/"
    return {
        "raw__run_context": "run context",
        "dbt_build": "dbt build (staging, intermediate, marts, tests)",
        "exports__latest": "export",
        "exports__report": "report",
        "exports__postgres": "PostgreSQL delivery",
        "quality_checks": "quality checks",
        "marts__rpt_data_quality": "data-quality report",
        "token_warnings": "token warnings",
    }.get(step_key, step_key.replace("__", "/"))


class ProgressHandler(logging.Handler):
    """Turns Dagster's step events into short lines on a stream."""

    def __init__(self, stream: TextIO, state: ProgressState) -> None:
        super().__init__(level=logging.DEBUG)
        self.stream = stream
        self.state = state

    def _say(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def emit(self, record: logging.LogRecord) -> None:  # noqa: D102
        if not has_log_record_metadata(record):
            return
        meta = get_log_record_metadata(record)
        event = meta.get("dagster_event")
        step = meta.get("step_key") or ""
        if event is None:
            if record.levelno >= logging.INFO and step and not step.startswith("dbt_build"):
                self._say(f"    {meta['orig_message']}")
            return
        kind = event.event_type
        state = self.state
        if kind == DagsterEventType.STEP_START:
            state.started[step] = time.monotonic()
            self._say(f"  - {stage_label(step)} ...")
        elif kind == DagsterEventType.ASSET_MATERIALIZATION:
            state.materialised[step] = state.materialised.get(step, 0) + 1
        elif kind == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.asset_check_evaluation_data
            name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
            if evaluation.passed:
                state.checks_passed += 1
            elif evaluation.severity == dg.AssetCheckSeverity.WARN:
                state.checks_warned.append(name)
            else:
                state.checks_failed.append(name)
        elif kind == DagsterEventType.STEP_SUCCESS:
            took = time.monotonic() - state.started.get(step, time.monotonic())
            state.durations[step] = took
            extra = ""
            if step.startswith("dbt_build"):
                extra = (
                    f": {state.materialised.get(step, 0)} models/seeds, "
                    f"{state.checks_passed} checks "
                    f"passed, {len(state.checks_warned)} warned"
                )
            self._say(f"    done in {took:.1f} s{extra}")
        elif kind == DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error if event.step_failure_data else None
            message = error.message.strip().splitlines()[0] if error and error.message else "failed"
            self._say(f"    FAILED: {message}")


def progress_logger(state: ProgressState, stream: TextIO | None = None) -> dg.LoggerDefinition:
    out = stream or sys.stdout

    @dg.logger(description="One line per pipeline stage, for the flexlens command line.")
    def _progress(_init_context: dg.InitLoggerContext) -> logging.Logger:
        logger = logging.getLogger("flexlens.progress")
        logger.handlers = [ProgressHandler(out, state)]
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
        return logger

    return _progress
