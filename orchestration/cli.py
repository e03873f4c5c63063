"""`flexlens`: the pipeline's command line (run, demo, generate, parse, dev, extract, report)."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from connectors.engines import ENGINES
from orchestration.settings import ENGINE_ENV, Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from orchestration.progress import ProgressState

log = logging.getLogger("flexlens")


class CliError(Exception):
    """A failure the user can act on; printed as one line, exit code 1."""


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.settings)
    overrides = {
        "landing_dir": getattr(args, "landing", None),
        "warehouse": getattr(args, "warehouse", None),
        "exports_dir": getattr(args, "exports", None),
    }
    return settings.with_overrides(
        **{key: Path(value).resolve() for key, value in overrides.items() if value},
        engine=getattr(args, "engine", None),
    )


def _prepare_environment() -> None:
    """No telemetry anywhere; a project-local Dagster home when none is set."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def _dagster_home(settings: Settings) -> Path:
    home = Path(
        os.environ.get("DAGSTER_HOME") or Path(settings.warehouse).parent.parent / "dagster_home"
    )
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home.resolve())
    return home


def run_pipeline(
    settings: Settings,
    *,
    as_of: str | None,
    out: TextIO = sys.stdout,
    state: ProgressState | None = None,
) -> int:
    """Materialise the daily job (the same one the schedule runs) and print progress."""
    import dagster as dg

    from orchestration.definitions import build_definitions
    from orchestration.defs.ingest.assets import AS_OF_TAG, parse_as_of
    from orchestration.defs.jobs import DAILY_JOB
    from orchestration.progress import ProgressState, progress_logger
    from orchestration.resources import FlexlensSettings
    from orchestration.summary import summary_lines

    landing = Path(settings.landing_dir)
    if not landing.is_dir():
        raise CliError(
            f"landing folder not found: {landing} (run `flexlens generate` or set --landing)"
        )
    try:
        as_of_value = parse_as_of(as_of).isoformat()
    except ValueError as exc:
        raise CliError(str(exc)) from None
    _dagster_home(settings)
    resource = FlexlensSettings.of(settings)
    for name in ("dagster", "dagster.builtin"):
        logging.getLogger(name).setLevel(logging.WARNING)
    engine = "" if settings.engine == "duckdb" else f", engine {settings.engine}"
    out.write(f"flexlens run: landing {landing}, as-of {as_of_value}{engine}\n")
    state = state if state is not None else ProgressState()
    defs = build_definitions(
        settings, settings_resource=resource, loggers={"progress": progress_logger(state, out)}
    )
    job = defs.resolve_job_def(DAILY_JOB)
    # dbt's own output and library logs go to a log file; the terminal gets one line per stage
    log_dir = Path(settings.warehouse).parent / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / "last_run.log"
    run_started = time.time()
    with (
        dg.DagsterInstance.get() as instance,
        log_path.open("w", encoding="utf-8") as log_file,
        contextlib.redirect_stdout(log_file),
        contextlib.redirect_stderr(log_file),
    ):
        result = job.execute_in_process(
            instance=instance,
            tags={AS_OF_TAG: as_of_value},
            raise_on_error=False,
            run_config={"loggers": {"progress": {}}},
        )
    out.write(f"    (full log: {log_path})\n")
    if not result.success:
        failed_steps = [
            event.step_key
            for event in result.all_events
            if event.is_step_failure and event.step_key
        ]
        failed_checks = sorted(set(state.checks_failed) | set(_failed_dbt_tests(since=run_started)))
        if failed_checks:
            raise CliError("blocking checks failed, nothing exported: " + ", ".join(failed_checks))
        reason = _first_failure_message(result) or "see the messages above"
        raise CliError(f"run failed in {', '.join(failed_steps) or 'the pipeline'}: {reason}")
    out.write(
        "\n" + "\n".join(summary_lines(Path(settings.warehouse), Path(settings.exports_dir))) + "\n"
    )
    if state.checks_warned:
        out.write(f"warnings:   {', '.join(sorted(state.checks_warned))}\n")
    return 0


