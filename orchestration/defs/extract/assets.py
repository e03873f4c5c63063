"""Extract: the API pulls (Autodesk Insights, Microsoft Graph) as Dagster assets.

An asset exists only when its credentials are in the environment when the definitions load
(``FLEXLENS_APS_CLIENT_ID`` + ``FLEXLENS_APS_CLIENT_SECRET``; ``FLEXLENS_GRAPH_TENANT_ID`` +
``FLEXLENS_GRAPH_CLIENT_ID`` + ``FLEXLENS_GRAPH_CLIENT_SECRET``). Without them nothing about the
APIs is defined: the demo and the tests never reach for the network and the daily job is the
same as before. With them, the asset is part of the daily job (its selection is every asset)
and the load asset of the landing folder it writes (``autodesk/``, ``directory/``) depends on it,
so a run pulls first, then loads what it pulled.

Secrets are read at run time through ``dg.EnvVar`` resources (the UI shows the variable's name,
never its value). Transient failures (5xx, timeouts, an unfinished query) are retried by the
asset's RetryPolicy; a permanent failure (refused credentials, a missing permission, malformed
answers) or the last retry does not stop the daily run: the asset reports the error, its check
``pull_succeeded`` fails with WARN severity (the command line lists it under warnings), every
cursor stays where it was, and the run goes on with the landing folder as it is.
"""

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import dagster as dg

from connectors.graph.client import (
    DEFAULT_BASE_URL as GRAPH_DEFAULT_BASE_URL,
)
from connectors.graph.client import (
    DEFAULT_LOGIN_URL,
    GraphConfig,
    graph_configured,
)
from connectors.graph.client import ENV_BASE_URL as GRAPH_ENV_BASE_URL
from connectors.graph.client import ENV_CLIENT_ID as GRAPH_ENV_CLIENT_ID
from connectors.graph.client import ENV_CLIENT_SECRET as GRAPH_ENV_CLIENT_SECRET
from connectors.graph.client import ENV_LOGIN_URL as GRAPH_ENV_LOGIN_URL
from connectors.graph.client import ENV_TENANT_ID as GRAPH_ENV_TENANT_ID
from connectors.graph.extract import GRAPH_SOURCE
from connectors.insights.client import DEFAULT_BASE_URL as APS_DEFAULT_BASE_URL
from connectors.insights.client import ENV_BASE_URL as APS_ENV_BASE_URL
from connectors.insights.client import ENV_CLIENT_ID as APS_ENV_CLIENT_ID
from connectors.insights.client import ENV_CLIENT_SECRET as APS_ENV_CLIENT_SECRET
from connectors.insights.client import ENV_PAT as APS_ENV_PAT
from connectors.insights.client import InsightsConfig, insights_configured
from connectors.insights.extract import EXPORTS_SOURCE, USAGE_SOURCE
from connectors.insights.http import ApiError, HttpPolicy
from orchestration.defs.extract.pulls import PullReport, cursor_metadata, pull_graph, pull_insights
from orchestration.resources import FlexlensSettings

GROUP = "extract"
INSIGHTS_KEY = dg.AssetKey(["landing", "autodesk_insights"])
GRAPH_KEY = dg.AssetKey(["landing", "graph_users"])
PULL_CHECK = "pull_succeeded"

# the landing sub-folder each pull writes: its load asset depends on the pull
FEEDS: dict[dg.AssetKey, str] = {INSIGHTS_KEY: "autodesk", GRAPH_KEY: "directory"}

RETRY_POLICY = dg.RetryPolicy(
    max_retries=2, delay=60, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)


class InsightsApi(dg.ConfigurableResource):
    """Autodesk Insights credentials (from the environment through dg.EnvVar)."""

    base_url: str = APS_DEFAULT_BASE_URL
    client_id: str
    client_secret: str
    pat: str | None = None

    def config(self) -> InsightsConfig:
        return InsightsConfig.from_env(
            {
                APS_ENV_BASE_URL: self.base_url,
                APS_ENV_CLIENT_ID: self.client_id,
                APS_ENV_CLIENT_SECRET: self.client_secret,
                APS_ENV_PAT: self.pat or "",
            }
        )


