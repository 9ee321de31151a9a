#!/usr/bin/env bash
# The locus demo against an existing build tree (called by scripts/demo.sh after the build).
#
# From nothing (a temporary directory) it sets up a manufacturer CA, a verifier and two
# simulated accelerator boards, and shows that only the board running the released firmware
# gets its interconnect switched to FULL speed, for a limited time. docs/agent.md walks through
# every step. Every process it starts is stopped (by PID) when it ends, even on Ctrl-C.
#   LOCUS_DEMO_KEEP=1  keep the temporary directory (logs, database, audit log) for a look.
#   LOCUS_DEMO_FLEET=1 at the end, leave the verifier running and print the address and the
#              operator token of its fleet page (open it in a browser); Ctrl-C stops everything.
#   --board host-sim|ast1030-evb|mps2-an386   where the firmware runs (default host-sim): on a
#              QEMU board the real firmware image runs in qemu-system-arm, started and stopped
#              by scripts/qemu-board, and the agent talks to it over the emulated UART.
#   --fw-build DIR   the fw-cortex-m4 build tree with the images (QEMU boards only)
#   LOCUS_DEMO_LEASE=S  lease in seconds (default 60); at 30 s or less the demo also shows the
#              agent renewing in a loop and, once the agent is stopped, the lease running out.
#   LOCUS_DEMO_REQUIRE_ALL=1  fail unless the landmark and TPM steps run (the CTest variant).
#   LOCUS_DEMO_ZONE_KM=R  radius of the approved zone around Zurich (default 400 km). An
#              emulated UART on a loaded host can add milliseconds per round, i.e. hundreds
#              of km: the CTest variant on QEMU (tests/qemu) widens the zone to keep its
#              subject the flow, not the host's scheduling.
set -euo pipefail
USAGE="usage: demo-run.sh BUILD_DIR [--board host-sim|ast1030-evb|mps2-an386] [--fw-build DIR]"
BUILD="$(cd "${1:?$USAGE}" && pwd)"
shift
BOARD=host-sim
FWBUILD=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --board) BOARD="${2:?$USAGE}"; shift 2 ;;
    --fw-build) FWBUILD="$(cd "${2:?$USAGE}" && pwd)"; shift 2 ;;
    *) echo "$USAGE" >&2; exit 2 ;;
  esac
done
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCUS="$BUILD/host/cli/locus"
SIM="$BUILD/boards/host-sim/locus-host-sim"
QBOARD="$ROOT/scripts/qemu-board"
LEASE_S="${LOCUS_DEMO_LEASE:-60}"
[[ "$LEASE_S" =~ ^[0-9]+$ && "$LEASE_S" -ge 4 && "$LEASE_S" -le 86400 ]] || { echo "demo: LOCUS_DEMO_LEASE must be 4..86400" >&2; exit 2; }
ZONE_KM="${LOCUS_DEMO_ZONE_KM:-400}"
[[ "$ZONE_KM" =~ ^[0-9]+$ && "$ZONE_KM" -ge 50 && "$ZONE_KM" -le 8000 ]] || { echo "demo: LOCUS_DEMO_ZONE_KM must be 50..8000" >&2; exit 2; }
case "$BOARD" in
  host-sim) NEED=("$LOCUS" "$SIM"); HWMODEL="locus-host-sim" ;;
  ast1030-evb|mps2-an386)
    [[ -n "$FWBUILD" ]] || { echo "demo: --board $BOARD needs --fw-build (the fw-cortex-m4 tree)" >&2; exit 2; }
    FW_ELF="$FWBUILD/images/locus-fw-$BOARD.elf"
    NEED=("$LOCUS" "$QBOARD"); HWMODEL="locus-qemu-$BOARD"
    [[ -f "$FW_ELF" ]] || { echo "demo: $FW_ELF is missing (build the fw-cortex-m4 preset)" >&2; exit 3; }
    command -v qemu-system-arm >/dev/null || { echo "demo: qemu-system-arm is missing" >&2; exit 3; } ;;
  *) echo "$USAGE" >&2; exit 2 ;;
