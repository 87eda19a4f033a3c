#!/bin/sh
# Stands in for the sluice binary inside bench/common.sh's run_measurements
# (SLUICE_BIN points here there): runs the real binary $SLUICE_REAL under GNU
# time, which appends "peak_rss_kib N" to $SLUICE_RSS_LOG once it exits; the
# exit status, output and arguments are sluice's own. Only for runs that end by
# themselves: a signal sent to this process reaches GNU time, not sluice.
exec /usr/bin/time -a -o "$SLUICE_RSS_LOG" -f 'peak_rss_kib %M' "$SLUICE_REAL" "$@"
