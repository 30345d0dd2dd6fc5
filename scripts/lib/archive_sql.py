#!/usr/bin/env python3
"""The archive as Athena sees it, in DuckDB: shared by the tests (tests/it/harness/archive.rs)
and scripts/demo, so the demo's query is the one the tests prove.

Input on stdin: {"root": DIR, "archive": <export --format archive's "archive">, "objects":
[[path, text], ...]}. The objects (may be none) are first written gzipped under DIR, beside any
already there (downloaded ones). The table reads the event's keys as its columns and the path's
type=/dt= as its partitions, every one a string, over the table's location only (errors/ is not
in it); the model's queries run verbatim; sqlglot parses the DDL and the queries in Athena's
dialect. Optional "views": [[name, ViewOriginalText], ...] as Glue holds them (setup
--archive-views): each is decoded as Athena decodes it (base64 JSON after "/* Presto View: "),
made a DuckDB view from its originalSql, and read whole. Prints {"results": {<query name>:
rows, "distinct_count", "columns"}, "views": {<name>: {"rows", "columns", "declared"}},
"parsed": {...}, "ddl": ...}.
"""
import base64, duckdb, gzip, json, os, sys
import sqlglot
from sqlglot import exp
inp = json.load(sys.stdin)
root, a = inp["root"], inp["archive"]
for rel, text in inp["objects"]:
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(text)
location = a["location"].split("/", 3)[3]
files = os.path.join(root, location) + "*/" * len(a["partitions"]) + "*.gz"
columns = ", ".join(f"'{c['json_key']}': 'VARCHAR'" for c in a["columns"])
select = ", ".join(f'"{c["json_key"]}" AS "{c["name"]}"' for c in a["columns"])
select += "".join(f', "{p["name"]}"' for p in a["partitions"])
hive_types = ", ".join(f"'{p['name']}': 'VARCHAR'" for p in a["partitions"])
con = duckdb.connect()
con.execute(f'CREATE SCHEMA "{a["database"]}"')
con.execute(
    f'CREATE VIEW "{a["database"]}"."{a["table"]}" AS SELECT {select} FROM read_json('
    f"'{files}', format = 'newline_delimited', columns = {{{columns}}}, "
    f"hive_partitioning = true, hive_types = {{{hive_types}}})"
)
results = {}
for q in a["queries"]:
    rel = con.execute(q["sql"])
    results[q["name"]] = rel.fetchall() if rel.description else None
views = {}
for name, text in inp.get("views", []):
    prefix, suffix = "/* Presto View: ", " */"
    assert text.startswith(prefix) and text.endswith(suffix), text
    d = json.loads(base64.b64decode(text[len(prefix):-len(suffix)]))
    con.execute(f'CREATE OR REPLACE VIEW "{d["schema"]}"."{name}" AS {d["originalSql"]}')
    rel = con.execute(f'SELECT * FROM "{d["schema"]}"."{name}" ORDER BY ALL')
    views[name] = {
        "rows": rel.fetchall(),
        "columns": [c[0] for c in rel.description],
        "declared": [c["name"] for c in d["columns"]],
        "catalog": d["catalog"],
        "parsed": type(sqlglot.parse_one(d["originalSql"], read="athena")).__name__,
    }
results["distinct_count"] = con.execute(
    f'SELECT count(*) FROM "{a["database"]}"."events_distinct"').fetchall()
results["columns"] = [d[0] for d in con.execute(
    f'SELECT * FROM "{a["database"]}"."{a["table"]}" LIMIT 0').description]
parsed = {"ddl": type(sqlglot.parse_one(a["ddl"], read="athena")).__name__}
ddl = sqlglot.parse_one(a["ddl"], read="athena").sql(dialect="athena")
for q in a["queries"]:
    parsed[q["name"]] = type(sqlglot.parse_one(q["sql"], read="athena")).__name__
try:
    sqlglot.parse_one("SELECT FROM WHERE (", read="athena")
    parsed["broken"] = "parsed"
except sqlglot.errors.ParseError:
    parsed["broken"] = "refused"
print(json.dumps({"results": results, "views": views, "parsed": parsed, "ddl": ddl}, default=str))