esac
for b in "${NEED[@]}"; do
  [[ -x "$b" ]] || { echo "demo: $b is missing (build first: scripts/demo.sh)" >&2; exit 3; }
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/locus-demo.XXXXXX")"
PIDS=()
QDIRS=()
cleanup() {
  local rc=$?
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  for q in "${QDIRS[@]}"; do "$QBOARD" stop --dir "$q" >/dev/null 2>&1 || true; done
  if [[ "${LOCUS_DEMO_KEEP:-0}" == 1 ]]; then
    echo "(files kept in $WORK)"
  else
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cd "$WORK"

if [[ -t 1 ]]; then B=$'\e[1m'; G=$'\e[32m'; R=$'\e[31m'; N=$'\e[0m'; else B=; G=; R=; N=; fi
STEP=0
step() { STEP=$((STEP + 1)); echo; echo "${B}${STEP}. $1${N}"; }
say() { echo "   $*"; }
ok() { echo "   ${G}$*${N}"; }
bad() { echo "   ${R}$*${N}"; }
die() { echo "demo: FAILED: $*" >&2; for f in "$WORK"/*.log; do [[ -s "$f" ]] && { echo "--- $f" >&2; tail -n 5 "$f" >&2; }; done; exit 1; }
locus() { "$LOCUS" "$@"; }

# start_board NAME IMAGE: board NAME (UDS NAME.uds) running IMAGE; sets LINK. host-sim is a
# process; a QEMU board is started (and waited for) by scripts/qemu-board in NAME-qemu/.
start_board() {
  local name="$1" image="$2"
  if [[ "$BOARD" == host-sim ]]; then
    start "$name" "$SIM" --uds "$name.uds" --image "$image" --state "$name.state" --listen tcp:127.0.0.1:0
    LINK="tcp:$ADDR"
    return 0
  fi
  QDIRS+=("$WORK/$name-qemu")
  "$QBOARD" start --board "$BOARD" --image "$image" --dir "$WORK/$name-qemu" --uds "$name.uds" \
    >"$name.out" 2>"$name.log" || { cat "$name.log" >&2; die "$name: QEMU board did not start"; }
  LINK="$(sed -n 's/^LOCUS_QEMU_BOARD .* link=\([^ ]*\).*/\1/p' "$name.out")"
  [[ -n "$LINK" ]] || die "$name: no link in the launcher's output"
}

# start NAME CMD...: runs CMD in the background (stdout NAME.out, stderr NAME.log) and waits,
# bounded (15 s), for its "listening ..." line; sets LINE and, for "listening on ADDR", ADDR.
start() {
  local name="$1"; shift
  "$@" >"$name.out" 2>"$name.log" &
  local pid=$!
  PIDS+=("$pid")
  for _ in $(seq 1 150); do
    if grep -q "listening" "$name.out" 2>/dev/null; then
      LINE="$(grep -m1 "listening" "$name.out")"
      ADDR="$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$name.out" | head -n1)"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || die "$name exited early"
    sleep 0.1
  done
  die "$name did not become ready within 15 s"
}

T0=$SECONDS
echo "${B}locus demo${N}: an accelerator board proves which chip it is and which firmware it runs;"
echo "a verifier checks that and grants full interconnect speed for a limited time only."
echo "(working directory: $WORK)"

step "Manufacturer: create the root CA that certifies every board's DeviceID key"
locus provision init-ca --key ca.key --cert ca.pem >/dev/null
say "ca.pem: $(openssl x509 -in ca.pem -noout -subject 2>/dev/null | sed 's/^subject=//')"

step "Verifier operator: create the license-signing key (boards accept licenses signed by it only)"
locus provision init-license-key --key license.key --pub license.pub >/dev/null
say "license.key (private, mode $(stat -c %a license.key)), license.pub (installed on each board)"

