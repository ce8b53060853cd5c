"""A notebook-style investigation session (each `# %%` is a cell in VS Code or Jupyter).

Run it as a script:  python examples/investigation_session.py [FLOW-LOG FOLDER]
Without a folder it generates a sample set with planted incidents in a temporary folder.
"""

# %% Where the flow logs are
import atexit
import shutil
import sys
import tempfile

import flowsql
from flowsql.sample import generator as sample

if len(sys.argv) > 1:
    fl = flowsql.connect(engine="duckdb", location=sys.argv[1])
    window = {}  # the last 24 hours
else:
    folder = tempfile.mkdtemp(prefix="flowsql-session-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)  # the sample set goes when the session ends
    generated = sample.generate(folder, days=2, records=20_000)
    spec = generated.spec
    fl = flowsql.connect(
        engine="duckdb",
        location=spec.location,
        accounts=list(spec.accounts),
        regions=list(spec.regions),
        start_date=spec.start_date.isoformat(),
    )
    window = {"start": generated.window.start.isoformat(), "end": generated.window.end.isoformat()}
print(fl)

# %% What can this table answer?
available = [i.name for i in fl.investigations() if i.available]
print(f"{len(available)} investigations available, e.g. {', '.join(available[:6])}")

# %% Who is hammering SSH?
ssh = fl.run("rejected_ssh_sources", limit=5, **window)
print(ssh)
top = ssh[0] if ssh else None

# %% Everything that source did, by peer, port and action
if top is not None:
    activity = fl.run("ip_activity", ip=top.srcaddr, limit=10, **window)
    for row in activity:
        print(row.as_dict())

# %% Traffic per hour, ready for a plot (pandas is optional)
hourly = fl.run("traffic_by_hour", **window)
print(hourly.columns, len(hourly), "hours")
try:
    frame = hourly.to_pandas()
    print(frame.head())
except ImportError:
    print("(pip install 'flowsql[pandas]' for DataFrames)")

# %% The exact SQL Athena would run for the same question
print(fl.render("rejected_ssh_sources", limit=5, **window))
fl.close()
