#!/usr/bin/env bash
# A real Kubernetes control plane on 127.0.0.1, built from Go modules (test/real-kube): etcd, kube-apiserver
# (TLS with a CA made here, RBAC, a token for an admin and one for a user bound only to the shipped Role),
# kube-controller-manager, kube-scheduler and kwok playing the nodes and kubelets.
#   scripts/real-kube.sh start   builds (cached in .cache/real-kube), starts, waits for /readyz, prints the admin kubeconfig path last
#   scripts/real-kube.sh stop    stops everything start started
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CACHE=$ROOT/.cache/real-kube
BIN=$CACHE/bin
RUN=$CACHE/run
K8S_VERSION=v1.34.4
ETCD_VERSION=v3.6.16
KWOK_VERSION=v0.8.0
PORT_ETCD=${REAL_KUBE_ETCD_PORT:-23790}
PORT_API=${REAL_KUBE_API_PORT:-26443}

log() { echo "real-kube: $*" >&2; }

build() {
  command -v go >/dev/null 2>&1 || { echo "error: Go is not installed: install Go 1.26 (https://go.dev/dl/) to build the real control plane" >&2; exit 1; }
  mkdir -p "$BIN"
  local started=$SECONDS
  local ldflags="-X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=34"
  for cmd in kube-apiserver kube-controller-manager kube-scheduler; do
    [ -x "$BIN/$cmd" ] && continue
    log "building $cmd $K8S_VERSION (first time only; several minutes)"
    (cd test/real-kube/kubernetes && GOFLAGS=-mod=mod go build -o "$BIN/$cmd" -ldflags "$ldflags" "k8s.io/kubernetes/cmd/$cmd")
  done
  if [ ! -x "$BIN/etcd" ]; then
    log "building etcd $ETCD_VERSION"
    (cd test/real-kube/etcd && GOFLAGS=-mod=mod go build -o "$BIN/etcd" go.etcd.io/etcd/server/v3)
  fi
  if [ ! -x "$BIN/kwok" ]; then
    log "building kwok $KWOK_VERSION"
    (cd test/real-kube/kwok && GOFLAGS=-mod=mod go build -o "$BIN/kwok" sigs.k8s.io/kwok/cmd/kwok)
  fi
  log "binaries ready in $((SECONDS - started))s"
}