step "Build a firmware image and a tampered copy; the verifier knows only the released one"
if [[ "$BOARD" == host-sim ]]; then
  head -c 65536 /dev/urandom >fw-release.bin
  cp fw-release.bin fw-tampered.bin
  printf '\x01' | dd of=fw-tampered.bin bs=1 seek=4096 conv=notrunc status=none   # one byte changed
  FWID="$(sha256sum fw-release.bin | cut -d' ' -f1)"
  FWID_BAD="$(sha256sum fw-tampered.bin | cut -d' ' -f1)"
  IMG_A=fw-release.bin IMG_B=fw-tampered.bin
else
  # The real firmware ELF, and a copy with one byte of its measured read-only data changed
  # (a log string: the tampered image still boots and answers, with another FWID).
  cp "$FW_ELF" fw-release.elf
  python3 - fw-release.elf fw-tampered.elf <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
assert b.count(b"locus-fw on ") == 1, "marker string not found exactly once"
open(sys.argv[2], "wb").write(b.replace(b"locus-fw on ", b"locus-fw 0n "))
PY
  FWID="$("$QBOARD" fwid --image fw-release.elf)"
  FWID_BAD="$("$QBOARD" fwid --image fw-tampered.elf)"
  IMG_A=fw-release.elf IMG_B=fw-tampered.elf
  say "board: $BOARD in qemu-system-arm (the firmware ELF $(basename "$FW_ELF"), link on the emulated UART)"
fi
say "released FWID (SHA-256 of the image): ${FWID:0:16}.."
say "tampered FWID:                         ${FWID_BAD:0:16}.."

LANDMARKS=""
LOCATION=""
if "$LOCUS" landmark --help >/dev/null 2>&1 && [[ "${LOCUS_DEMO_LANDMARKS:-1}" == 1 ]]; then
  step "Landmark operators: three timing servers at surveyed positions (here all on this machine)"
  locus landmark keygen --out tl-signer.key --pub tl-signer.pem >/dev/null
  TL='{"version":1,"landmarks":['
  SEP=""
  while read -r ID LAT LON CITY; do
    PUB="$(locus landmark keygen --out "$ID.key")"
    printf 'id = "%s"\nlat = %s\nlon = %s\nkey_file = "%s.key"\nlisten = "127.0.0.1"\n' "$ID" "$LAT" "$LON" "$ID" >"$ID.toml"
    start "$ID" "$LOCUS" landmark serve --config "$ID.toml"
    TCP="$(sed -n 's/.*tcp=\([0-9]*\).*/\1/p' <<<"$LINE")"
    UDP="$(sed -n 's/.*udp=\([0-9]*\).*/\1/p' <<<"$LINE")"
    say "$ID stands for a timing server in $CITY ($LAT, $LON): tcp $TCP, udp $UDP"
    TL+="$SEP{\"id\":\"$ID\",\"lat\":$LAT,\"lon\":$LON,\"public_key\":\"$PUB\",\"operator\":\"demo\",\"host\":\"127.0.0.1\",\"tcp_port\":$TCP,\"udp_port\":$UDP}"
    SEP=","
    LANDMARKS+="${LANDMARKS:+, }\"$ID\""
  done <"$ROOT/scripts/demo/landmarks.txt"
  echo "$TL]}" >trustlist.json
  locus landmark trustlist sign --in trustlist.json --key tl-signer.key --out trustlist.cose >/dev/null
  say "signed landmark trust list: trustlist.cose (the verifier trusts landmarks listed there only)"
  LOCATION=$'[location]\ntrust_list = "trustlist.cose"\ntrust_list_signer = "tl-signer.pem"'
fi

if [[ "${LOCUS_DEMO_REQUIRE_ALL:-0}" == 1 && -z "$LANDMARKS" ]]; then die "landmark step unavailable (locus landmark)"; fi
TPM_ON=0
TPM_POLICY=""
if [[ "${LOCUS_DEMO_TPM:-1}" == 1 ]] && command -v swtpm >/dev/null && command -v swtpm_setup >/dev/null \
   && "$LOCUS" tpm --help >/dev/null 2>&1; then
  TPM_ON=1
  # Every board must attest from inside its enrolled host: a TPM quote of sha256 PCRs 0, 1, 7.
  TPM_POLICY=$'[tpm]\nrequired = true\nhash = "sha256"\npcrs = [0, 1, 7]'