def _failed_dbt_tests(*, since: float) -> list[str]:
    """dbt tests that failed in the last build (from dbt's run_results.json): dagster-dbt turns a
    test of one model into an asset check, but a test reading several models is named only here."""
    from connectors.engines import DBT_TARGET_ENV, DEFAULT_ENGINE
    from orchestration.resources import dbt_project_dir, dbt_target_path

    engine = os.environ.get(DBT_TARGET_ENV) or DEFAULT_ENGINE
    results_file = dbt_project_dir() / dbt_target_path(engine) / "run_results.json"
    if not results_file.exists() or results_file.stat().st_mtime < since:
        return []  # dbt did not run in this run
    try:
        results = json.loads(results_file.read_text(encoding="utf-8")).get("results", [])
    except (OSError, ValueError):
        return []
    return [
        f"dbt test {item['unique_id'].split('.')[2]}"
        for item in results
        if item.get("unique_id", "").startswith("test.") and item.get("status") in ("fail", "error")
    ]


def _first_failure_message(result) -> str | None:
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            error = event.step_failure_data.error
            while error.cause is not None and not error.message.strip():
                error = error.cause
            cause = error.cause or error
            text = (cause.message or error.message).strip().splitlines()
            return text[-1] if text else None
    return None


def _sample_facts(landing: Path) -> dict[str, str]:
    """The sample organisation's as-of and time zone (from the `_sample.json` it writes)."""
    marker = landing / "_sample.json"
    if not marker.exists():
        return {}
    facts = json.loads(marker.read_text(encoding="utf-8"))
    return {key: facts[key] for key in ("as_of", "org_time_zone") if facts.get(key)}


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    return run_pipeline(settings, as_of=args.as_of)


def cmd_demo(args: argparse.Namespace) -> int:
    settings = _settings(args)
    landing = Path(settings.landing_dir)
    if not (landing / "_sample.json").exists():
        if landing.exists() and any(landing.iterdir()):
            raise CliError(
                f"{landing} holds data that is not the sample organisation; "
                "use `flexlens run` for it, or --landing another folder for the demo"
            )
        print(f"generating the sample organisation into {landing} ...")
        _generate(
            landing, people=args.people, months=args.months, seed=args.seed, fmt="csv", end=None
        )
    facts = _sample_facts(landing)
    # the sample organisation writes its local times in its own zone: run in that zone
    settings = settings.with_overrides(timezone=facts.get("org_time_zone"))
    return run_pipeline(settings, as_of=args.as_of or facts.get("as_of"))


def _generate(out: Path, *, people: int, months: int, seed: int, fmt: str, end: str | None) -> None:
    from datetime import date

    from connectors.sample import generate_organisation

    summary = generate_organisation(
        out,
        people=people,
        months=months,
        seed=seed,
        fmt=fmt,  # type: ignore[arg-type]
        end=date.fromisoformat(end) if end else None,
    )
    print(f"sample organisation: {summary}")


def cmd_generate(args: argparse.Namespace) -> int:
    _generate(
        Path(args.out),
        people=args.people,
        months=args.months,
        seed=args.seed,
        fmt=args.format,
        end=args.end,
    )
    return 0


def cmd_parse(args: argparse.Namespace) -> int:
    from orchestration.defs.transform.project import prepare_manifest
    from orchestration.resources import export_dbt_environment

    export_dbt_environment(_settings(args))
    project = prepare_manifest(force=True)
    print(f"dbt manifest written: {project.manifest_path}")
    return 0


def cmd_dev(args: argparse.Namespace) -> int:
    import subprocess

    from orchestration.defs.transform.project import prepare_manifest
    from orchestration.resources import export_dbt_environment

    settings = _settings(args)
    export_dbt_environment(settings)
    prepare_manifest()
    _dagster_home(settings)
    # the UI's code server reads the settings itself: hand it this command's choices
    if args.settings:
        os.environ["FLEXLENS_SETTINGS"] = str(Path(args.settings).resolve())
    os.environ[ENGINE_ENV] = settings.engine
    command = [
        sys.executable,
        "-m",
        "dagster",
        "dev",
        "-m",
        "orchestration.definitions",
        "-h",
        args.host,
        "-p",
        str(args.port),
    ]
    return subprocess.call(command)


