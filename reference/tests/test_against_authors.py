"""Our PyTorch reference against the authors' code, on random weights.

Needs extracted checkouts of H1NATA111/SGSeg (d07437b) and, for the bias-free
head, KU-CVLAB/CAT-Seg (6d3a188), named by OVSEG_SGSEG_SRC / OVSEG_CATSEG_SRC;
without them every test here is skipped (conftest.py). Procedure and measured
differences: reference/verify_against_authors.md.

    OVSEG_SGSEG_SRC=/tmp/sgseg-authors OVSEG_CATSEG_SRC=/tmp/catseg-authors \
        pytest reference/tests/test_against_authors.py -s

Nothing of theirs is imported from the checkout itself: the needed files are
copied to a scratch directory (pytest's temporary directory), where

* `sgseg/__init__.py` and `sgseg/modeling/__init__.py` are emptied (they import
  the missing `cat_seg_head`, docs/sgseg-released.md §1.1) — the only edits;
* stand-ins are written for what is not installed: detectron2 (the
  `configurable` decorator, registries, `ImageList.from_tensors`,
  `sem_seg_postprocess`; the last two restated from detectron2's behaviour),
  fvcore, matplotlib, cv2; `open_clip.eva_clip` is aliased to the authors'
  bundled `eva_clip`. The scratch copy and the stand-ins go on `sys.path` (the
  authors' code imports them by those names); our package is imported as installed;
* einops, timm and torchvision must be installed (`pip install 'reference[authors]'`).

Their classes are instantiated with small configurations that respect their
hard-coded sizes (E = 768, a 24×24 grid, 17 memory rows, guidance 256/128), the
same random weights are loaded into theirs and ours, and the outputs compared
within the tolerances given at each comparison.
"""
from __future__ import annotations

import importlib
import os
import pathlib
import shutil
import sys
import tempfile
import textwrap

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from ovseg_reference import clip_openai
from ovseg_reference.compensation import compensation_distance
from ovseg_reference.eva02 import EVA02CLIP, EVA02TextConfig, EVA02VisionConfig
from ovseg_reference.export import CLIP, convert, load_model
from ovseg_reference.head import Aggregator, AggregatorConfig
from ovseg_reference.model import SGSegConfig, SGSegModel
from ovseg_reference.openai_names import openai_names
from ovseg_reference.tiny import randomise_, tiny_aggregator
from ovseg_reference.train import TrainConfig, training_losses

pytestmark = pytest.mark.authors


# --------------------------------------------------------------------------- scratch set-up

SHIMS = {
    "detectron2/__init__.py": "",
    "detectron2/config.py": '''
        def configurable(init_func=None, *, from_config=None):
            """Stand-in: constructors are called with explicit keyword arguments."""
            if init_func is not None:
                return init_func
            return lambda f: f
        class CfgNode(dict):
            pass
        ''',
    "detectron2/data.py": "class MetadataCatalog:\n    pass\n",
    "detectron2/layers.py": "from torch.nn import Conv2d\nShapeSpec = object\nget_norm = None\n",
    "detectron2/modeling/__init__.py": '''
        class _Registry:
            def register(self, obj=None):
                return (lambda o: o) if obj is None else obj
        META_ARCH_REGISTRY = _Registry()
        SEM_SEG_HEADS_REGISTRY = _Registry()
        def build_backbone(*args, **kwargs):
            raise NotImplementedError
        def build_sem_seg_head(*args, **kwargs):
            raise NotImplementedError
        ''',
    "detectron2/modeling/backbone.py": "from torch import nn\nclass Backbone(nn.Module):\n    pass\n",
    "detectron2/modeling/postprocessing.py": '''
        import torch.nn.functional as F
        def sem_seg_postprocess(result, img_size, output_height, output_width):
            """detectron2 behaviour: crop [C,H,W] to the unpadded image size, bilinear to the output size."""
            result = result[:, : img_size[0], : img_size[1]].expand(1, -1, -1, -1)
            return F.interpolate(result, size=(output_height, output_width), mode="bilinear",
                                 align_corners=False)[0]
        ''',
    "detectron2/structures.py": '''
        import torch
        import torch.nn.functional as F
        class ImageList:
            """detectron2 behaviour: zero-pad right/bottom to the largest size rounded up to the divisibility."""
            def __init__(self, tensor, image_sizes):
                self.tensor, self.image_sizes = tensor, image_sizes
            @staticmethod
            def from_tensors(tensors, size_divisibility=0, pad_value=0.0):
                sizes = [(int(t.shape[-2]), int(t.shape[-1])) for t in tensors]
                mh, mw = max(s[0] for s in sizes), max(s[1] for s in sizes)
                if size_divisibility > 1:
                    s = size_divisibility
                    mh, mw = (mh + s - 1) // s * s, (mw + s - 1) // s * s
                batch = torch.stack([F.pad(t, [0, mw - t.shape[-1], 0, mh - t.shape[-2]], value=pad_value)
                                     for t in tensors])
                return ImageList(batch.contiguous(), sizes)
        ''',
    "detectron2/utils/__init__.py": "",
    "detectron2/utils/memory.py": '''
        import contextlib
        @contextlib.contextmanager
        def _ignore_torch_cuda_oom():
            yield
        ''',
    "fvcore/__init__.py": "",
    "fvcore/nn/__init__.py": "",
    "fvcore/nn/weight_init.py": "",
    "matplotlib/__init__.py": "",
    "matplotlib/pyplot.py": "",
    "cv2.py": "",
}


