"""Our `ovseg_reference.eva02` against the authors' EVA02-CLIP code.

Loads our random-weight state_dict into the authors' `EVAVisionTransformer`
and `TextTransformer` (H1NATA111/SGSeg@d07437b, `sgseg/src/open_clip/eva_clip/`)
and compares the dense CSA features, block taps and text embeddings (they
agree bit for bit; the tolerances leave room for summation order only). The
authors' code is NOT part of this repository: OVSEG_SGSEG_SRC names an
extracted checkout, otherwise the tests are skipped (conftest.py). It needs
timm, torchvision and einops; it runs the authors' non-xformers attention path
(`xattn=False`, same maths as xformers) and plain `nn.LayerNorm` instead of
apex's FusedLayerNorm.

    OVSEG_SGSEG_SRC=/tmp/sgseg-authors pytest reference/tests/test_eva02_against_authors.py

With OVSEG_FULL=1 it also checks 4 blocks of the real EVA02-L/14-336 width
(1024, 16 heads, 336 px) with random weights, as in docs/sgseg-released.md §10.
"""
import importlib
import os
import sys
import types
from functools import partial

import pytest
import torch
import torch.nn as nn

from ovseg_reference.eva02 import (EVA02Text, EVA02TextConfig, EVA02Visual, EVA02VisionConfig)

pytestmark = pytest.mark.authors


def load_authors(eva_clip_dir):
    """Import the authors' modules as package `eva_clip` without running its
    `__init__` (which pulls in the whole factory)."""
    package = types.ModuleType("eva_clip")
    package.__path__ = [os.path.abspath(eva_clip_dir)]
    sys.modules["eva_clip"] = package
    vit = importlib.import_module("eva_clip.eva_vit_model")
    transformer = importlib.import_module("eva_clip.transformer")
    return vit, transformer


def is_layer_norm(name):
    """norm1/norm2/norm, inner_attn_ln, ffn_ln, ln_1/ln_2/ln_final."""
    owner = name.rsplit(".", 1)[0].rsplit(".", 1)[-1]
    return owner.startswith("norm") or owner.startswith("ln_") or owner.endswith("_ln")


def randomise(module, seed):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            noise = torch.randn(p.shape, generator=gen)
            if is_layer_norm(name):
                p.copy_(noise * 0.3 + (1.0 if name.endswith("weight") else 0.0))
            else:
                p.copy_(noise * (0.5 if p.dim() < 2 else p.shape[-1] ** -0.5))


def check_vision(checks, vit, cfg, batch, taps, seed):
    ours = EVA02Visual(cfg).eval()
    randomise(ours, seed)
    theirs = vit.EVAVisionTransformer(
        img_size=cfg.image_size, patch_size=cfg.patch_size, num_classes=cfg.embed_dim,
        use_mean_pooling=False, init_values=None, patch_dropout=0.0, embed_dim=cfg.width,
        depth=cfg.depth, num_heads=cfg.heads, mlp_ratio=cfg.mlp_hidden / cfg.width, qkv_bias=True,
        drop_path_rate=0.0, norm_layer=partial(nn.LayerNorm, eps=cfg.eps), xattn=False, rope=True,
        postnorm=False, pt_hw_seq_len=cfg.pt_seq_len, intp_freq=True, naiveswiglu=True, subln=True).eval()
    missing, unexpected = theirs.load_state_dict(ours.state_dict(), strict=False)
    assert not unexpected, unexpected
    assert all("rope" in k for k in missing), missing
    rope = theirs.rope
    checks.close("rope cos table", ours.rope_cos, rope.freqs_cos, 1e-6)
    checks.close("rope sin table", ours.rope_sin, rope.freqs_sin, 1e-6)

    os.environ["RoPE"] = "1"
    gen = torch.Generator().manual_seed(seed + 1)
    pixels = torch.randn(batch, 3, cfg.image_size, cfg.image_size, generator=gen)
    hooked = {}
    handles = [theirs.blocks[t].register_forward_hook(
        lambda _m, _i, out, t=t: hooked.__setitem__(t, out[:, 1:].detach().clone())) for t in taps]
    with torch.no_grad():
        dense_ref = theirs.encode_dense(pixels, keep_shape=False, mode="csa")
        dense_ref = torch.nn.functional.normalize(dense_ref, dim=-1)
        dense, tapped = ours.forward_dense(pixels, taps)
    for h in handles:
        h.remove()
    checks.close(f"dense [B={batch}, N={dense.shape[1]}, E={dense.shape[2]}]", dense, dense_ref, 1e-5)
    for t in taps:
        checks.close(f"tap {t}", tapped[t], hooked[t], 1e-4)


def check_text(checks, transformer, cfg, seed):
    ours = EVA02Text(cfg).eval()
    randomise(ours, seed)
    theirs = transformer.TextTransformer(
        context_length=cfg.context_length, vocab_size=cfg.vocab_size, width=cfg.width, heads=cfg.heads,
        layers=cfg.layers, ls_init_value=None, output_dim=cfg.embed_dim, act_layer=nn.GELU,
        norm_layer=transformer.LayerNorm, xattn=False, attn_mask=True).eval()
    theirs.load_state_dict(ours.state_dict(), strict=True)
    ids = torch.zeros(3, cfg.context_length, dtype=torch.long)
    ids[0, :4] = torch.tensor([cfg.vocab_size - 2, 5, 17, cfg.vocab_size - 1])
    ids[1, :7] = torch.tensor([cfg.vocab_size - 2, 9, 3, 3, 40, 11, cfg.vocab_size - 1])
    ids[2, :2] = torch.tensor([cfg.vocab_size - 2, cfg.vocab_size - 1])
    with torch.no_grad():
        ref = theirs(ids)
        out = ours(ids)
    checks.close(f"text [T=3, E={cfg.embed_dim}]", out, ref, 1e-5)


@pytest.fixture(scope="module")
def authors(sgseg_src):
    return load_authors(sgseg_src / "sgseg" / "src" / "open_clip" / "eva_clip")


def test_tiny_vision(authors, checks):
    """width 64, 4 heads, 4 blocks, grid 4"""
    vit, _ = authors
    tiny = EVA02VisionConfig(image_size=56, patch_size=14, width=64, depth=4, heads=4, mlp_hidden=170,
                             embed_dim=48, pt_seq_len=16)
    check_vision(checks, vit, tiny, batch=2, taps=[1, 2], seed=7)
    checks.assert_all()


def test_tiny_text(authors, checks):
    """width 32, 4 heads, 2 layers, MLP 4·width as the authors fix it"""
    _, transformer = authors
    check_text(checks, transformer,
               EVA02TextConfig(vocab_size=300, width=32, layers=2, heads=4, mlp=128, embed_dim=48), seed=8)
    checks.assert_all()


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("OVSEG_FULL") != "1", reason="EVA02-L width is slow: set OVSEG_FULL=1")
def test_eva02_l_width(authors, checks):
    """EVA02-L width (1024, 16 heads), 4 blocks, 336 px (grid 24); text width, 2 layers"""
    vit, transformer = authors
    check_vision(checks, vit, EVA02VisionConfig(depth=4), batch=1, taps=[1], seed=9)
    check_text(checks, transformer, EVA02TextConfig(layers=2), seed=10)
    checks.assert_all()