fi

if [[ "${LOCUS_DEMO_REQUIRE_ALL:-0}" == 1 && "$TPM_ON" != 1 ]]; then die "TPM step unavailable (swtpm, locus tpm)"; fi

step "Start the verifier with the demo policy (scripts/demo/policy.toml.in: FWID allow-list, site, ${LEASE_S} s lease)"
python3 - "$ROOT/scripts/demo/policy.toml.in" "$FWID" "$LANDMARKS" "$LOCATION" "${TPM_POLICY:-}" "$HWMODEL" "$LEASE_S" "$ZONE_KM" >policy.toml <<'PY'
import sys
t = open(sys.argv[1]).read()
for k, v in zip(("@FWID@", "@LANDMARKS@", "@LOCATION@", "@TPM@"), sys.argv[2:6]):
    t = t.replace(k, v)
# The board's hardware model (host-sim or the QEMU board) and the lease of this run.
for old, new in (('[hwmodel."locus-host-sim"]', '[hwmodel."%s"]' % sys.argv[6]),
                 ("lease_s = 60 ", "lease_s = %s " % sys.argv[7]),
                 ("radius_km = 400}]", "radius_km = %s}]" % sys.argv[8])):
    assert t.count(old) == 1, old
    t = t.replace(old, new)
sys.stdout.write(t)
PY
[[ -n "$LANDMARKS" ]] && say "site 'demo' requires the landmarks [$LANDMARKS]: the board must be provably inside the zone ($ZONE_KM km around Zurich)"
locus verifier check-policy --policy policy.toml >/dev/null || die "policy does not parse"
# The operator token of the read-only fleet page (without it the verifier serves no page).
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >operator.token
chmod 600 operator.token
start verifier "$LOCUS" --log-level info verifier serve --policy policy.toml --db locus.db --ca ca.pem \
  --license-key license.key --listen 127.0.0.1:0 --operator-token-file operator.token
VERIFIER="http://$ADDR"
say "verifier listening on $VERIFIER (fleet page: $VERIFIER/fleet, operator token in operator.token)"

if [[ "$BOARD" == host-sim ]]; then
  step "Board A powers up (host-sim: the real firmware core as a process; secret UDS from /dev/urandom)"
else
  step "Board A powers up ($BOARD in QEMU: the firmware image on the emulated SoC; secret UDS from /dev/urandom)"
fi
head -c 32 /dev/urandom >board-a.uds
start_board board-a "$IMG_A"
LINK_A="$LINK"
say "board A link: $LINK_A"

step "Provision board A: the CA certifies its DeviceID key, the license key is installed, site 'demo'"
locus provision enroll --link "$LINK_A" --site demo --host host-a --ca-key ca.key --ca-cert ca.pem \
  --license-key license.pub --db locus.db >enroll-a.txt 2>&1 || { cat enroll-a.txt; die "enroll A"; }
UEID_A="$(locus --json agent identity --link "$LINK_A" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ueid"])')"
say "board A enrolled, UEID ${UEID_A:0:18}.."