def setup_scratch(sgseg_dir: pathlib.Path, catseg_dir, scratch: pathlib.Path):
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    shutil.copytree(sgseg_dir / "sgseg", scratch / "sgseg", ignore=shutil.ignore_patterns("__pycache__"))
    (scratch / "sgseg" / "__init__.py").write_text("# emptied in the scratch copy (missing cat_seg_head, §9.1)\n")
    (scratch / "sgseg" / "modeling" / "__init__.py").write_text("# emptied in the scratch copy\n")
    if catseg_dir is not None:
        dst = scratch / "catseg_model"
        dst.mkdir()
        (dst / "__init__.py").write_text("")
        shutil.copy(catseg_dir / "cat_seg" / "modeling" / "transformer" / "model.py", dst / "model.py")
    for rel, text in SHIMS.items():
        top = rel.split("/")[0].removesuffix(".py")
        try:
            if top in ("detectron2", "fvcore", "matplotlib", "cv2"):
                importlib.import_module(top)
                continue                      # the real package is installed: use it
        except ImportError:
            pass
        path = scratch / "shims" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    sys.path[:0] = [str(scratch / "shims"), str(scratch)]   # the authors' code, not ours
    os.environ["RoPE"] = "1"                  # as eva_clip.create_model sets it
    # Their modules import the bundled EVA code as `open_clip.eva_clip`; register the scratch
    # copy under that name inside the installed open_clip package.
    from importlib import util as importlib_util
    import open_clip
    eva_dir = scratch / "sgseg" / "src" / "open_clip" / "eva_clip"
    spec = importlib_util.spec_from_file_location("open_clip.eva_clip", eva_dir / "__init__.py",
                                                  submodule_search_locations=[str(eva_dir)])
    eva_clip = importlib_util.module_from_spec(spec)
    sys.modules["open_clip.eva_clip"] = eva_clip
    spec.loader.exec_module(eva_clip)
    open_clip.eva_clip = eva_clip
    return eva_clip


# --------------------------------------------------------------------------- configurations

def eva_configs():
    """A tiny EVA02 at their hard-coded sizes: 384 input, patch 16 (grid 24), E = 768,
    9 blocks so the B-16 taps [3, 7] exist."""
    vision = EVA02VisionConfig(image_size=384, patch_size=16, width=32, depth=9, heads=2, mlp_hidden=40,
                               embed_dim=768, pt_seq_len=16)
    text = EVA02TextConfig(vocab_size=64, context_length=77, width=16, layers=2, heads=2, mlp=64, embed_dim=768)
    their_vision = dict(image_size=384, layers=9, width=32, head_width=16, mlp_ratio=1.25, patch_size=16,
                        eva_model_name="eva-clip-tiny", xattn=False, fusedLN=False, rope=True, pt_hw_seq_len=16,
                        intp_freq=True, naiveswiglu=True, subln=True, drop_path_rate=0.0)
    their_text = dict(context_length=77, vocab_size=64, width=16, heads=2, layers=2, xattn=False, fusedLN=False)
    return vision, text, their_vision, their_text