class GraphApi(dg.ConfigurableResource):
    """Microsoft Graph credentials (from the environment through dg.EnvVar)."""

    base_url: str = GRAPH_DEFAULT_BASE_URL
    login_url: str = DEFAULT_LOGIN_URL
    tenant_id: str
    client_id: str
    client_secret: str

    def config(self) -> GraphConfig:
        return GraphConfig.from_env(
            {
                GRAPH_ENV_BASE_URL: self.base_url,
                GRAPH_ENV_LOGIN_URL: self.login_url,
                GRAPH_ENV_TENANT_ID: self.tenant_id,
                GRAPH_ENV_CLIENT_ID: self.client_id,
                GRAPH_ENV_CLIENT_SECRET: self.client_secret,
            }
        )


@dataclass
class ExtractDefinitions:
    """The pulls configured in an environment, their resources and what they feed."""

    assets: list[dg.AssetsDefinition] = field(default_factory=list)
    resources: dict[str, dg.ConfigurableResource] = field(default_factory=dict)
    feeds: dict[dg.AssetKey, str] = field(default_factory=dict)


def _run_pull(
    context: dg.AssetExecutionContext,
    key: dg.AssetKey,
    pull: Callable[[], PullReport],
    cursors: Callable[[], dict[str, str]],
    max_retries: int,
) -> dg.MaterializeResult:
    try:
        report = pull()
    except ApiError as exc:
        last = context.retry_number >= max_retries
        if exc.retryable and not last:
            context.log.warning(f"{exc} (attempt {context.retry_number + 1}; retrying)")
            raise
        context.log.error(f"pull failed, the run goes on with the landing folder as it is: {exc}")
        metadata = {"status": "failed", "error": str(exc), **cursors()}
        return dg.MaterializeResult(
            metadata=metadata,
            check_results=[
                dg.AssetCheckResult(
                    asset_key=key,
                    check_name=PULL_CHECK,
                    passed=False,
                    severity=dg.AssetCheckSeverity.WARN,
                    metadata={"error": str(exc)},
                )
            ],
        )
    for line in report.lines:
        context.log.info(line)
    return dg.MaterializeResult(
        metadata={"status": "ok", **report.metadata},
        check_results=[
            dg.AssetCheckResult(
                asset_key=key,
                check_name=PULL_CHECK,
                passed=True,
                severity=dg.AssetCheckSeverity.WARN,
            )
        ],
    )


def _insights_asset(
    retry_policy: dg.RetryPolicy, http_policy: HttpPolicy | None
) -> dg.AssetsDefinition:
    @dg.asset(
        key=INSIGHTS_KEY,
        group_name=GROUP,
        retry_policy=retry_policy,
        check_specs=[
            dg.AssetCheckSpec(
                PULL_CHECK,
                asset=INSIGHTS_KEY,
                description="The Insights pull finished; when not, the run used older files.",
            )
        ],
        kinds={"python"},
        description=(
            "Autodesk Insights pulled into the landing folder: token usage per team and day "
            "(autodesk/insights/usage/, from each team's cursor minus a lookback) and one export "
            "(Users -> autodesk/insights/exports/). Cursors in raw.extract_cursors and here as "
            "metadata."
        ),
    )
    def extract_insights(
        context: dg.AssetExecutionContext, flexlens: FlexlensSettings, insights_api: InsightsApi
    ) -> dg.MaterializeResult:
        settings = flexlens.load()
        return _run_pull(
            context,
            INSIGHTS_KEY,
            lambda: pull_insights(settings, insights_api.config(), policy=http_policy),
            lambda: cursor_metadata(settings, (USAGE_SOURCE, EXPORTS_SOURCE)),
            retry_policy.max_retries,
        )

    return extract_insights


