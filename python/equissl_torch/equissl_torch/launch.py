"""`torchrun`, runnable where the installed one cannot parse its own defaults.

    python3 -m equissl_torch.launch --nproc_per_node 2 -m equissl_torch.train --config x.yaml --out dir

is `torchrun --nproc_per_node 2 -m equissl_torch.train …` (torch.distributed.run,
the same options). PyTorch 1.13 on Python 3.11 — Debian 12's python3-torch —
stops before starting any process with `AttributeError: 'NoneType' object has
no attribute 'get'`: its `Std.from_str` finds no flag for "0" (the default of
`--redirects` and `--tee`) because Python 3.11 no longer iterates the zero
member of an IntFlag. Here that lookup is repaired before torchrun starts;
with a torch whose lookup works nothing is changed.
"""
import sys

from torch.distributed.elastic.multiprocessing import api
from torch.distributed.run import main


def _repair_std_lookup():
    if api.Std.from_str("0") is not None:
        return
    original = api.Std.from_str.__func__

    def from_str(cls, vm):
        if vm.isdigit():
            return cls(int(vm))
        if ":" in vm:
            return {int(i): cls(int(v)) for i, v in (m.split(":") for m in vm.split(","))}
        return original(cls, vm)

    api.Std.from_str = classmethod(from_str)


if __name__ == "__main__":
    _repair_std_lookup()
    sys.exit(main())