def agg_config(pooling, bias="memory", hidden=64):
    return AggregatorConfig(embed_dim=768, prompt_channel=1, hidden=hidden, heads=4, window=12, layers=2,
                            pooling=pooling, feature_resolution=24, pad_len=256, appearance_proj=128, text_proj=128,
                            decoder_dims=(64, 32), decoder_guidance_dims=(256, 128),
                            decoder_guidance_proj_dims=(32, 16), bias=bias, memory_rows=17)


def their_aggregator(module, pooling, hidden=64):
    return module.Aggregator(text_guidance_dim=768, text_guidance_proj_dim=128, appearance_guidance_dim=768,
                             appearance_guidance_proj_dim=128, decoder_dims=(64, 32),
                             decoder_guidance_dims=(256, 128), decoder_guidance_proj_dims=(32, 16), num_layers=2,
                             nheads=4, hidden_dim=hidden, pooling_size=(pooling, pooling),
                             feature_resolution=(24, 24), window_size=12, attention_type="linear",
                             prompt_channel=1, pad_len=256)


def load_into(theirs: nn.Module, ours_sd: dict, allowed_missing=(), allowed_unexpected=()):
    missing, unexpected = theirs.load_state_dict(ours_sd, strict=False)
    bad_m = [k for k in missing if not any(s in k for s in allowed_missing)]
    bad_u = [k for k in unexpected if not any(s in k for s in allowed_unexpected)]
    return bad_m, bad_u


def inputs(g, b=2, t=5):
    img = F.normalize(torch.randn(b, 768, 24, 24, generator=g), dim=1)
    text = F.normalize(torch.randn(b, t, 1, 768, generator=g), dim=-1)
    res4 = torch.randn(b, 256, 48, 48, generator=g)
    res5 = torch.randn(b, 128, 96, 96, generator=g)
    return img, text, res4, res5


# --------------------------------------------------------------------------- checks

def test_head(scratch, checks):
    g = torch.Generator().manual_seed(20260)
    print("\n== head: our Aggregator vs sgseg/modeling/transformer/model.py Aggregator")
    their_mod = importlib.import_module("sgseg.modeling.transformer.model")
    for pooling in (1, 2):
        ours = randomise_(Aggregator(agg_config(pooling)), g).eval()
        theirs = their_aggregator(their_mod, pooling).eval()
        bad_m, bad_u = load_into(theirs, ours.state_dict(), ("memory.text", "feature_fusion_layer", "attn_mask"))
        checks.true(f"head state_dict keys equal (pooling {pooling})", not bad_m and not bad_u, f"{bad_m[:3]} {bad_u[:3]}")
        img, text, res4, res5 = inputs(g)
        with torch.no_grad():
            a = ours(img, text, [res4, res5])
            b = theirs(img, text, [img.clone(), res4.clone(), res5.clone()], None)
        checks.close(f"head logits, bias memory, pooling {pooling}", a, b, 1e-4)
    # class pruning (T > pad_len)
    ours = randomise_(Aggregator(agg_config(1, hidden=40)), g).eval()
    theirs = their_aggregator(their_mod, 1, hidden=40).eval()
    load_into(theirs, ours.state_dict(), ("memory.text", "feature_fusion_layer", "attn_mask"))
    img, text, res4, res5 = inputs(g, b=1, t=260)
    with torch.no_grad():
        a = ours(img, text, [res4, res5])
        b = theirs(img, text, [img.clone(), res4.clone(), res5.clone()], None)
    checks.close("head logits, T = 260 > pad_len (top-256 pruning)", a, b, 1e-4)
    # training-mode forward with labels: memory EMA update, then the biased head
    ours = randomise_(Aggregator(agg_config(2)), g)
    theirs = their_aggregator(their_mod, 2)
    load_into(theirs, ours.state_dict(), ("memory.text", "feature_fusion_layer", "attn_mask"))
    with torch.no_grad():
        ours.memory.memory.zero_()
        theirs.memory.memory.zero_()
    ours.train(), theirs.train()
    for step in range(3):
        img, text, res4, res5 = inputs(g, b=2, t=17)      # their memory.update copies the text into 17 rows
        gt = torch.randint(0, 17, (2, 40, 40), generator=g)
        gt[:, :5] = 255
        if step == 0:
            gt[gt > 8] = 3               # some classes first appear later
        with torch.no_grad():
            a = ours(img, text, [res4, res5], gt=gt)
            b = theirs(img, text, [img.clone(), res4.clone(), res5.clone()], gt)
        checks.close(f"head logits in training mode, step {step}", a, b, 1e-4)
        checks.close(f"memory after EMA update, step {step}", ours.memory.memory, theirs.memory.memory, 1e-5)
    checks.assert_all()


