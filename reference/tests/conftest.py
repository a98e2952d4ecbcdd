"""Shared set-up of the reference tests.

Tests run on CPU with one thread (the reference's numbers and the fixtures are
made that way). Tests marked `authors` compare with the authors' SGSeg and
CAT-Seg code, which is not part of this repository: they are skipped unless
the environment names extracted checkouts,

    OVSEG_SGSEG_SRC   H1NATA111/SGSeg at d07437b (the directory holding sgseg/)
    OVSEG_CATSEG_SRC  KU-CVLAB/CAT-Seg at 6d3a188 (the directory holding cat_seg/)

and their imports (einops, timm, torchvision) are installed (the `authors`
extra). See reference/verify_against_authors.md.
"""
import os
import pathlib

import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    torch.set_num_threads(1)


def checkout(variable: str, marker: str) -> pathlib.Path:
    """The checkout an environment variable names, or skip the test saying why."""
    value = os.environ.get(variable)
    if not value:
        pytest.skip(f"needs the authors' code: set {variable} to an extracted checkout "
                    "(reference/verify_against_authors.md)")
    path = pathlib.Path(value)
    if not (path / marker).exists():
        pytest.fail(f"{variable}={value} does not hold {marker}")
    return path


def authors_imports():
    """Skip when the packages the authors' modules import are missing."""
    for name in ("einops", "timm", "torchvision"):
        pytest.importorskip(name, reason=f"the authors' code imports {name} (pip install 'reference[authors]')")


@pytest.fixture(scope="session")
def sgseg_src() -> pathlib.Path:
    path = checkout("OVSEG_SGSEG_SRC", "sgseg")
    authors_imports()
    return path


@pytest.fixture(scope="session")
def catseg_src() -> pathlib.Path:
    path = checkout("OVSEG_CATSEG_SRC", "cat_seg")
    authors_imports()
    return path


class Checks:
    """Collects named comparisons so one test reports all its differences, then fails if any is off."""

    def __init__(self):
        self.results = []

    def close(self, name, ours, theirs, tol):
        diff = float((ours.detach().float() - theirs.detach().float()).abs().max())
        scale = float(theirs.detach().float().abs().max())
        self.results.append((name, diff <= tol, f"max|Δ| {diff:.3e} (max|ref| {scale:.3g}, tol {tol:.0e})"))

    def true(self, name, ok, detail=""):
        self.results.append((name, bool(ok), detail))

    def assert_all(self):
        for name, ok, detail in self.results:
            print(f"{'ok  ' if ok else 'FAIL'}  {name}  {detail}")
        failed = [f"{name}: {detail}" for name, ok, detail in self.results if not ok]
        assert not failed, "\n".join(failed)


@pytest.fixture
def checks() -> Checks:
    return Checks()
