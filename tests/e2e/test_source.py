"""The landing folder as a thing that can go wrong (issue 12): `run` waits for a
landing folder that was renamed away, says so (log, /readyz, metric) and carries
on once it is back; start-up refuses a processed or quarantine folder that is the
source folder, and a ledger or SQLite database the watcher would take for input.
"""

import os
import shutil
import subprocess
import unittest

from sluice_e2e import SLUICE_BIN, SluiceTestCase, csv_text, free_port, http_get


def parse_metrics(text):
    """{'name{labels}': value} of every sample line."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            out[key] = float(value)
    return out


class LandingFolderTest(SluiceTestCase):

    def get(self, path):
        try:
            return http_get(self.base + path, timeout=5)
        except OSError:
            return 0, ""

    def test_landing_folder_renamed_away_is_waited_for(self):
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        proc = self.start_run("--http", f"127.0.0.1:{port}")
        self.put("before.csv", csv_text(["id"], [[1], [2]]))
        self.wait_for(lambda: self.count("before") == 2, 20, "before.csv loaded", proc=proc)
        self.wait_for(lambda: self.get("/readyz")[0] == 200, 10, "/readyz 200", proc=proc)

        away = self.path("data-away")
        os.rename(self.data, away)
        status, body = self.wait_for(
            lambda: (lambda r: r if r[0] == 503 else None)(self.get("/readyz")), 15,
            "/readyz 503 after the landing folder was renamed away", proc=proc)
        self.assertIn("is missing", body)
        self.assertIn(os.path.realpath(self.data), body)
        metrics = parse_metrics(self.get("/metrics")[1])
        self.assertEqual(metrics.get("sluice_source_up"), 0.0)
        self.assertIsNone(proc.poll(), "sluice exited when the landing folder went away")
        self.assertIn("source_unavailable", self.log_tail(proc))

        os.rename(away, self.data)
        self.put("after.csv", csv_text(["id"], [[1], [2], [3]]))
        self.wait_for(lambda: self.count("after") == 3, 20,
                      "a file dropped after the folder came back loaded", proc=proc)
        self.wait_for(lambda: self.get("/readyz")[0] == 200, 10, "/readyz 200 again", proc=proc)
        self.wait_for(lambda: parse_metrics(self.get("/metrics")[1]).get("sluice_source_up") == 1.0,
                      10, "sluice_source_up 1 again", proc=proc)
        self.assertIn("source_back", self.log_tail(proc))
        self.assertEqual(self.stop(proc), 0)


class WatchLimitTest(SluiceTestCase):
    """fs.inotify.max_user_watches reached. The limit is lowered inside a user
    namespace of the test's own (`unshare -U -r`, /proc/sys/user/
    max_inotify_watches), which leaves the machine's limit alone."""

    def start_limited(self, watches, *extra):
        if shutil.which("unshare") is None:
            self.skipTest("unshare (util-linux) is not installed")
        probe = subprocess.run(["unshare", "-U", "-r", "sh", "-c",
                                "echo 1 > /proc/sys/user/max_inotify_watches"],
                               capture_output=True, text=True)
        if probe.returncode != 0:
            self.skipTest(f"cannot lower the inotify limit in a user namespace: {probe.stderr}")
        args = [SLUICE_BIN, "run", *self.paths_args(), "--settle-ms", "200",
                "--rescan-seconds", "30", *[str(a) for a in extra]]
        script = f"echo {watches} > /proc/sys/user/max_inotify_watches && exec \"$@\""
        log = self.path(f"run-{len(self.procs)}.log")
        with open(log, "wb") as f:
            proc = subprocess.Popen(["unshare", "-U", "-r", "sh", "-c", script, "sh", *args],
                                    cwd=self.ws, env=self.base_env(), stdout=f,
                                    stderr=subprocess.STDOUT)
        self.procs.append((proc, log))
        return proc

    def test_watch_limit_falls_back_to_rescans(self):
        subs = ["a", "b", "c", "d"]
        for sub in subs:
            os.makedirs(os.path.join(self.data, sub))
        port = free_port()
        # Three watches: the landing folder and two of its four sub-folders.
        proc = self.start_limited(3, "--recursive", "--http", f"127.0.0.1:{port}")
        self.wait_for(lambda: "watch_limited" in self.log_tail(proc), 15,
                      "the watch_limited warning", proc=proc)
        self.assertIn("max_user_watches", self.log_tail(proc))
        for i, sub in enumerate(subs):
            self.put(os.path.join(sub, f"from_{sub}.csv"), csv_text(["id"], [[i]]))
        # Two of them are found by inotify, the other two by the rescan (every
        # 5 s while folders are unwatched, although --rescan-seconds says 30).
        self.wait_for(lambda: all(self.count(f"from_{sub}") == 1 for sub in subs), 20,
                      "a file in every sub-folder loaded", proc=proc)

        def unwatched():
            try:
                _, body = http_get(f"http://127.0.0.1:{port}/metrics", timeout=5)
            except OSError:
                return None
            return parse_metrics(body).get("sluice_source_unwatched_dirs")
        self.assertEqual(self.wait_for(unwatched, 10, "the metric", proc=proc), 2.0)
        self.assertEqual(self.stop(proc), 0)


class OutputsInsideSourceTest(SluiceTestCase):
    """What sluice writes must not be what it reads."""

    def once_with(self, **paths):
        """`sluice once` with the workspace's paths, some replaced (processed=...)."""
        args = {"source": self.data, "sink": "sqlite:" + self.db, "ledger": self.ledger,
                "processed": self.processed, "quarantine": self.quarantine}
        extra = paths.pop("extra", [])
        args.update(paths)
        flat = [a for k, v in args.items() for a in ("--" + k, v)]
        return self.once(*flat, *extra, paths=False, timeout=30)

    def refused(self, expect, **paths):
        res = self.once_with(**paths)
        self.assertExit(res, 1)
        self.assertIn(expect, res.stderr)
        return res

    def test_processed_or_quarantine_equal_to_source_is_refused(self):
        self.put("a.csv", csv_text(["id"], [[1]]))
        for option in ("processed", "quarantine"):
            with self.subTest(option=option):
                res = self.refused("is the source folder", **{option: self.data})
                self.assertIn("--" + option, res.stderr)
        # Also spelled differently (a trailing slash, a symlink).
        os.symlink(self.data, self.path("alias"))
        self.refused("is the source folder", processed=self.path("alias") + "/")
        self.assertEqual(self.data_files(), ["a.csv"])  # nothing loaded, nothing moved
        self.assertEqual(self.tables(), [])

    def test_ledger_or_sink_database_inside_source_is_refused(self):
        self.put("a.csv", csv_text(["id"], [[1]]))
        ledger = os.path.join(self.data, "ledger.db")
        self.refused("the ledger " + ledger, ledger=ledger)
        self.refused("the sink database", sink="sqlite:" + os.path.join(self.data, "out.db"))
        self.assertEqual(self.data_files(), ["a.csv"])

    def test_outputs_the_watcher_skips_are_accepted(self):
        self.put("a.csv", csv_text(["id"], [[1]]))
        # Excluded by a glob; the processed and quarantine folders below the
        # source folder (always skipped).
        res = self.once_with(ledger=os.path.join(self.data, "ledger.sqlite"),
                             processed=os.path.join(self.data, "done"),
                             quarantine=os.path.join(self.data, "sub", "q"),
                             extra=["--exclude", "ledger.sqlite*"])
        self.assertExit(res, 0)
        self.assertEqual(self.count("a"), 1)


if __name__ == "__main__":
    unittest.main()
