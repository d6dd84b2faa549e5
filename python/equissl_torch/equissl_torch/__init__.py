"""equissl_torch: equissl's pretraining on PyTorch, one process or many (torchrun + DistributedDataParallel).

It reads equissl's YAML/JSON pretraining configs (config.py), builds the same
model with the same parameter names (model.py), draws the same data and views
from equissl's seeded generator (rng.py, procedural.py, data.py,
transforms.py), trains under DistributedDataParallel (train.py) and reads and
writes equissl's `checkpoint.safetensors` (checkpoint.py), so `equissl eval`,
`export` and `explore` open what it trains and it can start from what equissl
trained. See README.md and docs/training-at-scale.md in the repository.
"""

__version__ = "0.1.0"
