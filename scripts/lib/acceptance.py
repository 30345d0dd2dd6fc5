#!/usr/bin/env python3
"""The acceptance suite's steps (scripts/acceptance runs it): one pipeline made, fed, read,
re-run, checked and taken down, on a real AWS account or on the local stack.

The account plays Agilix itself: setup is run with `--aws-only` and `--agilix-account` set to the
caller's own account and a fresh external id, so the suite can assume the writer role exactly as
Agilix's servers do (AssumeRole with the external id, then PutRecord) without a Buzz domain.
Three records go in:
  1. one record holding two events (Buzz may batch: Firehose's JSON de-aggregation splits them);
  2. one event without `time` (no day to file it under: it must land under errors/);
  3. one line that is not JSON (it must land under errors/ too).
So events/ must end with exactly 2 events and errors/ with the other 2 records.

Views: on AWS each view is queried once in Athena; locally DuckDB reads the same views from
Glue's encoding (scripts/lib/archive_sql.py, as the tests do) over the downloaded objects.
Each step is timed; the report is printed and written as JSON; the exit status is 1 when any
step failed. Teardown runs whatever happened before it, so a failed run leaves no stream, roles
or delivery stream behind (the bucket stays: it holds the archived events).
"""
import argparse, base64, gzip, json, os, subprocess, sys, time, uuid
from datetime import datetime, timezone

import boto3

STEPS = []


def step(name):
    """Runs one step, records its outcome and duration; a failed step raises no further."""
    def wrap(fn):
        def run(*args, **kwargs):
            started = time.monotonic()
            try:
                detail = fn(*args, **kwargs)
                ok = True
            except Exception as e:  # the report says what failed; the next steps still run
                detail, ok = f"{type(e).__name__}: {e}", False
            STEPS.append({"step": name, "ok": ok, "seconds": round(time.monotonic() - started, 2),
                          "detail": detail})
            mark = "ok  " if ok else "FAIL"
            print(f"[{mark}] {name} ({STEPS[-1]['seconds']} s): {detail}", file=sys.stderr, flush=True)
            return ok
        return run
    return wrap


def progress(text):
    print(f"       {text}", file=sys.stderr, flush=True)