def test_head_catseg(scratch, catseg_scratch, checks):
    g = torch.Generator().manual_seed(20261)
    print("\n== head, bias none: our Aggregator vs CAT-Seg cat_seg/modeling/transformer/model.py")
    their_mod = importlib.import_module("catseg_model.model")
    for pooling in (1, 2):
        ours = randomise_(Aggregator(agg_config(pooling, bias="none")), g).eval()
        theirs = their_mod.Aggregator(text_guidance_dim=768, text_guidance_proj_dim=128, appearance_guidance_dim=768,
                                      appearance_guidance_proj_dim=128, decoder_dims=(64, 32),
                                      decoder_guidance_dims=(256, 128), decoder_guidance_proj_dims=(32, 16),
                                      num_layers=2, nheads=4, hidden_dim=64, pooling_size=(pooling, pooling),
                                      feature_resolution=(24, 24), window_size=12, attention_type="linear",
                                      prompt_channel=1, pad_len=256).eval()
        bad_m, bad_u = load_into(theirs, ours.state_dict(), ("attn_mask",))
        checks.true(f"CAT-Seg head state_dict keys equal (pooling {pooling})", not bad_m and not bad_u,
              f"{bad_m[:3]} {bad_u[:3]}")
        img, text, res4, res5 = inputs(g)
        img = img * 3.0                  # CAT-Seg's dense features are not normalised
        with torch.no_grad():
            a = ours(img, text, [res4, res5])
            b = theirs(img, text, [img.clone(), res4.clone(), res5.clone()])
        checks.close(f"CAT-Seg head logits, pooling {pooling}", a, b, 1e-4)
    checks.assert_all()


def build_eva_pair(eva_clip, g, checks):
    vision, text, tv, tt = eva_configs()
    ours = randomise_(EVA02CLIP(vision, text), g).eval()
    theirs = importlib.import_module('open_clip.eva_clip.model').CustomCLIP(768, tv, tt, quick_gelu=False).eval()
    bad_m, bad_u = load_into(theirs, ours.state_dict(), ("rope.freqs_", "attn_mask"))
    checks.true("EVA02 state_dict keys equal (theirs minus rope buffers)", not bad_m and not bad_u,
          f"{bad_m[:3]} {bad_u[:3]}")
    return ours, theirs


def tiny_text_ids(count=3):
    """Tiny-vocabulary prompts: SOT 62, words, EOT 63 (the largest id), zero padding."""
    ids = torch.zeros(count, 77, dtype=torch.long)
    for r in range(count):
        words = [1 + (7 * r + 3 * j) % 60 for j in range(2 + r % 4)]
        row = [62] + words + [63]
        ids[r, :len(row)] = torch.tensor(row)
    return ids


