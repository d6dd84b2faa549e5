"""pytest set-up: the package from this checkout (no install needed), the repository's paths, a small config."""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(PACKAGE))
sys.path.insert(0, PACKAGE)
FIXTURES = os.path.join(REPO, "test", "fixtures", "torch")


@pytest.fixture
def tiny_config():
    """test/fixtures/torch/tiny.yaml as read by `--config`."""
    from equissl_torch.config import read_config_file

    return read_config_file(os.path.join(FIXTURES, "tiny.yaml"))
