#!/usr/bin/env bash
# The anchor: the seed's manual procedure as a careful operator would script it with the AWS
# CLI and curl (create-stream, wait stream-exists, create-role, put-role-policy, update-role,
# Buzz test retried every 10 s, Buzz enable). The benchmark times it beside buzz-kinesis.
# Needs: STREAM ROLE AGILIX ACCOUNT REGION BUZZ_URL DOMAIN BUZZ_USER BUZZ_PASSWORD, and the
# AWS environment (endpoint, credentials).
set -euo pipefail

aws kinesis create-stream --stream-name "$STREAM" --stream-mode-details StreamMode=ON_DEMAND
aws kinesis wait stream-exists --stream-name "$STREAM"

trust='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::'"$AGILIX"':root"},"Action":"sts:AssumeRole"}]}'
policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kinesis:PutRecord","kinesis:PutRecords","kinesis:DescribeStreamSummary","kinesis:ListShards"],"Resource":"arn:aws:kinesis:'"$REGION"':'"$ACCOUNT"':stream/'"$STREAM"'"}]}'
aws iam create-role --role-name "$ROLE" --assume-role-policy-document "$trust" >/dev/null
aws iam put-role-policy --role-name "$ROLE" --policy-name buzz-writer --policy-document "$policy"
aws iam update-role --role-name "$ROLE" --max-session-duration 43200

buzz() {
  curl -sS -X POST "$BUZZ_URL/cmd" -H 'Accept: application/json' -H 'Content-Type: application/json' "$@"
}
code() { python3 -c 'import json,sys; print(json.load(sys.stdin)["response"]["code"])'; }
token=$(printf '{"request":{"cmd":"login3","username":"%s","password":"%s"}}' "$BUZZ_USER" "$BUZZ_PASSWORD" |
  buzz -d @- | python3 -c 'import json,sys; print(json.load(sys.stdin)["response"]["user"]["token"])')
target() {
  printf '{"title":"Kinesis: %s","enabled":%s,"targetKinesisStream":"%s","roleArn":"arn:aws:iam::%s:role/%s","targetRegion":"%s"}' \
    "$STREAM" "$1" "$STREAM" "$ACCOUNT" "$ROLE" "$REGION"
}
until [ "$(buzz -H "Authorization: Bearer $token" -d '{"request":{"cmd":"setdatastreamconfiguration","domainid":"'"$DOMAIN"'","test":true,"kinesis":['"$(target false)"']}}' | code)" = OK ]; do
  sleep 10
done
[ "$(buzz -H "Authorization: Bearer $token" -d '{"request":{"cmd":"setdatastreamconfiguration","domainid":"'"$DOMAIN"'","kinesis":['"$(target true)"']}}' | code)" = OK ]