def test_eva02_towers(scratch, checks):
    eva_clip, g = scratch, torch.Generator().manual_seed(20262)
    print("\n== EVA02 towers: ours vs sgseg/src/open_clip/eva_clip CustomCLIP (non-xformers path)")
    ours, theirs = build_eva_pair(eva_clip, g, checks)
    x = torch.randn(2, 3, 384, 384, generator=g)
    taps = []
    hooks = [theirs.visual.blocks[i].register_forward_hook(lambda m, _, o: taps.append(o)) for i in (3, 7)]
    with torch.no_grad():
        dense_b = theirs.encode_dense(x, normalize=True, keep_shape=False, mode="csa")
        dense_a, tap_a = ours.visual.forward_dense(x, (3, 7))
        ids = tiny_text_ids()
        ta, tb = ours.text(ids), theirs.encode_text(ids)
    for h in hooks:
        h.remove()
    checks.close("dense CSA features (L2-normalised)", dense_a, dense_b, 1e-5)
    checks.close("tap after block 3 (patch tokens)", tap_a[3], taps[0][:, 1:], 1e-4)
    checks.close("tap after block 7 (patch tokens)", tap_a[7], taps[1][:, 1:], 1e-4)
    checks.close("text features (unnormalised)", ta, tb, 1e-5)
    checks.assert_all()


def build_their_sgseg(eva_clip, their_clip, their_agg, tokens):
    sgseg_model = importlib.import_module("sgseg.sgseg_model")
    head_mod = importlib.import_module("sgseg.modeling.heads.sgseg_head")
    pred_mod = importlib.import_module("sgseg.modeling.transformer.sgseg_predictor")
    pred = pred_mod.sgsegPredictor.__new__(pred_mod.sgsegPredictor)   # its __init__ loads real weights/JSONs
    nn.Module.__init__(pred)
    pred.clip_model, pred.transformer = their_clip, their_agg
    names = [f"class{i}" for i in range(tokens.shape[0])]
    pred.class_texts = pred.test_class_texts = names
    pred.prompt_templates = ["A photo of a {} in the scene"]
    pred.tokenizer, pred.tokens, pred.cache = None, tokens, None
    head = head_mod.sgsegHead(num_classes=len(names), ignore_value=255, feature_resolution=[24, 24],
                              transformer_predictor=pred, clip_pretrained="EVA02-CLIP-B-16")
    mean, std = [122.7709383, 116.7460125, 104.09373615], [68.5005327, 66.6321579, 70.3231630]
    model = sgseg_model.SGSeg(backbone=None, sem_seg_head=head, size_divisibility=32, pixel_mean=mean, pixel_std=std,
                              clip_pixel_mean=mean, clip_pixel_std=std, train_class_json="", test_class_json="",
                              sliding_window=True, clip_finetune="attention", backbone_multiplier=0.0,
                              clip_pretrained="EVA02-CLIP-B-16")
    model.upsample1 = nn.ConvTranspose2d(32, 256, kernel_size=2, stride=2)   # proj_dim 768 is for a real B-16
    model.upsample2 = nn.ConvTranspose2d(32, 128, kernel_size=4, stride=4)
    return model


