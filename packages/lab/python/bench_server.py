#!/usr/bin/env python3
"""Keeps one PyTorch reference model alive and times it on request, for the
interleaved pairs of `equissl bench` (packages/lab/src/bench/command.ts).

The model, the loss and the timing are those of the benchmark reference,
../shared/bench/torch_reference.py, imported unchanged (its Model, its
`timed`, and its re-run on the OpenMP build of OpenBLAS when that is
installed); the steps are its `train` step (zero_grad, loss, backward, AdamW)
and its `enc` step (the encoder's forward on the 2B images under no_grad).
Like the reference it refuses to report when the BLAS is slower than
20 GFLOP/s.

Protocol: one JSON object per line. It first writes either
  {"type": "ready", "torch": ..., "threads": ..., "python": ..., "params": ...,
   "blas_gflops": ..., "blas_check": "BLAS check: 512^3 sgemm ... GFLOP/s"}
or {"type": "unavailable", "reason": ...} (and exits 3). Then, for each line read:
  {"cmd": "warmup", "mode": "train"|"enc", "steps": n}  ->  {"type": "warm"}
  {"cmd": "time", "mode": "train"|"enc", "steps": n}
      ->  {"type": "timed", "sec_per_step": s, "foreign_cores": c}
  {"cmd": "quit"}                                        ->  exits 0
foreign_cores: the CPU other processes used during the timed window (0 on a
quiet machine), as the reference prints it.

    /usr/bin/python3 packages/lab/python/bench_server.py --batch 64 --threads 2
"""
import argparse
import importlib.util
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_REFERENCE = os.path.join(HERE, "..", "..", "..", "shared", "bench", "torch_reference.py")


def emit(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def unavailable(reason):
    emit({"type": "unavailable", "reason": reason})
    sys.exit(3)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reference", default=DEFAULT_REFERENCE, help="path of torch_reference.py")
    p.add_argument("--batch", type=int, default=64, help="per-view batch B (each step has 2B views)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--dim", type=int, default=192)
    p.add_argument("--depth", type=int, default=6)
    p.add_argument("--heads", type=int, default=3)
    p.add_argument("--dec-ch", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()

    path = os.path.abspath(a.reference)
    if not os.path.isfile(path):
        unavailable(f"{path} not found; pass --reference")
    try:
        spec = importlib.util.spec_from_file_location("torch_reference", path)
        ref = importlib.util.module_from_spec(spec)
        sys.modules["torch_reference"] = ref
        spec.loader.exec_module(ref)  # may re-run this script once with OpenBLAS on LD_LIBRARY_PATH
    except ImportError as e:
        unavailable(f"{sys.executable} cannot import torch ({e}); install it with: "
                    "apt-get install python3-torch libopenblas0-openmp")
    torch = ref.torch

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    m = torch.rand(512, 512)
    m @ m
    t0 = time.perf_counter()
    for _ in range(5):
        m @ m
    blas = 5 * 2 * 512 ** 3 / (time.perf_counter() - t0) / 1e9
    check = f"BLAS check: 512^3 sgemm {blas:.1f} GFLOP/s"
    if blas < 20:
        unavailable(f"PyTorch is using a slow reference BLAS ({check}); install OpenBLAS "
                    "(apt-get install libopenblas0-openmp) so the comparison is fair")

    margs = argparse.Namespace(batch=a.batch, img=32, patch=4, dim=a.dim, depth=a.depth, heads=a.heads,
                               mlp_ratio=4.0, dec_ch=a.dec_ch, k=2, dec_input="tokens", recon_weight=1.0)
    model = ref.Model(margs)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.05)
    x1 = torch.rand(a.batch, 3, 32, 32)
    x2 = torch.rand(a.batch, 3, 32, 32)
    targets = [torch.rand(a.batch, 3, 32, 32) for _ in range(margs.k)]

    def train_step():
        opt.zero_grad(set_to_none=True)
        loss = model.loss(x1, x2, targets)
        loss.backward()
        opt.step()
        return loss

    def enc_step():
        with torch.no_grad():
            return model.enc(torch.cat([x1, x2], 0))

    steps = {"train": train_step, "enc": enc_step}
    emit({"type": "ready", "torch": torch.__version__, "threads": torch.get_num_threads(),
          "python": sys.version.split()[0], "params": sum(q.numel() for q in model.parameters()),
          "encoder_params": sum(q.numel() for q in model.enc.parameters()),
          "blas_gflops": blas, "blas_check": check})

    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            cmd = json.loads(line)
            if cmd["cmd"] == "quit":
                return
            fn = steps[cmd["mode"]]
            n = int(cmd["steps"])
            if cmd["cmd"] == "warmup":
                for _ in range(n):
                    fn()
                emit({"type": "warm"})
            elif cmd["cmd"] == "time":
                s, foreign = ref.timed(fn, 0, n)
                emit({"type": "timed", "sec_per_step": s, "foreign_cores": foreign})
            else:
                emit({"type": "error", "message": f"unknown command {cmd['cmd']!r}"})
        except (KeyError, ValueError, TypeError) as e:
            emit({"type": "error", "message": f"bad request {line!r} ({e})"})


if __name__ == "__main__":
    main()