TPM_ARGS=()
if [[ "$TPM_ON" == 1 ]]; then
  step "Host A's TPM 2.0 (swtpm): enroll the host (EK certificate checked, AK activated, golden PCRs) and bind board A to it"
  mkdir -p tpm-ca tpm-state
  printf 'statedir = %s\nsigningkey = %s/signkey.pem\nissuercert = %s/issuercert.pem\ncertserial = %s/certserial\n' \
    "$WORK/tpm-ca" "$WORK/tpm-ca" "$WORK/tpm-ca" "$WORK/tpm-ca" >localca.conf
  printf -- '--platform-manufacturer locus-demo\n--platform-version 2.1\n--platform-model swtpm\n' >localca.options
  printf 'create_certs_tool = /usr/bin/swtpm_localca\ncreate_certs_tool_config = %s/localca.conf\ncreate_certs_tool_options = %s/localca.options\nactive_pcr_banks = sha256\n' \
    "$WORK" "$WORK" >swtpm_setup.conf
  swtpm_setup --tpm2 --tpmstate "$WORK/tpm-state" --create-ek-cert --config "$WORK/swtpm_setup.conf" >swtpm-setup.log 2>&1 \
    || die "swtpm_setup failed"
  cat tpm-ca/issuercert.pem tpm-ca/swtpm-localca-rootca-cert.pem >tpm-ca.pem
  # Two adjacent free ports (swtpm's command and control ports), drawn outside the kernel's
  # ephemeral range as tests/tpm/swtpm_harness.cpp free_port_pair() does: right after a load
  # run, a port next to a kernel-chosen one is almost never free (scripts/time_wait_ports.py).
  TPM_PORT="$(python3 -c '
import random, socket
try:
    lo, hi = (int(x) for x in open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
except (OSError, ValueError):
    lo, hi = 32768, 60999
first, last = 10000, lo - 2
if last - first < 1000:
    first, last = max(hi + 1, 1024), 65534
if last - first < 1000:
    first, last = 1024, 65534
def free(p):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", p)); return True
    except OSError:
        return False
    finally:
        s.close()
for _ in range(64):
    p = random.randint(first, last)
    if free(p) and free(p + 1):
        print(p); break')"
  [[ -n "$TPM_PORT" ]] || die "no two adjacent free loopback ports for swtpm (64 tries)"
  swtpm socket --tpm2 --server "type=tcp,port=$TPM_PORT,bindaddr=127.0.0.1" \
    --ctrl "type=tcp,port=$((TPM_PORT + 1)),bindaddr=127.0.0.1" --tpmstate "dir=$WORK/tpm-state" \
    --flags not-need-init,startup-clear >swtpm.log 2>&1 &
  PIDS+=("$!")
  for _ in $(seq 1 100); do   # readiness: the command port accepts connections (bounded: 10 s)
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $TPM_PORT), 0.2).close()" 2>/dev/null && break
    sleep 0.1
  done
  TCTI="swtpm:host=127.0.0.1,port=$TPM_PORT"
  locus tpm enroll-host --tcti "$TCTI" --ak ak-a.blob --create-ak --ek-ca tpm-ca.pem --db locus.db --host host-a \
    --pcrs 0,1,7 >tpm-enroll.txt 2>&1 || { cat tpm-enroll.txt; die "TPM host enrollment"; }
  say "$(head -c 160 tpm-enroll.txt | head -n1 | sed 's/ AK [0-9a-f]* / AK /')"
  locus tpm bind-board --db locus.db --board "$UEID_A" --host host-a >/dev/null
  say "board A is recorded as installed in host-a; the agent adds a TPM quote over (nonce, evidence) to each attestation"
  TPM_ARGS=(--tcti "$TCTI" --ak ak-a.blob --pcrs 0,1,7)
fi

step "Board A before attestation: the interconnect starts RESTRICTED"
say "$(locus agent status --link "$LINK_A")"

step "The host agent attests board A: nonce -> signed evidence -> verifier -> license -> board"
set +e
locus --log-level info agent run --once --link "$LINK_A" --verifier "$VERIFIER" "${TPM_ARGS[@]}" >agent-a.txt 2>agent-a.log
RC=$?
set -e
sed 's/^/   /' agent-a.txt
[[ $RC -eq 0 ]] || die "agent for board A exited $RC"
STATUS_A="$(locus --json agent status --link "$LINK_A")"
read -r MODE LEASE CTR < <(echo "$STATUS_A" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["mode"], round(s["lease_remaining_ms"]/1000), s["license_counter"])')
[[ "$MODE" == FULL ]] || die "board A is $MODE"
ok "board A: interconnect FULL for ${LEASE} s (license #${CTR}); it falls back to RESTRICTED by itself unless renewed"

