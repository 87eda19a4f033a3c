"""Configuration file, precedence (command line > environment > file), config
errors, `sluice infer` and `sluice status`."""

import os
import re
import signal
import subprocess
import unittest

from sluice_e2e import SLUICE_BIN, SluiceTestCase, csv_text

SENSORS_SCHEMA = """columns:
  - name: sensor_id
    type: integer
    nullable: false
  - name: ts
    type: timestamp
    nullable: false
  - name: temperature
    type: float
"""

IDS_SCHEMA = """columns:
  - name: id
    type: integer
    nullable: false
"""


def line_re(n):
    """A message naming line n: "line 4", "line: 4" or "file.yaml:4"."""
    return re.compile(rf"(?i)(\bline\s*:?\s*{n}\b|\.yaml:{n}\b)")


class ConfigFileTest(SluiceTestCase):

    def write(self, name, text):
        p = self.path(name)
        with open(p, "w") as f:
            f.write(text)
        return p

    def header(self):
        return (f"source: {self.data}\nsink: sqlite:{self.db}\nledger: {self.ledger}\n"
                f"processed: {self.processed}\nquarantine: {self.quarantine}\n"
                f"settle_ms: 100\n")

    def test_tables_rules(self):
        self.write("sensors.schema.yaml", SENSORS_SCHEMA)
        self.write("ids.schema.yaml", IDS_SCHEMA)
        self.write("sluice.yaml", self.header() + """tables:
  - match: "sensors*"
    table: readings
    schema: sensors.schema.yaml
    key: [sensor_id, ts]
    max_rejects: 1
    after_load: delete
  - match: "ratio*"
    table: ratios
    schema: ids.schema.yaml
    max_rejects: 10
    max_reject_ratio: 0.2
""")
        hdr = ["sensor_id", "ts", "temperature"]
        self.put("sensors-a.csv", csv_text(hdr, [
            [1, "2026-03-01T00:00:00Z", "20.5"],
            [2, "2026-03-01T00:00:00Z", "21.0"],
            [1, "2026-03-01T00:01:00Z", "20.75"]]))
        # No -c: ./sluice.yaml in the working directory is used. sensors-a first, on
        # its own, so that which row of a key comes first is defined.
        self.assertExit(self.sluice("once"), 0)
        self.assertEqual(self.count("readings"), 3)
        self.put("sensors-b.csv", csv_text(hdr, [
            [1, "2026-03-01T00:01:00Z", "99.0"],   # key exists: skipped, not replaced
            [3, "2026-03-01T00:00:00Z", "hot"],    # line 3: bad float, within max_rejects
            [3, "2026-03-01T00:01:00Z", "19.25"]]))
        # 10 rows each: 1 bad (10%) is within max_reject_ratio 0.2; 3 bad (30%) is not,
        # although 3 is within max_rejects 10.
        self.put("ratio_ok.csv", "id\n" + "".join(
            f"{'x' if i == 5 else i}\n" for i in range(10)))
        self.put("ratio_bad.csv", "id\n" + "".join(
            f"{'x' if i in (2, 4, 6) else 100 + i}\n" for i in range(10)))
        self.put("plain.csv", csv_text(["a"], [[1], [2]]))

        res = self.sluice("once")
        self.assertExit(res, 2)

        self.assertEqual(self.query(
            "SELECT sensor_id, ts, temperature FROM readings ORDER BY sensor_id, ts"),
            [(1, "2026-03-01 00:00:00", 20.5), (1, "2026-03-01 00:01:00", 20.75),
             (2, "2026-03-01 00:00:00", 21.0), (3, "2026-03-01 00:01:00", 19.25)])
        self.assertEqual(self.query(
            "SELECT DISTINCT typeof(sensor_id), typeof(temperature) FROM readings"),
            [("integer", "real")])
        recs = self.rejects("sensors-b.csv")
        self.assertEqual([(int(r["line"]), r.get("column")) for r in recs],
                         [(3, "temperature")])
        self.assertEqual(self.count("ratios"), 9)
        self.assertEqual(self.query("SELECT COUNT(*) FROM ratios WHERE id >= 100"), [(0,)])
        self.assertEqual(self.count("plain"), 2)
        self.assertNotIn("sensors_a", self.tables())
        # after_load: delete for sensors*, the default (move) for the others.
        self.assertEqual(self.data_files(), [])
        self.assertEqual(sorted(self.processed_files()), ["plain.csv", "ratio_ok.csv"])
        self.assertEqual(self.quarantined_files(), ["ratio_bad.csv"])
        self.error_report("ratio_bad.csv")

    def test_defaults_and_filters(self):
        self.write("cfg.yaml", self.header() + """include: ["*.csv"]
exclude: ["*_draft*"]
defaults:
  normalize_names: true
  metadata: [file, line]
""")
        self.put("Mixed Case.csv", csv_text(["Sensor ID", "Temp (C)"], [[1, "20.5"], [2, "21"]]))
        self.put("mixed_draft.csv", csv_text(["a"], [[1]]))
        self.put("notes.jsonl", '{"a": 1}\n')
        res = self.sluice("once", "-c", self.path("cfg.yaml"))
        self.assertExit(res, 0)
        self.assertEqual(self.tables(), ["mixed_case"])
        cols = self.columns("mixed_case")
        self.assertEqual(cols[:2], ["sensor_id", "temp_c"])
        self.assertIn("_file", cols)
        self.assertIn("_line", cols)
        self.assertEqual(self.query("SELECT sensor_id, _line FROM mixed_case ORDER BY sensor_id"),
                         [(1, 2), (2, 3)])
        self.assertEqual(sorted(self.data_files()), ["mixed_draft.csv", "notes.jsonl"])


    def test_format_and_dialect_overrides(self):
        self.write("cfg.yaml", self.header() + """tables:
  - match: "pipes*"
    table: piped
    format: csv
    delimiter: "|"
    header: true
""")
        # A .txt extension says nothing about the format: the rule decides.
        self.put("pipes-01.txt", "id|label\n1|a,b\n2|c;d\n")
        res = self.sluice("once", "-c", self.path("cfg.yaml"))
        self.assertExit(res, 0)
        self.assertEqual(self.query("SELECT id, label FROM piped ORDER BY id"),
                         [(1, "a,b"), (2, "c;d")])
        self.assertEqual(self.processed_files(), ["pipes-01.txt"])


