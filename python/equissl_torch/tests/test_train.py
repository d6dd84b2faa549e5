"""`python3 -m equissl_torch.train` as a user runs it: one process, two under torchrun, resume, init, bad configs."""
import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
import torch.distributed as dist

from conftest import FIXTURES, PACKAGE
from equissl_torch.checkpoint import read_checkpoint

CONFIG = os.path.join(FIXTURES, "tiny.yaml")
ENV = {**os.environ, "PYTHONPATH": PACKAGE + os.pathsep + os.environ.get("PYTHONPATH", "")}


def run(*args, procs=1):
    """The command's result; on a timeout the whole process group (torchrun and its workers) is stopped."""
    launch = [sys.executable, "-m", "equissl_torch.launch", "--standalone", "--nproc_per_node", str(procs)] if procs > 1 else [sys.executable]
    p = subprocess.Popen([*launch, "-m", "equissl_torch.train", "--config", CONFIG, "--log-every", "0", *args], env=ENV,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = p.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        raise
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)


def metrics(out):
    with open(os.path.join(out, "metrics.jsonl")) as f:
        return [json.loads(l) for l in f if l.strip()]


def test_one_process_writes_a_checkpoint_and_metrics(tmp_path):
    out = str(tmp_path / "run")
    r = run("--out", out, "--steps", "3")
    assert r.returncode == 0, r.stderr
    assert "batch 8 on 1 process" in r.stderr and "done: 3 steps" in r.stderr
    m = metrics(out)
    assert [x["step"] for x in m] == [0, 1, 2]
    assert all(np.isfinite(x[k]) for x in m for k in ("loss", "ssl", "rec", "rec.k1", "gradNorm"))
    assert m[0]["lr"] == pytest.approx(5e-5) and m[2]["lr"] == pytest.approx(1.5e-4)
    assert m[0]["total"] == pytest.approx(m[0]["ssl"] + m[0]["rec"])
    tensors, meta = read_checkpoint(os.path.join(out, "checkpoint.safetensors"))
    assert meta["step"] == 3 and meta["stream"]["cursor"] == 24 and meta["config"]["workers"] == 1
    assert json.load(open(os.path.join(out, "config.json")))["backbone"]["dim"] == 16


def test_resume_continues_exactly(tmp_path):
    whole, parts = str(tmp_path / "whole"), str(tmp_path / "parts")
    assert run("--out", whole, "--steps", "4").returncode == 0
    assert run("--out", parts, "--steps", "4", "--set", "checkpointEvery=2").returncode == 0
    # cut the second run back to its step-2 checkpoint by rerunning 2 steps, then resume to 4
    assert run("--out", parts, "--steps", "2", "--overwrite").returncode == 0
    r = run("--out", parts, "--resume", "--steps", "4")
    assert r.returncode == 0, r.stderr
    assert "resuming at step 2 of 4" in r.stderr
    a, b = read_checkpoint(os.path.join(whole, "checkpoint.safetensors"))[0], read_checkpoint(os.path.join(parts, "checkpoint.safetensors"))[0]
    assert a.keys() == b.keys()
    assert max(float(np.abs(a[k] - b[k]).max()) for k in a) < 1e-6
    ma, mb = metrics(whole), [x for x in metrics(parts) if "event" not in x]
    assert [x["step"] for x in mb] == [0, 1, 2, 3]
    assert [x["loss"] for x in ma] == pytest.approx([x["loss"] for x in mb], rel=1e-6)
    assert {"step": 2, "event": "resume", "changed": {"steps": [2, 4]}} in metrics(parts)


def test_resume_refuses_a_change_of_model(tmp_path):
    out = str(tmp_path / "run")
    assert run("--out", out, "--steps", "1").returncode == 0
    r = run("--out", out, "--resume", "--set", "neck=none")
    assert r.returncode == 2
    assert "neck: cannot change on --resume" in r.stderr


@pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(), reason="needs torch.distributed with gloo")
def test_two_processes_under_torchrun(tmp_path):
    out = str(tmp_path / "ddp")
    r = run("--out", out, "--steps", "3", procs=2)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "batch 8 on 2 processes (gloo, cpu" in r.stderr
    m = metrics(out)
    assert [x["step"] for x in m] == [0, 1, 2] and all(np.isfinite(x["loss"]) for x in m)
    tensors, meta = read_checkpoint(os.path.join(out, "checkpoint.safetensors"))
    assert meta["step"] == 3 and meta["config"]["workers"] == 2 and "2 processes" in meta["backend"]
    # starting a one-process run from its weights reproduces them at step 0: --init reads every parameter
    init = str(tmp_path / "init")
    r = run("--out", init, "--steps", "1", "--init", os.path.join(out, "checkpoint.safetensors"), "--set", "optimizer.lr=1e-12",
            "--set", "optimizer.minLr=0", "--set", "optimizer.weightDecay=0")
    assert r.returncode == 0, r.stderr
    again = read_checkpoint(os.path.join(init, "checkpoint.safetensors"))[0]
    assert max(float(np.abs(again[k] - tensors[k]).max()) for k in tensors if k.startswith("param/")) < 1e-9


def test_bad_configs_stop_naming_the_field(tmp_path):
    r = run("--out", str(tmp_path / "x"), "--set", "loss.name=dinov2")
    assert r.returncode == 2
    assert "equissl_torch: loss.name: loss plugin \"dinov2\" is not supported by equissl_torch" in r.stderr
    r = run("--out", str(tmp_path / "x"), "--set", "optimizer.lr=-1")
    assert r.returncode == 2 and "optimizer.lr: expected positive number, got -1" in r.stderr
    done = str(tmp_path / "done")
    assert run("--out", done, "--steps", "1").returncode == 0
    r = run("--out", done, "--steps", "1")
    assert r.returncode == 2 and "holds a run" in r.stderr and "--overwrite" in r.stderr