def test_full_model(scratch, checks):
    eva_clip, g = scratch, torch.Generator().manual_seed(20263)
    print("\n== full model: our SGSegModel vs sgseg/sgseg_model.py SGSeg (sliding, whole, training losses)")
    vision, text, tv, tt = eva_configs()
    cfg = SGSegConfig(backbone="eva02", vision=vision, text=text, aggregator=agg_config(1), guidance_layers=(3, 7))
    ours = SGSegModel(cfg)
    randomise_(ours, g)
    ours.attach_teacher()
    with torch.no_grad():             # tuned ≠ frozen, as after fine-tuning
        for name, p in ours.clip.named_parameters():
            if name.endswith(("q_proj.weight", "v_proj.weight", "in_proj_weight")):
                p.add_(0.3 * torch.randn(p.shape, generator=g) / p.shape[-1] ** 0.5)
    ours.eval()
    their_mod = importlib.import_module("sgseg.modeling.transformer.model")
    their_clip = importlib.import_module('open_clip.eva_clip.model').CustomCLIP(768, tv, tt, quick_gelu=False)
    ids = tiny_text_ids()
    theirs = build_their_sgseg(eva_clip, their_clip, their_aggregator(their_mod, 1), ids)
    sd = ours.state_dict()
    bad_m, bad_u = load_into(theirs, sd, ("rope.freqs_", "attn_mask", "memory.text", "feature_fusion_layer",
                                          "teacher_sem_seg_head.predictor.transformer."))
    checks.true("full SGSeg state_dict keys equal (ours ⊂ theirs minus teacher head, rope, dead parts)",
          not bad_m and not bad_u, f"{bad_m[:3]} {bad_u[:3]}")
    theirs.eval()
    image = (torch.rand(3, 200, 280, generator=g) * 255).round()
    text = ours.encode_text(ids.unsqueeze(1))
    for mode in ("sliding", "whole"):
        theirs.sliding_window = mode == "sliding"
        theirs.sem_seg_head.predictor.cache = None
        with torch.no_grad():
            b = theirs([{"image": image.clone(), "height": 200, "width": 280}])[0]["sem_seg"]
        a, labels = ours.predict(image, text, inference=mode)
        checks.close(f"{mode} inference probabilities [T,H,W]", a, b, 1e-5)
        agree = float((labels == b.argmax(0)).float().mean())
        checks.true(f"{mode} inference label maps agree", agree >= 0.9999, f"({agree * 100:.3f} % of pixels)")
    # training losses (one step, labels with ignored pixels; memory starts at zero)
    theirs.train()
    ours.train()
    with torch.no_grad():
        ours.aggregator.memory.memory.zero_()
        theirs.sem_seg_head.predictor.transformer.memory.memory.zero_()
    ids = tiny_text_ids(17)                 # their memory.update needs exactly 17 training classes
    images = (torch.rand(2, 3, 120, 150, generator=g) * 255).round()
    labels = torch.randint(0, 17, (2, 120, 150), generator=g)
    labels[:, :10] = 255
    batch = [{"image": images[i].clone(), "sem_seg": labels[i].clone()} for i in range(2)]
    theirs.sem_seg_head.predictor.tokens = ids
    lb = theirs(batch)
    la = training_losses(ours, images, labels, ids.unsqueeze(1), TrainConfig(pooling=1))
    checks.close("training loss_sem_seg (BCE, ignored pixels all-negative)", la["loss_sem_seg"], lb["loss_sem_seg"], 1e-6)
    checks.close("training loss_rc (0.1 · compensation)", la["loss_rc"], lb["loss_rc"], 1e-9)
    checks.true("training loss_rc is non-zero (tuned ≠ frozen)", float(lb["loss_rc"].detach()) > 0,
          f"({float(lb['loss_rc'].detach()):.3e})")
    checks.close("memory after the training step", ours.aggregator.memory.memory,
           theirs.sem_seg_head.predictor.transformer.memory.memory, 1e-5)
    checks.assert_all()


def test_compensation(scratch, checks):
    g = torch.Generator().manual_seed(20264)
    print("\n== compensation distance: ours vs sgseg/representation_compensation.py")
    rc = importlib.import_module("sgseg.representation_compensation").Representation_Compensation()
    for shape in ((2, 768, 24, 24), (1, 8, 6, 10)):
        a, b = torch.randn(shape, generator=g), torch.randn(shape, generator=g)
        checks.close(f"compensation distance {list(shape)}", compensation_distance(a, b), rc(a, b), 1e-7)
    checks.assert_all()