certificates() {
  mkdir -p "$RUN/pki"
  cd "$RUN/pki"
  [ -f ca.crt ] && { cd "$ROOT"; return; }
  openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj "/CN=keiko real-kube CA" -keyout ca.key -out ca.crt 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" -keyout apiserver.key -out apiserver.csr 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\n' > san.ext
  openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 7 -extfile san.ext -out apiserver.crt 2>/dev/null
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  chmod 600 ./*.key
  cd "$ROOT"
}

kubeconfig() { # name token
  cat > "$RUN/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: real-kube
    cluster: { server: "https://127.0.0.1:$PORT_API", certificate-authority: "$RUN/pki/ca.crt" }
users:
  - name: $1
    user: { token: "$2" }
contexts:
  - name: real-kube
    context: { cluster: real-kube, user: $1, namespace: default }
current-context: real-kube
EOF
  chmod 600 "$RUN/$1.kubeconfig"
}

start_bg() { # name command...
  local name=$1; shift
  "$@" > "$RUN/$name.log" 2>&1 &
  echo $! > "$RUN/$name.pid"
}

wait_ready() {
  local started=$SECONDS
  until curl -fsS --cacert "$RUN/pki/ca.crt" -H "Authorization: Bearer $(cat "$RUN/admin.token")" "https://127.0.0.1:$PORT_API/readyz" >/dev/null 2>&1; do
    [ $((SECONDS - started)) -lt 120 ] || { log "kube-apiserver not ready after 120s; see $RUN/kube-apiserver.log"; tail -20 "$RUN/kube-apiserver.log" >&2; exit 1; }
    kill -0 "$(cat "$RUN/kube-apiserver.pid")" 2>/dev/null || { log "kube-apiserver exited; see $RUN/kube-apiserver.log"; tail -20 "$RUN/kube-apiserver.log" >&2; exit 1; }
    sleep 0.5
  done
  log "kube-apiserver ready in $((SECONDS - started))s"
}

start() {
  build
  stop quiet
  local started=$SECONDS
  mkdir -p "$RUN"
  certificates
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$RUN/admin.token"
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$RUN/rollback.token"
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$RUN/planner.token"
  # keiko-rollback: bound to the writer Role; keiko-planner: bound to the read-only Role (the plan job's identity)
  printf '%s,admin,admin,"system:masters"\n%s,keiko-rollback,keiko-rollback\n%s,keiko-planner,keiko-planner\n' "$(cat "$RUN/admin.token")" "$(cat "$RUN/rollback.token")" "$(cat "$RUN/planner.token")" > "$RUN/tokens.csv"
  rm -rf "$RUN/etcd-data"
  start_bg etcd "$BIN/etcd" --data-dir "$RUN/etcd-data" --listen-client-urls "http://127.0.0.1:$PORT_ETCD" --advertise-client-urls "http://127.0.0.1:$PORT_ETCD" \
    --listen-peer-urls "http://127.0.0.1:$((PORT_ETCD + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((PORT_ETCD + 1))" \
    --initial-cluster "default=http://127.0.0.1:$((PORT_ETCD + 1))" --unsafe-no-fsync
  start_bg kube-apiserver "$BIN/kube-apiserver" --etcd-servers "http://127.0.0.1:$PORT_ETCD" --bind-address 127.0.0.1 --secure-port "$PORT_API" \
    --tls-cert-file "$RUN/pki/apiserver.crt" --tls-private-key-file "$RUN/pki/apiserver.key" --token-auth-file "$RUN/tokens.csv" \
    --authorization-mode RBAC --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$RUN/pki/sa.pub" \
    --service-account-signing-key-file "$RUN/pki/sa.key" --service-cluster-ip-range 10.96.0.0/16 --allow-privileged=true
  kubeconfig admin "$(cat "$RUN/admin.token")"
  kubeconfig keiko-rollback "$(cat "$RUN/rollback.token")"
  kubeconfig keiko-planner "$(cat "$RUN/planner.token")"
  wait_ready
  start_bg kube-controller-manager "$BIN/kube-controller-manager" --kubeconfig "$RUN/admin.kubeconfig" --leader-elect=false --secure-port 0 \
    --controllers deployment-controller,replicaset-controller,statefulset-controller,daemonset-controller,namespace-controller,garbage-collector-controller,serviceaccount-controller,serviceaccount-token-controller \
    --service-account-private-key-file "$RUN/pki/sa.key" --root-ca-file "$RUN/pki/ca.crt" --use-service-account-credentials=false
  start_bg kube-scheduler "$BIN/kube-scheduler" --kubeconfig "$RUN/admin.kubeconfig" --leader-elect=false --secure-port 0
  start_bg kwok "$BIN/kwok" --kubeconfig "$RUN/admin.kubeconfig" --config "$ROOT/test/real-kube/kwok-stages.yaml" --manage-all-nodes=true --server-address "127.0.0.1:0"
  # one node for kwok to play (its kubelet); the scheduler binds the pods to it
  KUBECONFIG="$RUN/admin.kubeconfig" kubectl apply -f "$ROOT/test/real-kube/kwok-node.yaml" >/dev/null
  # admission taints a new node not-ready; without a node-lifecycle controller nothing would lift it
  KUBECONFIG="$RUN/admin.kubeconfig" kubectl taint node kwok-node-0 node.kubernetes.io/not-ready:NoSchedule- >/dev/null 2>&1 || true
  log "control plane $K8S_VERSION started in $((SECONDS - started))s (logs in $RUN)"
  echo "$RUN/admin.kubeconfig"
}

stop() {
  for name in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
    local pid_file="$RUN/$name.pid"
    [ -f "$pid_file" ] || continue
    local pid
    pid=$(cat "$pid_file")
    kill "$pid" 2>/dev/null || true
    # wait until it is gone (its port is free), at most 15 s, then force it
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pid_file"
  done
  [ "${1:-}" = quiet ] || log "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: scripts/real-kube.sh start|stop" >&2; exit 2 ;;
esac