class PrecedenceTest(SluiceTestCase):

    def test_environment_variables_for_table_and_after_load(self):
        self.put("whatever.csv", csv_text(["id"], [[1], [2]]))
        res = self.once(env={"SLUICE_TABLE": "env_table", "SLUICE_AFTER_LOAD": "delete"})
        self.assertExit(res, 0)
        self.assertEqual(self.tables(), ["env_table"])
        self.assertEqual(self.count("env_table"), 2)
        self.assertEqual(self.data_files(), [])
        self.assertEqual(self.processed_files(), [])
        # The command line beats the environment.
        self.put("again.csv", csv_text(["id"], [[3]]))
        res = self.once("--table", "cli_table", "--after-load", "keep",
                        env={"SLUICE_TABLE": "env_table", "SLUICE_AFTER_LOAD": "delete"})
        self.assertExit(res, 0)
        self.assertEqual(self.tables(), ["cli_table", "env_table"])
        self.assertEqual(self.data_files(), ["again.csv"])

    def test_environment_beats_file_and_command_line_beats_environment(self):
        d = {k: self.path(k) for k in ("data_cfg", "data_env", "data_cli")}
        for p in d.values():
            os.makedirs(p)
        cfg = self.path("cfg.yaml")
        with open(cfg, "w") as f:
            f.write(f"source: {d['data_cfg']}\nsink: sqlite:{self.path('cfg.db')}\n"
                    f"ledger: {self.ledger}\nprocessed: {self.processed}\n"
                    f"quarantine: {self.quarantine}\nsettle_ms: 100\n")
        self.put("from_cfg.csv", csv_text(["id"], [[1]]), folder=d["data_cfg"])
        self.put("from_env.csv", csv_text(["id"], [[1], [2]]), folder=d["data_env"])
        self.put("from_cli.csv", csv_text(["id"], [[1], [2], [3]]), folder=d["data_cli"])
        env = {"SLUICE_SOURCE": d["data_env"], "SLUICE_SINK": "sqlite:" + self.path("env.db")}

        res = self.sluice("once", "-c", cfg, env=env)
        self.assertExit(res, 0)
        self.assertEqual(self.tables(db=self.path("env.db")), ["from_env"])
        self.assertEqual(self.count("from_env", db=self.path("env.db")), 2)
        self.assertEqual(self.tables(db=self.path("cfg.db")), [])
        self.assertEqual(os.listdir(d["data_cfg"]), ["from_cfg.csv"])

        res = self.sluice("once", "-c", cfg, "--source", d["data_cli"],
                          "--sink", "sqlite:" + self.path("cli.db"), env=env)
        self.assertExit(res, 0)
        self.assertEqual(self.tables(db=self.path("cli.db")), ["from_cli"])
        self.assertEqual(self.count("from_cli", db=self.path("cli.db")), 3)
        self.assertEqual(self.tables(db=self.path("env.db")), ["from_env"])
        self.assertEqual(self.tables(db=self.path("cfg.db")), [])
        self.assertEqual(os.listdir(d["data_cfg"]), ["from_cfg.csv"])

    def test_sluice_config_environment_variable(self):
        cfg = self.path("elsewhere.yaml")
        with open(cfg, "w") as f:
            f.write(f"source: {self.data}\nsink: sqlite:{self.db}\nledger: {self.ledger}\n"
                    f"processed: {self.processed}\nquarantine: {self.quarantine}\n"
                    f"settle_ms: 100\nafter_load: keep\n")
        self.put("k.csv", csv_text(["id"], [[1]]))
        res = self.sluice("once", env={"SLUICE_CONFIG": cfg})
        self.assertExit(res, 0)
        self.assertEqual(self.count("k"), 1)
        self.assertEqual(self.data_files(), ["k.csv"])  # after_load: keep came from the file


