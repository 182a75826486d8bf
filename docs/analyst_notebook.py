# %% [markdown]
# # Temporary housing, month by month — a worked example on the fase-hub marts
#
# A notebook in Jupytext's "percent" format: open it in JupyterLab (with jupytext) or VS Code as a notebook, or
# run it as a script. It reads the marts with pandas and SQLAlchemy and draws one chart with plotly (both in the
# project's lock). Where it connects (`docs/analyst.md` says more):
#
# - `FASE_ANALYST_URL` — a SQLAlchemy URL. On PostgreSQL, the analysts' role on the warehouse, e.g.
#   `postgresql+psycopg://fase_analyst@warehouse-host:5432/fase`, password in `PGPASSWORD` (never in the URL):
#   it sees only the pseudonymised schema `fase_marts`, its search path. Default: the SQLite warehouse `make demo`
#   leaves, `sqlite:///var/warehouse.db` (a file holds everything: development only).
# - `FASE_NOTEBOOK_OUT` — where the chart and the tables go (default `var/notebook`).

# %%
import os
from pathlib import Path

import pandas as pd
import plotly.express as px
import sqlalchemy as sa

URL = os.environ.get("FASE_ANALYST_URL", "sqlite:///var/warehouse.db")
OUT = Path(os.environ.get("FASE_NOTEBOOK_OUT", "var/notebook"))
OUT.mkdir(parents=True, exist_ok=True)
engine = sa.create_engine(URL)

# %% [markdown]
# ## Who the agency reaches: people per target group

# %%
groups = pd.read_sql(
    "SELECT target_group, label, people, households FROM mart_target_group ORDER BY target_group", engine
)
groups

# %% [markdown]
# ## Entries into and exits from temporary housing, by month
# `mart_housing_flow` has one row per month, flow (entry/exit) and exit reason; sum the reasons per month.

# %%
flows = pd.read_sql(
    "SELECT month, flow, SUM(stays) AS stays, SUM(people) AS people FROM mart_housing_flow "
    "GROUP BY month, flow ORDER BY month, flow",
    engine,
)
monthly = flows.pivot(index="month", columns="flow", values="stays").fillna(0).astype(int)
monthly["net"] = monthly.get("entry", 0) - monthly.get("exit", 0)
monthly.tail(12)

# %% [markdown]
# ## How hosted households leave: the share reaching housing autonomy

# %%
autonomy = pd.read_sql(
    "SELECT COUNT(*) AS households_hosted, SUM(CASE WHEN reached_autonomy THEN 1 ELSE 0 END) AS households_autonomy "
    "FROM household WHERE ever_hosted",
    engine,
)
autonomy["share"] = (autonomy["households_autonomy"] / autonomy["households_hosted"]).round(4)
autonomy

# %% [markdown]
# ## The chart: stays started and ended per month

# %%
fig = px.bar(
    flows,
    x="month",
    y="stays",
    color="flow",
    barmode="group",
    title="Temporary housing: stays started and ended per month",
    labels={"stays": "stays", "month": "month", "flow": ""},
)
fig.write_html(OUT / "housing_flows.html", include_plotlyjs=True)  # self-contained: works offline
monthly.to_csv(OUT / "housing_flows.csv")
print(
    f"{len(flows)} month/flow rows, {int(monthly.get('entry', pd.Series(dtype=int)).sum())} entries; chart: "
    f"{OUT / 'housing_flows.html'}; autonomy share {autonomy['share'].iloc[0]}"
)
fig