step "What the verifier decided (EAR-style result: every check with its reason)"
locus --json agent run --once --link "$LINK_A" --verifier "$VERIFIER" "${TPM_ARGS[@]}" >renew-a.json 2>/dev/null || true
python3 - renew-a.json <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
d = r.get("decision") or {}
print("   status: %s (decision #%s by %s)" % (d.get("status"), d.get("decision_id"), d.get("verifier_id")))
print("   checks: " + ", ".join("%s %s" % (c["name"], "ok" if c["pass"] else "FAIL") for c in d.get("checks", [])))
loc = (d.get("claims") or {}).get("location")
if loc:
    for disc in loc.get("discs", []):
        print("   location: %s answered in %.3f ms round trip -> the board is within %.1f km of it (incl. margin)"
              % (disc["landmark"], disc["rtt_min_ns"] / 1e6, disc["radius_km"]))
    print("   location: %s" % ("the intersection of these discs lies inside the approved zone" if loc.get("approved") else "REFUSED"))
tpm = [c for c in d.get("checks", []) if c["name"] == "tpm"]
if tpm:
    print("   host TPM: %s (%s)" % ("ok" if tpm[0]["pass"] else "FAIL", tpm[0]["reason"]))
elif r.get("tpm_quoted"):
    print("   host TPM: quote sent with the evidence (this verifier build does not appraise TPM quotes yet)")
st = r.get("status") or {}
print("   (asked again just now, so this was a renewal: license #%s, lease %d s)"
      % (st.get("license_counter"), round(st.get("lease_remaining_ms", 0) / 1000)))
EOF

if [[ -n "$LANDMARKS" ]] && "$LOCUS" verifier explain --help >/dev/null 2>&1; then
  python3 -c 'import json,sys; json.dump(json.load(open(sys.argv[1]))["decision"], open(sys.argv[2], "w"))' \
    renew-a.json decision-a.json 2>/dev/null || true
  if locus verifier explain --policy policy.toml --site demo --decision decision-a.json --svg location-a.svg \
       --title "board A, site demo" >/dev/null 2>&1; then
    say "picture of the discs and the zone: location-a.svg$([[ "${LOCUS_DEMO_KEEP:-0}" == 1 ]] && echo " (in $WORK)" || echo " (run with LOCUS_DEMO_KEEP=1 to keep it)")"
  fi
fi

step "Board B powers up with the TAMPERED firmware image (different FWID), and is enrolled too"
head -c 32 /dev/urandom >board-b.uds
start_board board-b "$IMG_B"
LINK_B="$LINK"
locus provision enroll --link "$LINK_B" --site demo --host host-b --ca-key ca.key --ca-cert ca.pem \
  --license-key license.pub --db locus.db >enroll-b.txt 2>&1 || { cat enroll-b.txt; die "enroll B"; }
say "board B link $LINK_B: $(locus agent status --link "$LINK_B")"

step "The host agent attests board B"
set +e
locus agent run --once --link "$LINK_B" --verifier "$VERIFIER" >agent-b.txt 2>agent-b.log
RC=$?
set -e
sed 's/^/   /' agent-b.txt
[[ $RC -eq 1 ]] || die "agent for board B should have been refused (exit 1), got $RC"
MODE_B="$(locus --json agent status --link "$LINK_B" | python3 -c 'import json,sys; print(json.load(sys.stdin)["mode"])')"
[[ "$MODE_B" == RESTRICTED ]] || die "board B is $MODE_B"
bad "board B: refused (firmware not among the reference values); interconnect stays RESTRICTED"