class Suite:
    def __init__(self, args):
        self.args = args
        self.local = args.mode == "local"
        self.region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if not self.region:
            sys.exit("acceptance: name the region with AWS_REGION")
        session = boto3.session.Session(region_name=self.region)
        self.sts, self.kinesis = session.client("sts"), session.client("kinesis")
        self.s3, self.glue = session.client("s3"), session.client("glue")
        self.athena = None if self.local else session.client("athena")
        self.session = session
        self.account = self.sts.get_caller_identity()["Account"]
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
        # Names of our own, so a real account's other resources are never touched.
        self.stream = f"bk-accept-{stamp}"
        self.role = f"BkAccept{stamp}"
        self.bucket = f"bk-accept-{self.account}-{stamp}"
        self.external_id = f"bk-accept-{uuid.uuid4().hex[:16]}"
        self.deadline = 60 if self.local else 600

    def tool(self, *extra, expect=(0,)):
        """Runs buzz-kinesis with JSON output; the exit status must be one of `expect`."""
        argv = [self.args.tool, *extra, "--output", "json", "--region", self.region]
        out = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        report = json.loads(out.stdout) if out.stdout.strip().startswith("{") else {}
        if out.returncode not in expect:
            failing = [f"{r.get('id')}: {r.get('message')}" for r in report.get("checks", [])
                       if r.get("status") == "fail"]
            why = "; ".join(failing) or report.get("error") or out.stderr.strip()[-600:]
            raise RuntimeError(f"`{' '.join(argv[1:3])}` exited {out.returncode}: {why}")
        return report

    def setup_args(self):
        return ["setup", "--aws-only", "--yes", "--agilix-account", self.account,
                "--external-id", self.external_id, "--stream", self.stream, "--role", self.role,
                "--archive-bucket", self.bucket, "--archive-views"]

    @step("setup with the archive and its views")
    def setup(self):
        report = self.tool(*self.setup_args())
        self.summary = report
        return f"stream {self.stream}, role {self.role}, bucket {self.bucket}"

    @step("three records written as Agilix writes them")
    def write(self):
        role_arn = f"arn:{self.partition()}:iam::{self.account}:role/{self.role}"
        # Role chaining caps a session at an hour: ask for one, as a chained caller may.
        creds = self.retry_assume(role_arn)
        writer = boto3.session.Session(
            aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"], region_name=self.region).client("kinesis")
        day = datetime.now(timezone.utc)
        def event(kind, with_time=True):
            e = {"guid": str(uuid.uuid4()), "domainId": "424242", "type": kind, "data": {},
                 "userId": "1", "agentUserId": "1", "sessionId": "s"}
            if with_time:
                e = {"time": day.strftime("%Y-%m-%dT%H:%M:%S.0000000Z"), **e}
            return json.dumps(e, separators=(",", ":"))
        records = [
            event("UserEntityCreated") + "\n" + event("EnrollmentEntityCreated"),
            event("EnrollmentMetricsChanged", with_time=False),
            "this line is not JSON",
        ]
        for r in records:
            writer.put_record(StreamName=self.stream, Data=r.encode(), PartitionKey=str(uuid.uuid4()))
        return f"{len(records)} records through {role_arn} with the external id"

    def retry_assume(self, role_arn):
        # IAM is eventually consistent: a role made a moment ago may not be assumable yet.
        waited, last = 0, None
        while waited <= 120:
            try:
                return self.sts.assume_role(RoleArn=role_arn, RoleSessionName="buzz-kinesis-acceptance",
                                            ExternalId=self.external_id, DurationSeconds=3600)["Credentials"]
            except self.sts.exceptions.ClientError as e:
                last = e
                time.sleep(5)
                waited += 5
        raise RuntimeError(f"AssumeRole kept failing: {last}")

    def partition(self):
        return self.session.get_partition_for_region(self.region)

    def lines_under(self, prefix):
        """Every line of every object under prefix (gzipped or not)."""
        lines, keys = [], []
        pages = self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix, ExpectedBucketOwner=self.account)
        for page in pages:
            for obj in page.get("Contents", []):
                body = self.s3.get_object(Bucket=self.bucket, Key=obj["Key"],
                                          ExpectedBucketOwner=self.account)["Body"].read()
                if obj["Key"].endswith(".gz"):
                    body = gzip.decompress(body)
                keys.append(obj["Key"])
                lines += [l for l in body.decode().splitlines() if l.strip()]
        return keys, lines

    @step("Firehose delivers: 2 events under events/, 2 records under errors/")
    def wait_delivery(self):
        started = time.monotonic()
        while True:
            self.event_keys, events = self.lines_under("events/")
            self.error_keys, errors = self.lines_under("errors/")
            elapsed = time.monotonic() - started
            if len(events) >= 2 and len(errors) >= 2:
                break
            if elapsed > self.deadline:
                raise RuntimeError(f"after {elapsed:.0f} s: {len(events)} events, {len(errors)} error records")
            progress(f"{elapsed:.0f} s: {len(events)} of 2 events, {len(errors)} of 2 error records "
                     f"(Firehose buffers up to the configured interval; waiting at most {self.deadline} s)")
            time.sleep(1 if self.local else 15)
        if len(events) != 2 or len(errors) != 2:
            raise RuntimeError(f"{len(events)} events and {len(errors)} error records, expected 2 and 2")
        types = sorted(json.loads(l)["type"] for l in events)
        if types != ["EnrollmentEntityCreated", "UserEntityCreated"]:
            raise RuntimeError(f"archived event types {types}")
        bad = [k for k in self.event_keys if "/type=" not in k or "/dt=" not in k]
        if bad:
            raise RuntimeError(f"objects outside the type=/dt= layout: {bad}")
        return (f"{len(self.event_keys)} object(s) under events/ ({', '.join(types)}), "
                f"{len(self.error_keys)} under errors/ ({sorted({k.split('/')[1] for k in self.error_keys})})")

    def views(self):
        database = self.summary_database()
        tables = self.glue.get_tables(DatabaseName=database)["TableList"]
        return database, {t["Name"]: t for t in tables if t.get("TableType") == "VIRTUAL_VIEW"}

    def summary_database(self):
        out = self.tool("export", "--yes", "--agilix-account", self.account, "--format", "archive",
                        "--stream", self.stream, "--archive-bucket", self.bucket)
        self.archive = out["archive"]
        return self.archive["database"]

    @step("each view queried once")
    def query_views(self):
        database, views = self.views()
        if len(views) < 3:
            raise RuntimeError(f"{len(views)} views in {database}: {sorted(views)}")
        rows = self.athena_rows(database, views) if not self.local else self.duckdb_rows(views)
        empty = [v for v, n in rows.items() if n == 0]
        if empty:
            raise RuntimeError(f"views with no rows: {empty} ({rows})")
        return ", ".join(f"{v}: {n} row(s)" for v, n in sorted(rows.items()))

    def duckdb_rows(self, views):
        root = os.path.join(self.args.work, "archive")
        for key in self.event_keys:
            path = os.path.join(root, key)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            self.s3.download_file(self.bucket, key, path, ExtraArgs={"ExpectedBucketOwner": self.account})
        payload = {"root": root, "archive": self.archive, "objects": [],
                   "views": [[n, t["ViewOriginalText"]] for n, t in views.items()]}
        out = subprocess.run([sys.executable, "scripts/lib/archive_sql.py"], input=json.dumps(payload),
                             capture_output=True, text=True, check=True)
        return {n: len(v["rows"]) for n, v in json.loads(out.stdout)["views"].items()}

    def athena_rows(self, database, views):
        output = f"s3://{self.bucket}/acceptance/athena/"
        counts = {}
        for name in views:
            qid = self.athena.start_query_execution(
                QueryString=f'SELECT * FROM "{database}"."{name}"',
                QueryExecutionContext={"Database": database},
                ResultConfiguration={"OutputLocation": output,
                                     "ExpectedBucketOwner": self.account})["QueryExecutionId"]
            while True:
                state = self.athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]
                if state["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
                    break
                time.sleep(2)
            if state["State"] != "SUCCEEDED":
                raise RuntimeError(f"{name}: {state['State']}: {state.get('StateChangeReason')}")
            result = self.athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"]
            counts[name] = len(result) - 1  # the first row is the header
        return counts

    @step("setup again: nothing to do, 0 mutating calls")
    def rerun(self):
        report = self.tool(*self.setup_args())
        calls = report.get("api_calls", {})
        if calls.get("mutating") != 0:
            raise RuntimeError(f"the re-run made {calls.get('mutating')} mutating call(s): {calls}")
        return f"{calls.get('total', '?')} read call(s), 0 mutating"

    @step("check: healthy but for the two bad records, which it names")
    def check(self):
        # The suite wrote two records Firehose cannot file (no time, not JSON): check must see
        # them under errors/ and fail on exactly that row, and pass every other.
        report = self.tool("check", "--aws-only", "--agilix-account", self.account,
                           "--external-id", self.external_id, "--stream", self.stream,
                           "--role", self.role, "--archive-bucket", self.bucket, expect=(2,))
        rows = report.get("checks", [])
        failed = [r["id"] for r in rows if r.get("status") == "fail"]
        if failed != ["archive.errors"]:
            raise RuntimeError(f"failing rows {failed}, expected only archive.errors: {rows}")
        return f"{len(rows)} rows; the one failing is archive.errors, the records written to fail"

    @step("teardown: stream, roles and delivery stream removed; the archived events kept")
    def teardown(self):
        self.tool("teardown", "--aws-only", "--yes", "--delete-stream", "--stream", self.stream,
                  "--role", self.role)
        left = []
        try:
            self.kinesis.describe_stream_summary(StreamName=self.stream)
            left.append(f"stream {self.stream}")
        except self.kinesis.exceptions.ResourceNotFoundException:
            pass
        iam = self.session.client("iam")
        for role in (self.role, self.archive_role()):
            try:
                iam.get_role(RoleName=role)
                left.append(f"role {role}")
            except iam.exceptions.NoSuchEntityException:
                pass
        firehose = self.session.client("firehose")
        delivery = self.archive.get("delivery_stream") if hasattr(self, "archive") else None
        if delivery:
            try:
                firehose.describe_delivery_stream(DeliveryStreamName=delivery)
                left.append(f"delivery stream {delivery}")
            except firehose.exceptions.ResourceNotFoundException:
                pass
        if left:
            raise RuntimeError(f"teardown left {', '.join(left)}")
        keys, events = self.lines_under("events/")
        if len(events) < 2:
            raise RuntimeError(f"after teardown the bucket holds {len(events)} events")
        return f"bucket {self.bucket} kept with {len(events)} events in {len(keys)} object(s)"

    def archive_role(self):
        if not hasattr(self, "archive"):
            self.summary_database()
        return self.archive["role"]

    def run(self):
        print(f"acceptance on {'the local stack' if self.local else 'AWS'}: account {self.account}, "
              f"region {self.region}", file=sys.stderr)
        if self.setup():
            if self.write():
                self.wait_delivery() and self.query_views()
            self.rerun()
            self.check()
        self.teardown()
        report = {"mode": self.args.mode, "account": self.account, "region": self.region,
                  "stream": self.stream, "bucket": self.bucket, "steps": STEPS,
                  "passed": sum(s["ok"] for s in STEPS), "failed": sum(not s["ok"] for s in STEPS)}
        os.makedirs(os.path.dirname(self.args.report) or ".", exist_ok=True)
        with open(self.args.report, "w") as f:
            json.dump(report, f, indent=2)
        print(f"\nacceptance: {report['passed']} passed, {report['failed']} failed "
              f"({sum(s['seconds'] for s in STEPS):.1f} s; report in {self.args.report})")
        if not self.local:
            print(f"The archive bucket {self.bucket} is kept, as teardown keeps it. To remove it: "
                  f"aws s3api delete-bucket after deleting its object versions, or keep it for the record.")
        return report["failed"] == 0


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--mode", choices=["local", "aws"], required=True)
    p.add_argument("--tool", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--report", required=True)
    sys.exit(0 if Suite(p.parse_args()).run() else 1)