def cmd_extract(args: argparse.Namespace, out=None) -> int:
    """One manual API pull into the landing folder (cursors in the warehouse)."""
    from connectors.insights.http import ApiError
    from orchestration.defs.extract.pulls import pull_source

    out = out or sys.stdout
    settings = _settings(args)
    landing = Path(settings.landing_dir)
    landing.mkdir(parents=True, exist_ok=True)
    out.write(f"flexlens extract {args.source}: landing {landing}\n")
    try:
        report = pull_source(args.source, settings, os.environ)
    except ApiError as exc:
        raise CliError(str(exc)) from None
    for line in report.lines:
        out.write(f"  {line}\n")
    return 0


def cmd_report(
    args: argparse.Namespace,
    out: TextIO | None = None,
    opener: Callable[[str], bool] | None = None,
) -> int:
    """Write report.html for the latest export (from its Parquet files); --open shows it."""
    from orchestration.defs.export.exports import LATEST
    from orchestration.defs.report.exported import ExportNotFound, resolve_run_folder
    from orchestration.defs.report.page import write_report

    out = out or sys.stdout
    exports = Path(_settings(args).exports_dir)
    try:
        path, page = write_report(resolve_run_folder(exports))
    except ExportNotFound as exc:
        raise CliError(str(exc)) from None
    shown = exports / LATEST / path.name
    out.write(f"report: {shown}\n")
    if page.missing:
        out.write(f"  not shown (missing marts): {', '.join(page.missing)}\n")
    if args.open:
        if opener is None:
            import webbrowser

            opener = webbrowser.open
        if not opener(path.as_uri()):
            out.write("  no browser could be opened here: open the file above yourself\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="flexlens", description=__doc__)
    parser.add_argument(
        "--settings", help="settings file (default: $FLEXLENS_SETTINGS, ./flexlens.toml)"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def paths(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--landing", help="landing folder (default: the settings)")
        sub.add_argument("--warehouse", help="DuckDB warehouse file (default: the settings)")
        sub.add_argument("--exports", help="exports folder (default: the settings)")
        sub.add_argument("--as-of", help="cut-off instant, ISO 8601 with offset (default: now)")
        engine_option(sub)

    def engine_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--engine",
            choices=ENGINES,
            help="where dbt builds the models (default: the settings, else duckdb; "
            "docs/engines.md)",
        )

    run = commands.add_parser("run", help="run the daily pipeline once")
    paths(run)
    run.set_defaults(func=cmd_run)

    demo = commands.add_parser("demo", help="generate the sample organisation if missing, then run")
    paths(demo)
    demo.add_argument("--people", type=int, default=250)
    demo.add_argument("--months", type=int, default=12)
    demo.add_argument("--seed", type=int, default=7)
    demo.set_defaults(func=cmd_demo)

    generate = commands.add_parser("generate", help="write a sample organisation's landing folder")
    generate.add_argument("--people", type=int, default=250)
    generate.add_argument("--months", type=int, default=12)
    generate.add_argument("--seed", type=int, default=7)
    generate.add_argument("--out", default="data/landing")
    generate.add_argument("--format", choices=("csv", "parquet"), default="csv")
    generate.add_argument("--end", help="last day of data, YYYY-MM-DD (default: today)")
    generate.set_defaults(func=cmd_generate)

    parse = commands.add_parser("parse", help="parse the dbt project (writes the manifest)")
    engine_option(parse)
    parse.set_defaults(func=cmd_parse)

    dev = commands.add_parser("dev", help="open the Dagster UI")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=3000)
    engine_option(dev)
    dev.set_defaults(func=cmd_dev)

    extract = commands.add_parser(
        "extract", help="pull one API into the landing folder (credentials from env vars)"
    )
    extract.add_argument("source", choices=("insights", "graph"))
    extract.add_argument("--landing", help="landing folder (default: the settings)")
    extract.add_argument("--warehouse", help="DuckDB warehouse holding the cursors")
    extract.set_defaults(func=cmd_extract)

    report = commands.add_parser(
        "report", help="write the licence optimisation report (report.html) of the latest export"
    )
    report.add_argument("--exports", help="exports folder (default: the settings)")
    report.add_argument("--open", action="store_true", help="open it in the web browser")
    report.set_defaults(func=cmd_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    _prepare_environment()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (CliError, SettingsError) as exc:
        print(f"flexlens: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
