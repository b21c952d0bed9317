#!/usr/bin/env bash
# bench/radosgw.sh start|stop PORT STATE_DIR
# A throwaway one-node Ceph (one monitor, one OSD on memstore: all data in RAM, no mgr, no auth)
# with a radosgw S3 endpoint on 127.0.0.1:PORT, for listing benchmarks on buckets of 100k+ keys
# (moto lists too slowly there). Needs the Debian packages radosgw ceph-mon ceph-osd ceph-common.
# Prints "ready" when the S3 endpoint answers and the bench user exists. `stop` kills what `start`
# started (by the pids it wrote) and deletes STATE_DIR.
set -euo pipefail
action=${1:?start|stop}; port=${2:?port}; dir=${3:?state dir}
ak=${RGW_ACCESS_KEY:-BENCHACCESSKEY000001}; sk=${RGW_SECRET_KEY:-benchsecretbenchsecretbenchsecret0001}
conf=$dir/ceph.conf

kill_started() {
  for d in rgw osd mon; do
    [[ -f $dir/$d.pid ]] || continue
    pid=$(cat "$dir/$d.pid")
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
}

if [[ $action == stop ]]; then
  [[ -d $dir ]] && kill_started && rm -rf "$dir"
  exit 0
fi
[[ $action == start ]] || { echo "usage: $0 start|stop PORT STATE_DIR" >&2; exit 2; }
for p in radosgw ceph-mon ceph-osd ceph monmaptool radosgw-admin; do
  command -v "$p" >/dev/null || { echo "missing $p: apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd ceph-common" >&2; exit 3; }
done
rm -rf "$dir"; mkdir -p "$dir"/{mon,osd.0,rgw,run,log}
trap 'kill_started; echo "radosgw did not start; logs in $dir/log" >&2' ERR
mon_port=$((port + 1))
fsid=$(cat /proc/sys/kernel/random/uuid)
cat >"$conf" <<CONF
[global]
fsid = $fsid
mon initial members = a
mon host = v1:127.0.0.1:$mon_port
public addr = 127.0.0.1
ms bind msgr2 = false
auth cluster required = none
auth service required = none
auth client required = none
keyring = /dev/null
run dir = $dir/run
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
mon data = $dir/mon
mon allow pool size one = true
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0
osd data = $dir/osd.\$id
osd objectstore = memstore
memstore device bytes = 8589934592
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
# Short placement-group logs: the defaults cost the OSD gigabytes of RAM at 100k objects.
osd min pg log entries = 100
osd max pg log entries = 100
osd pg log trim min = 50
osd pg log dups tracked = 100
[client.rgw.bench]
rgw frontends = beast endpoint=127.0.0.1:$port
rgw data = $dir/rgw
rgw enable usage log = false
CONF
monmaptool --create --clobber --fsid "$fsid" --addv a "[v1:127.0.0.1:$mon_port]" "$dir/monmap" >/dev/null
ceph-mon -c "$conf" -i a --mkfs --monmap "$dir/monmap" >"$dir/log/mkfs-mon.out" 2>&1
setsid ceph-mon -c "$conf" -i a -f >"$dir/log/mon.out" 2>&1 </dev/null & echo $! >"$dir/mon.pid"
osd_uuid=$(cat /proc/sys/kernel/random/uuid)
osd_id=$(timeout 60 ceph -c "$conf" osd new "$osd_uuid")
ceph-osd -c "$conf" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" >"$dir/log/mkfs-osd.out" 2>&1
start_osd() { setsid ceph-osd -c "$conf" -i "$osd_id" -f >"$dir/log/osd.out" 2>&1 </dev/null & echo $! >"$dir/osd.pid"; }
start_osd
# Now and then the OSD's first command to the monitor carries a zero fsid (the monitor answers
# "wrong fsid") and the OSD never comes up, so radosgw never answers: start the OSD again (3 tries).
for try in 1 2 3; do
  for _ in $(seq 100); do
    grep -q 'wrong fsid' "$dir/log/osd.out" && break
    timeout 5 ceph -c "$conf" osd stat 2>/dev/null | grep -q ' 1 up' && break 2
    sleep 0.2
  done
  grep -q 'wrong fsid' "$dir/log/osd.out" || break
  echo "OSD start $try: wrong fsid, starting it again" >&2
  kill "$(cat "$dir/osd.pid")" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$(cat "$dir/osd.pid")" 2>/dev/null || break; sleep 0.1; done
  mv "$dir/log/osd.out" "$dir/log/osd.out.$try"
  start_osd
done
setsid radosgw -c "$conf" -n client.rgw.bench -f >"$dir/log/rgw.out" 2>&1 </dev/null & echo $! >"$dir/rgw.pid"
for _ in $(seq 300); do
  curl -s -o /dev/null -m 2 "http://127.0.0.1:$port/" && break
  kill -0 "$(cat "$dir/rgw.pid")" 2>/dev/null || { echo "radosgw exited; see $dir/log" >&2; false; }
  sleep 0.2
done
timeout 60 radosgw-admin -c "$conf" user create --uid=bench --display-name=bench --access-key="$ak" --secret-key="$sk" >"$dir/log/user.json"
echo ready
