#!/usr/bin/env bash
# Runs one kernel's tests, inside a virtme-ng guest or (for the host kernel) in place.
# Usage: guest.sh OUTDIR. kernels/run.py writes OUTDIR/job.env first; results go to OUTDIR.
set -u
out=$1
# shellcheck source=/dev/null
. "$out/job.env"   # ROOT VM CACHE_DIRS PYTEST_PATHS EXPECT TIMEOUT_TEST
stamp() { echo "$1 $(cut -d' ' -f1 /proc/uptime) $(date +%s.%N)" >> "$out/times"; }
stamp start
uname -r > "$out/uname"

if [ "$VM" = 1 ]; then
	# The guest's root is the host's / over 9p without a cache: every stat is a round trip
	# (~18 ms under emulation), so python spends most of its time in imports. run.py exports /
	# a second time (tag bhroot); mount it with cache=loose and bind what the tests read
	# (/usr, the interpreter, the repository) over the uncached paths, then put the writable
	# result directory back on top.
	# (While the repository is re-mounted, $out is read-only: log to /run until it is back.)
	mkdir -p /run/bh/host /run/bh/out
	if mount -t 9p -o ro,trans=virtio,version=9p2000.L,cache=loose,msize=512000 \
		bhroot /run/bh/host 2> /run/bh/mount.log; then
		mount --bind "$out" /run/bh/out
		for d in $CACHE_DIRS; do
			if [ -d "/run/bh/host$d" ]; then
				mount --bind "/run/bh/host$d" "$d" 2>> /run/bh/mount.log
			fi
		done
		mount --bind /run/bh/out "$out"
	else
		echo "no cached export: running over the uncached root (slower)" >> /run/bh/mount.log
	fi
	findmnt -rn -o TARGET,FSTYPE,OPTIONS >> /run/bh/mount.log
	cp /run/bh/mount.log "$out/mount.log"
	stamp mounted
fi

cd "$ROOT" || exit 1
export CI=true PYTHONDONTWRITEBYTECODE=1 BEHOLDER_KERNEL_EXPECT="$EXPECT"
timeout 600 .venv/bin/beholder doctor --json > "$out/doctor.json" 2> "$out/doctor.err"
echo $? > "$out/doctor.rc"
stamp doctor
# shellcheck disable=SC2086
.venv/bin/python -m pytest -p no:cacheprovider -m needs_root -o junit_family=xunit1 \
	--timeout "$TIMEOUT_TEST" --junitxml="$out/junit.xml" -q -rfEs --durations=15 \
	$PYTEST_PATHS > "$out/pytest.log" 2>&1
echo $? > "$out/pytest.rc"
stamp pytest
