"""Checks deploy/kubernetes/*.yaml without a cluster.

1. Schema: every manifest passes `kubernetes-validate --strict` (the
   Kubernetes OpenAPI schemas bundled in that PyPI package; no network) for
   the oldest and newest versions below, and a broken copy (a misspelled
   field) fails, so the check is known to bite.
2. Consistency: the sweep Job is Indexed, its completions equal the SHARDS
   of both Jobs, and both mount the claim pvc.yaml defines.
3. The Jobs' commands, run here: the ConfigMap's files and the volume are
   temporary directories at the mount paths' places; the sweep Job's
   command runs once per index with JOB_COMPLETION_INDEX set, then the
   merge Job's, with `parksim` on PATH; the merged directory must equal an
   unsharded `parksim sweep` of the same file, file by file, byte for byte.

    python .ci/kubernetes.py PATH/TO/parksim PATH/TO/kubernetes-validate
"""

import filecmp
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parent.parent / "deploy" / "kubernetes"
# 1.29: the first release with backoffLimitPerIndex on by default (beta).
VERSIONS = ["1.29.0", "1.37.0"]


def fail(msg):
    print(f"kubernetes: {msg}", file=sys.stderr)
    sys.exit(1)


def validate(validator, files, version):
    return subprocess.run(
        [validator, "--strict", "--quiet", "-k", version, *map(str, files)],
        capture_output=True,
        text=True,
    )


def check_schema(validator, files):
    for v in VERSIONS:
        r = validate(validator, files, v)
        if r.returncode != 0:
            fail(f"schema check against {v} failed:\n{r.stdout}{r.stderr}")
    # The same check on a copy with `completions` misspelled must fail.
    text = (DEPLOY / "sweep-job.yaml").read_text()
    assert "  completions:" in text
    with tempfile.TemporaryDirectory() as t:
        bad = Path(t) / "bad.yaml"
        bad.write_text(text.replace("  completions:", "  completion:", 1))
        if validate(validator, [bad], VERSIONS[-1]).returncode == 0:
            fail("the schema check accepts a Job with `completion:` misspelled")


def load(name):
    return {d["kind"]: d for d in yaml.safe_load_all((DEPLOY / name).read_text()) if d}


def container(job):
    (c,) = job["spec"]["template"]["spec"]["containers"]
    return c


def env_of(c):
    return {e["name"]: e["value"] for e in c.get("env", []) if "value" in e}


def claims(job):
    return {
        v["persistentVolumeClaim"]["claimName"]
        for v in job["spec"]["template"]["spec"]["volumes"]
        if "persistentVolumeClaim" in v
    }


def check_consistency(pvc, sweep, merge):
    spec = sweep["spec"]
    if spec.get("completionMode") != "Indexed":
        fail("the sweep Job is not completionMode: Indexed")
    n = spec["completions"]
    for name, job in (("sweep", sweep), ("merge", merge)):
        shards = env_of(container(job)).get("SHARDS")
        if shards != str(n):
            fail(f"the {name} Job's SHARDS is {shards!r}, the sweep Job's completions {n}")
        if claims(job) != {pvc["metadata"]["name"]}:
            fail(f"the {name} Job mounts {claims(job)}, pvc.yaml defines {pvc['metadata']['name']}")
    return n


def run_job(job, index, mounts, bindir):
    """Runs the Job's container command here, mount paths mapped to dirs."""
    c = container(job)
    argv = list(c.get("command", [])) + list(c.get("args", []))
    for path, local in mounts.items():
        pat = re.compile(r"(?<![\w/.])" + re.escape(path) + r"(?=/|\b|$)")
        argv = [pat.sub(str(local), a) for a in argv]
    env = dict(os.environ)
    env.update(env_of(c))
    env["PATH"] = f"{bindir}{os.pathsep}{env['PATH']}"
    if index is not None:
        env["JOB_COMPLETION_INDEX"] = str(index)
    r = subprocess.run(argv, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"{job['metadata']['name']} index {index}: {argv} exited {r.returncode}:\n{r.stderr}")


def same_tree(a, b):
    fa = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    fb = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    if fa != fb:
        fail(f"merged files {[str(f) for f in fb]} are not the unsharded {[str(f) for f in fa]}")
    differ = [str(f) for f in fa if not filecmp.cmp(a / f, b / f, shallow=False)]
    if differ:
        fail(f"merged and unsharded sweeps differ in {differ}")
    return [str(f) for f in fa]


def main():
    parksim, validator = Path(sys.argv[1]).resolve(), sys.argv[2]
    files = sorted(DEPLOY.glob("*.yaml"))
    check_schema(validator, files)
    pvc = load("pvc.yaml")["PersistentVolumeClaim"]
    sweep_docs = load("sweep-job.yaml")
    sweep, config = sweep_docs["Job"], sweep_docs["ConfigMap"]
    merge = load("merge-job.yaml")["Job"]
    n = check_consistency(pvc, sweep, merge)

    with tempfile.TemporaryDirectory() as t:
        t = Path(t)
        bindir = t / "bin"
        bindir.mkdir()
        (bindir / "parksim").symlink_to(parksim)
        data, cfg = t / "data", t / "sweep"
        data.mkdir()
        cfg.mkdir()
        for k, v in config["data"].items():
            (cfg / k).write_text(v)
        mounts = {}
        for m in container(sweep)["volumeMounts"]:
            mounts[m["mountPath"]] = data if m["name"] == "data" else cfg
        for i in range(n):
            run_job(sweep, i, mounts, bindir)
        run_job(merge, None, {m["mountPath"]: data for m in container(merge)["volumeMounts"]}, bindir)
        local = t / "local"
        (sweep_file,) = config["data"]
        subprocess.run(
            [parksim, "sweep", cfg / sweep_file, "--out", local, "--quiet"], check=True
        )
        same = same_tree(local, data / "all")
    print(
        f"kubernetes: {len(files)} manifests pass the schema check "
        f"({', '.join(VERSIONS)}, strict); the Jobs' commands run here: "
        f"{n} shards merged = unsharded sweep, byte for byte ({len(same)} files)"
    )


if __name__ == "__main__":
    main()