if (( LEASE_S <= 30 )); then
  step "Renewal and expiry: the agent renews board A's ${LEASE_S} s lease in a loop; then the agent stops"
  RENEW_MARGIN=$(( LEASE_S / 2 ))
  "$LOCUS" --log-level info agent run --link "$LINK_A" --verifier "$VERIFIER" "${TPM_ARGS[@]}" \
    --renew-margin "$RENEW_MARGIN" --max-backoff 2 --min-backoff-ms 200 >agent-loop.out 2>agent-loop.log &
  AGENT_PID=$!
  PIDS+=("$AGENT_PID")
  # The board serves one link client at a time: while the agent attests (seconds on a loaded
  # host with a QEMU board) a status request waits its turn, so try up to three times.
  status_a() {
    local j
    for _ in 1 2 3; do
      j="$("$LOCUS" --json agent status --link "$LINK_A" 2>/dev/null)" && break
    done
    python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["mode"], s["license_counter"], s["lease_remaining_ms"])' <<<"$j"
  }
  read -r _ C0 _ < <(status_a) || die "status of board A"
  # Bounded: three leases for two renewals, sampled every 0.25 s; every sample must be FULL.
  C=$C0
  for _ in $(seq 1 $(( LEASE_S * 12 ))); do
    read -r M C _ < <(status_a) || die "status of board A"
    [[ "$M" == FULL ]] || die "board A went $M while the agent was renewing (license #$C)"
    (( C >= C0 + 2 )) && break
    sleep 0.25
  done
  (( C >= C0 + 2 )) || die "the agent did not renew twice within $(( LEASE_S * 3 )) s (license #$C0 -> #$C)"
  ok "renewed while FULL: license #$C0 -> #$C"
  kill "$AGENT_PID"; wait "$AGENT_PID" || true
  T_STOP=$SECONDS
  # Bounded: the lease plus 10 s of slack.
  M=FULL
  for _ in $(seq 1 $(( (LEASE_S + 10) * 4 ))); do
    read -r M C2 _ < <(status_a) || die "status of board A"
    [[ "$M" == RESTRICTED ]] && break
    sleep 0.25
  done
  [[ "$M" == RESTRICTED ]] || die "board A still $M $(( SECONDS - T_STOP )) s after the agent stopped"
  (( C2 == C )) || die "license counter moved from #$C to #$C2 with no agent"
  bad "agent stopped: board A fell back to RESTRICTED by itself after $(( SECONDS - T_STOP )) s (lease ${LEASE_S} s, last license #$C2)"
fi

step "Audit: every enrollment and decision is in a hash-chained log; check the chain"
AUDIT="$(locus audit verify --log locus.db.audit.jsonl --db locus.db)" || die "audit verify: $AUDIT"
ok "$AUDIT"
# The log is also an RFC 9162 Merkle tree: the operator signs its head with an audit key; an
# auditor who keeps the head can later check that nothing before it was rewritten.
locus audit init-key --key audit.key --pub audit.pub >/dev/null || die "audit init-key"
locus audit head --log locus.db.audit.jsonl --key audit.key --out head.json >/dev/null || die "audit head"
HEADV="$(locus audit verify --log locus.db.audit.jsonl --head head.json --pub audit.pub)" ||
  die "audit verify --head: $HEADV"
ok "signed tree head head.json (audit.pub): $HEADV"

step "An auditor re-checks every decision offline, from an export and their own trust anchors"
locus provision export --out export --db locus.db --ca-cert ca.pem >/dev/null || die "provision export"
say "export/: certificates (PEM), evidence (COSE), landmark records, TPM structures, a manifest per decision"
REV="$(locus audit reverify --export export --ca-cert ca.pem --license-pub license.pub \
  --policy policy.toml 2>&1)" || die "audit reverify: $REV"
ok "$(printf '%s\n' "$REV" | tail -n 1)"

echo
echo "${B}Done in $((SECONDS - T0)) s.${N} Board A (released firmware): FULL for a ${LEASE_S} s lease;" \
  "board B (tampered firmware): RESTRICTED."
if [[ "${LOCUS_DEMO_FLEET:-0}" == 1 ]]; then
  echo
  echo "${B}Fleet page:${N} open $VERIFIER/fleet in a browser and enter the operator token"
  echo "   $(cat operator.token)"
  echo "   (metrics: $VERIFIER/metrics). Everything keeps running until you press Ctrl-C."
  while :; do sleep 3600 & wait $!; done  # wait: a signal ends it at once (and the trap runs)
fi