class ConfigErrorTest(SluiceTestCase):

    CASES = {
        # name: (content, line, key or None)
        "unknown_key.yaml": ("source: ./data\nsink: sqlite:./x.db\nwokers: 2\n", 3, "wokers"),
        "bad_type.yaml": ("source: ./data\nsink: sqlite:./x.db\nsettle_ms: 100\nworkers: many\n",
                          4, "workers"),
        "bad_value.yaml": ("source: ./data\nafter_load: shred\n", 2, "after_load"),
        "bad_yaml.yaml": ("source: ./data\nsink: sqlite:./x.db\nworkers: 2\n"
                          "after_load: keep: move\nsettle_ms: 3\n", 4, None),
        "bad_table.yaml": ('source: ./data\ntables:\n  - match: "a*"\n    table: a\n'
                           "    key: [id]\n    max_rejects: lots\n", 6, "max_rejects"),
    }

    def test_errors_name_file_line_and_key(self):
        for name, (content, line, key) in self.CASES.items():
            with self.subTest(config=name):
                p = self.path(name)
                with open(p, "w") as f:
                    f.write(content)
                res = self.sluice("once", "-c", p, timeout=30)
                self.assertExit(res, 1)
                msg = res.stdout + res.stderr
                self.assertIn(name, msg, "the message does not name the file")
                self.assertRegex(msg, line_re(line), f"the message does not name line {line}")
                if key:
                    self.assertIn(key, msg, "the message does not name the key")
                self.assertFalse(os.path.exists(self.path("x.db")))

    def test_run_stops_at_start_up(self):
        p = self.path("unknown_key.yaml")
        with open(p, "w") as f:
            f.write(self.CASES["unknown_key.yaml"][0])
        proc = subprocess.Popen([SLUICE_BIN, "run", "-c", p], cwd=self.ws, env=self.base_env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.procs.append((proc, os.devnull))
        try:
            out, err = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            self.fail("sluice run kept running with a bad configuration")
        self.assertEqual(proc.returncode, 1, out + err)
        self.assertIn("wokers", out + err)


class InferStatusTest(SluiceTestCase):

    def test_infer_then_load_with_the_schema(self):
        content = csv_text(["id", "name", "price", "active", "day", "ts"], [
            [1, "alpha", "1.5", "true", "2026-11-01", "2026-11-01T10:00:00Z"],
            [2, "beta", "2.25", "false", "2026-11-02", "2026-11-02T11:30:00Z"]])
        path = self.put("products.csv", content)
        res = self.sluice("infer", path)
        self.assertExit(res, 0)
        yaml = res.stdout
        self.assertIn("columns:", yaml)
        for col, typ in [("id", "integer"), ("name", "string"), ("price", "float"),
                         ("active", "boolean"), ("day", "date"), ("ts", "timestamp")]:
            self.assertRegex(yaml, rf"name: ['\"]?{col}['\"]?\s*\n\s*type: {typ}\b",
                             f"inferred schema lacks {col}: {typ}")
        self.assertEqual(self.data_files(), ["products.csv"], "infer touched the file")
        schema = self.path("products.schema.yaml")
        with open(schema, "w") as f:
            f.write(yaml)
        res = self.once("--schema", schema)
        self.assertExit(res, 0)
        self.assertEqual(self.query("SELECT id, name, price, active, day, ts FROM products "
                                    "ORDER BY id"),
                         [(1, "alpha", 1.5, 1, "2026-11-01", "2026-11-01 10:00:00"),
                          (2, "beta", 2.25, 0, "2026-11-02", "2026-11-02 11:30:00")])

    def test_status_shows_counts(self):
        self.put("alpha.csv", csv_text(["id"], [[i] for i in range(13)]))
        self.put("beta.csv", csv_text(["id"], [[i] for i in range(100, 129)]))
        self.assertExit(self.once(), 0)
        self.put("alpha_copy.csv", csv_text(["id"], [[i] for i in range(13)]))  # duplicate
        self.put("gamma.csv", "a,b\n1,2\n3,4,5\n")                              # ragged
        self.assertExit(self.once(), 2)
        self.assertEqual(self.count("alpha") + self.count("beta"), 42)

        res = self.sluice("status", env={"SLUICE_LEDGER": self.ledger})
        self.assertExit(res, 0)
        out = res.stdout + res.stderr
        lines = out.lower().splitlines()
        for word, n in [("loaded", 2), ("duplicate", 1), ("quarantined", 1)]:
            self.assertTrue(any(word in ln and re.search(rf"\b{n}\b", ln) for ln in lines),
                            f"status does not show {n} {word}:\n{out}")
        self.assertRegex(out, r"\b42\b", f"status does not show the 42 rows loaded:\n{out}")
        self.assertIn("gamma.csv", out, "status does not list the recent error")


if __name__ == "__main__":
    unittest.main()