def test_openai_backbone(scratch, checks):
    g = torch.Generator().manual_seed(20265)
    print("\n== OpenAI backbone: our HF CAT-Seg path vs sgseg/third_party/model_vpt.py (CAT-Seg's CLIP)")
    from transformers import CLIPConfig, CLIPTextConfig, CLIPVisionConfig
    vpt = importlib.import_module("sgseg.third_party.model_vpt")
    cfg = CLIPConfig(text_config=CLIPTextConfig(vocab_size=64, hidden_size=64, num_attention_heads=1,
                                                num_hidden_layers=2, intermediate_size=256,
                                                max_position_embeddings=77, bos_token_id=62, eos_token_id=63,
                                                pad_token_id=0).to_dict(),
                     vision_config=CLIPVisionConfig(hidden_size=64, num_attention_heads=1, num_hidden_layers=3,
                                                    intermediate_size=256, patch_size=16, image_size=64).to_dict(),
                     projection_dim=32)
    hf = randomise_(clip_openai.build_clip(cfg), g).eval()
    sd = openai_names(hf.state_dict(), packed=False)        # CAT-Seg's stored form: separate q/k/v weights
    sd_build = openai_names(hf.state_dict(), packed=True)   # build_model reads plain OpenAI (packed) names
    sd_build.update({"input_resolution": 0, "context_length": 0, "vocab_size": 0})
    theirs = vpt.build_model(sd_build).float()              # it casts to fp16: reload in fp32 below
    bad_m, bad_u = load_into(theirs, sd, (), ())
    checks.true("OpenAI-named keys load into CAT-Seg's CLIP", not bad_m and not bad_u, f"{bad_m[:3]} {bad_u[:3]}")
    theirs.eval()
    x = torch.randn(2, 3, 64, 64, generator=g)
    taps = []
    hooks = [theirs.visual.transformer.resblocks[i].register_forward_hook(lambda m, _, o: taps.append(o))
             for i in (0, 1)]
    with torch.no_grad():
        dense_b = theirs.encode_image(x, dense=True)[:, 1:]
        dense_a, tap_a = clip_openai.catseg_dense(hf, x, (0, 1))
        ids = tiny_text_ids()
        ta, tb = clip_openai.encode_text(hf, ids), theirs.encode_text(ids)
    for h in hooks:
        h.remove()
    checks.close("CAT-Seg dense features (value path, unnormalised)", dense_a, dense_b, 1e-5)
    checks.close("CAT-Seg tap after block 0", tap_a[0], taps[0][1:].transpose(0, 1), 1e-5)
    checks.close("CAT-Seg tap after block 1", tap_a[1], taps[1][1:].transpose(0, 1), 1e-5)
    checks.close("CAT-Seg text features (unnormalised)", ta, tb, 1e-5)
    # the converter: a CAT-Seg detectron2 checkpoint in OpenAI names → our file → same dense features
    model = SGSegModel(SGSegConfig(backbone="openai", hf_clip=cfg, bias="none", guidance_layers=(0, 1),
                                   aggregator=tiny_aggregator(embed_dim=32, grid=4, bias="none")))
    randomise_(model, g)
    pth = {CLIP + k: v for k, v in sd.items()}
    pth.update({k: v for k, v in model.state_dict().items() if not k.startswith(CLIP)})
    with tempfile.TemporaryDirectory() as tmp:
        torch.save({"model": pth, "iteration": 1}, f"{tmp}/catseg.pth")
        convert(f"{tmp}/catseg.pth", f"{tmp}/catseg.safetensors", guidance_layers=[0, 1], vision_heads=1,
                text_heads=1, aggregator_heads=2, aggregator_window=2, pad_len=5)
        converted = load_model(f"{tmp}/catseg.safetensors")
    with torch.no_grad():
        dense_c, _ = clip_openai.catseg_dense(converted.clip, x, (0, 1))
        tc = clip_openai.encode_text(converted.clip, ids)
    checks.close("converted CAT-Seg checkpoint: dense features", dense_c, dense_b, 1e-5)
    checks.close("converted CAT-Seg checkpoint: text features", tc, tb, 1e-5)
    checks.assert_all()


@pytest.fixture(scope="module")
def scratch(sgseg_src, tmp_path_factory):
    """The authors' SGSeg in a scratch copy; returns their `eva_clip` package."""
    catseg = os.environ.get("OVSEG_CATSEG_SRC")
    return setup_scratch(sgseg_src, pathlib.Path(catseg) if catseg else None, tmp_path_factory.mktemp("authors"))


@pytest.fixture(scope="module")
def catseg_scratch(scratch, catseg_src):
    return catseg_src
