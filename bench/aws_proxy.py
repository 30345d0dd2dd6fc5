#!/usr/bin/env python3
"""A counting, delaying proxy in front of moto, for the benchmark.

moto makes a stream ACTIVE at once; real Kinesis takes seconds to a minute. This proxy
reports a new stream as CREATING for --create-delay seconds after its CreateStream (in
DescribeStreamSummary and DescribeStream answers), which is what a tool waiting for ACTIVE
sees on AWS. With --iam-delay it plays IAM's propagation for Firehose: CreateDeliveryStream
naming a role made less than that many seconds ago is refused as Firehose refuses it
("Firehose is unable to assume role"), as the Buzz sandbox's --iam-propagation-delay does for
Buzz's test. It also counts every AWS request by service and operation, so the benchmark
counts the calls of our tool and of the AWS CLI anchor with the same independent observer.

GET /_counts -> {"kinesis:CreateStream": 1, ...}; POST /_reset clears the counts.
"""
import argparse
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MUTATING_PREFIXES = ("Create", "Put", "Update", "Delete", "Add", "Increase", "Decrease", "Start", "Tag", "Untag", "Remove", "Attach", "Detach")


class State:
    def __init__(self, upstream, create_delay, iam_delay=0.0):
        self.upstream = upstream.rstrip("/")
        self.create_delay = create_delay
        self.iam_delay = iam_delay
        self.created = {}  # stream name -> time of CreateStream
        self.roles = {}  # role name -> time of CreateRole
        self.counts = {}
        self.lock = threading.Lock()

    def count(self, key):
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1


def rest_operation(method, path):
    """S3's REST calls name no operation: the method, the bucket or object, and the
    subresource stand for it (PUT /b?versioning -> PutBucketVersioning, HEAD /b -> HeadBucket;
    POST ?delete, DeleteObjects, counts as a Delete)."""
    url = urllib.parse.urlsplit(path)
    sub = "".join(k[:1].upper() + k[1:] for k in sorted(urllib.parse.parse_qs(url.query, keep_blank_values=True))
                  if k not in ("list-type", "prefix", "max-keys", "continuation-token", "versions", "x-id"))
    what = "Object" if url.path.strip("/").count("/") else "Bucket"
    verb = "Delete" if method == "POST" and "Delete" in sub else method.title()
    return f"{verb}{what}{sub}"


def operation(headers, body, method="POST", path="/"):
    """(service, operation) of an AWS request: JSON protocols name it in X-Amz-Target, query
    protocols (IAM, STS) in the Action form field, S3's REST calls by method and path."""
    target = headers.get("X-Amz-Target")
    if target and "." in target:
        prefix, op = target.split(".", 1)
        # CloudWatch's JSON protocol (the sandbox's translation of the SDK's RPCv2-CBOR calls).
        service = "kinesis" if prefix.startswith("Kinesis") else {"GraniteServiceVersion20100801": "cloudwatch"}.get(prefix, prefix.lower())
        return service, op
    form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
    action = form.get("Action", ["?"])[0]
    # The signature's credential scope names the service (CloudWatch signs as `monitoring`).
    scope = re.search(r"Credential=[^/]+/\d+/[^/]+/([^/]+)/aws4_request", headers.get("Authorization", ""))
    service = scope.group(1) if scope else "?"
    if service == "s3":
        return service, rest_operation(method, path)
    return {"monitoring": "cloudwatch"}.get(service, service), action


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def reply(self, code, data, headers=()):
            self.send_response(code)
            for k, v in headers:
                if k.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/_counts":
                with state.lock:
                    return self.reply(200, json.dumps(state.counts).encode(), [("Content-Type", "application/json")])
            return self.forward(b"")

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path == "/_reset":
                with state.lock:
                    state.counts.clear()
                return self.reply(200, b"{}")
            return self.forward(body)

        # S3 (the archive's bucket) speaks REST.
        def do_PUT(self):
            return self.forward(self.rfile.read(int(self.headers.get("Content-Length", 0))))

        def do_DELETE(self):
            return self.forward(self.rfile.read(int(self.headers.get("Content-Length", 0))))

        def do_HEAD(self):
            return self.forward(b"")

        def reply_head(self, code, headers):
            self.send_response(code)
            for k, v in headers:
                if k.lower() not in ("transfer-encoding", "connection", "date", "server"):
                    self.send_header(k, v)
            self.end_headers()

        def forward(self, body):
            service, op = operation(self.headers, body, self.command, self.path)
            state.count(f"{service}:{op}")
            if op == "CreateRole":
                role = urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("RoleName", [""])[0]
                with state.lock:
                    state.roles.setdefault(role, time.monotonic())
            elif op == "CreateDeliveryStream" and state.iam_delay > 0:
                refusal = self.role_not_ready(body)
                if refusal:
                    return self.reply(400, refusal, [("Content-Type", "application/x-amz-json-1.1")])
            request = urllib.request.Request(
                state.upstream + self.path,
                data=body if self.command in ("POST", "PUT", "DELETE") and body else None,
                headers={k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")},
                method=self.command,
            )
            try:
                with urllib.request.urlopen(request, timeout=60) as r:
                    code, data, headers = r.status, r.read(), list(r.headers.items())
            except urllib.error.HTTPError as e:
                code, data, headers = e.code, e.read(), list(e.headers.items())
            if service == "kinesis" and code == 200:
                data = self.delay_active(op, body, data)
            if self.command == "HEAD":
                return self.reply_head(code, headers)
            return self.reply(code, data, headers)

        def role_not_ready(self, body):
            """Firehose's refusal while its role is younger than --iam-delay, else None."""
            try:
                arn = json.loads(body or b"{}")["KinesisStreamSourceConfiguration"]["RoleARN"]
            except (ValueError, KeyError, TypeError):
                return None
            with state.lock:
                made = state.roles.get(arn.rsplit("/", 1)[-1])
            if made is None or time.monotonic() - made >= state.iam_delay:
                return None
            return json.dumps({
                "__type": "InvalidArgumentException",
                "message": f"Firehose is unable to assume role {arn}. Please check the role provided.",
            }).encode()

        def delay_active(self, op, body, data):
            try:
                request = json.loads(body or b"{}")
            except ValueError:
                return data
            name = request.get("StreamName") or (request.get("StreamARN") or "").rsplit("/", 1)[-1]
            now = time.monotonic()
            if op == "CreateStream":
                state.created.setdefault(name, now)
            elif op in ("DescribeStreamSummary", "DescribeStream"):
                started = state.created.get(name)
                if started is not None and now - started < state.create_delay:
                    answer = json.loads(data)
                    for key in ("StreamDescriptionSummary", "StreamDescription"):
                        if key in answer:
                            answer[key]["StreamStatus"] = "CREATING"
                    data = json.dumps(answer).encode()
            return data

    return Handler


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--upstream", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--create-delay", type=float, default=0.0)
    p.add_argument("--iam-delay", type=float, default=0.0)
    a = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", a.port), make_handler(State(a.upstream, a.create_delay, a.iam_delay)))
    print(f"aws proxy listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