def _graph_asset(
    retry_policy: dg.RetryPolicy, http_policy: HttpPolicy | None
) -> dg.AssetsDefinition:
    @dg.asset(
        key=GRAPH_KEY,
        group_name=GROUP,
        retry_policy=retry_policy,
        check_specs=[
            dg.AssetCheckSpec(
                PULL_CHECK,
                asset=GRAPH_KEY,
                description="The Graph pull finished; when not, the run used older snapshots.",
            )
        ],
        kinds={"python"},
        description=(
            "Microsoft Graph /v1.0/users pulled into the landing folder: one snapshot per run "
            "(directory/graph/users_<date>.json). Its cursor (the last snapshot date) in "
            "raw.extract_cursors and here as metadata."
        ),
    )
    def extract_graph(
        context: dg.AssetExecutionContext, flexlens: FlexlensSettings, graph_api: GraphApi
    ) -> dg.MaterializeResult:
        settings = flexlens.load()
        return _run_pull(
            context,
            GRAPH_KEY,
            lambda: pull_graph(settings, graph_api.config(), policy=http_policy),
            lambda: cursor_metadata(settings, (GRAPH_SOURCE,)),
            retry_policy.max_retries,
        )

    return extract_graph


def build_extract_definitions(
    environ: Mapping[str, str] | None = None,
    *,
    retry_policy: dg.RetryPolicy = RETRY_POLICY,
    http_policy: HttpPolicy | None = None,
) -> ExtractDefinitions:
    """The pulls whose credentials are set in ``environ`` (default: the process environment)."""
    env = os.environ if environ is None else environ
    found = ExtractDefinitions()
    if insights_configured(env):
        found.assets.append(_insights_asset(retry_policy, http_policy))
        found.resources["insights_api"] = InsightsApi(
            base_url=env.get(APS_ENV_BASE_URL) or APS_DEFAULT_BASE_URL,
            client_id=dg.EnvVar(APS_ENV_CLIENT_ID),
            client_secret=dg.EnvVar(APS_ENV_CLIENT_SECRET),
            pat=dg.EnvVar(APS_ENV_PAT) if env.get(APS_ENV_PAT) else None,
        )
        found.feeds[INSIGHTS_KEY] = FEEDS[INSIGHTS_KEY]
    if graph_configured(env):
        found.assets.append(_graph_asset(retry_policy, http_policy))
        found.resources["graph_api"] = GraphApi(
            base_url=env.get(GRAPH_ENV_BASE_URL) or GRAPH_DEFAULT_BASE_URL,
            login_url=env.get(GRAPH_ENV_LOGIN_URL) or DEFAULT_LOGIN_URL,
            tenant_id=dg.EnvVar(GRAPH_ENV_TENANT_ID),
            client_id=dg.EnvVar(GRAPH_ENV_CLIENT_ID),
            client_secret=dg.EnvVar(GRAPH_ENV_CLIENT_SECRET),
        )
        found.feeds[GRAPH_KEY] = FEEDS[GRAPH_KEY]
    return found


def wire_extract_deps(
    load_assets: Sequence[dg.AssetsDefinition], extract: ExtractDefinitions
) -> list[dg.AssetsDefinition]:
    """The load assets, each depending on the pulls that write its landing sub-folder."""
    if not extract.feeds:
        return list(load_assets)
    wired = []
    for assets_def in load_assets:
        source = assets_def.op.name.removeprefix("load_")
        pulls = [key for key, feeds in extract.feeds.items() if feeds == source]
        if pulls:
            assets_def = assets_def.map_asset_specs(
                lambda spec, pulls=pulls: spec.replace_attributes(
                    deps=[*spec.deps, *(dg.AssetDep(key) for key in pulls)]
                )
            )
        wired.append(assets_def)
    return wired
