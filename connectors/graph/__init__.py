"""Microsoft Graph ``/v1.0/users`` -> one directory snapshot per run in ``directory/graph/``.

``client``: the client-credentials token, ``$select``/``$top`` and ``@odata.nextLink`` paging;
``extract``: the snapshot file. Timeouts, retries and errors come from
``connectors.insights.http``. No Dagster or dbt imports here.
"""
