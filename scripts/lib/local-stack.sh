# Sourced by scripts that need the local stack: `start_local_stack [sandbox flags...]` starts
# moto (AWS) and the Buzz sandbox on free loopback ports, exports an AWS environment that
# reaches only moto, and sets BUZZ_URL. Everything stops when the calling script exits.

stack_dir=$(mktemp -d)
stack_pids=()
stop_local_stack() {
  for p in "${stack_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$stack_dir"
}
trap stop_local_stack EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_local_stack() {
  local moto_port moto
  moto_port=$(free_port)
  # moto through our launcher (moto unchanged, without its per-request package scan).
  if python3 -c 'import moto.server' 2>/dev/null; then moto=(python3 "$(dirname "${BASH_SOURCE[0]}")/moto_server.py")
  elif command -v moto_server >/dev/null 2>&1; then moto=(moto_server); else moto=(python3 -m moto.server); fi
  "${moto[@]}" -H 127.0.0.1 -p "$moto_port" >"$stack_dir/moto.log" 2>&1 &
  stack_pids+=($!)

  # A sandboxed AWS: moto's endpoint, dummy keys, and none of the user's own AWS config.
  export AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port" AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 \
    AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_EC2_METADATA_DISABLED=true \
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
  unset AWS_PROFILE AWS_SESSION_TOKEN
  for _ in $(seq 100); do curl -sf "$AWS_ENDPOINT_URL/moto-api/" >/dev/null 2>&1 && break; sleep 0.1; done

  # The AWS SDK speaks RPCv2-CBOR to CloudWatch, which moto does not serve: the sandbox
  # translates it to moto's JSON protocol, for itself and for the tool.
  local cloudwatch_port
  cloudwatch_port=$(free_port)
  target/debug/examples/buzz_sandbox --cloudwatch-listen "127.0.0.1:$cloudwatch_port" "$@" \
    >"$stack_dir/sandbox.out" 2>"$stack_dir/sandbox.log" &
  stack_pids+=($!)
  for _ in $(seq 100); do [ -s "$stack_dir/sandbox.out" ] && break; sleep 0.1; done
  BUZZ_URL=$(head -1 "$stack_dir/sandbox.out" | sed 's/.* on //')
  export BUZZ_URL AWS_ENDPOINT_URL_CLOUDWATCH="http://127.0.0.1:$cloudwatch_port"
  # The same front repairs moto's GetBucketVersioning answer for the SDK (the archive's bucket).
  export AWS_ENDPOINT_URL_S3="$AWS_ENDPOINT_URL_CLOUDWATCH"
}
