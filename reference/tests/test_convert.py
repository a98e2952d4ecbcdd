"""Converter test on synthetic detectron2 checkpoints (both kinds).

1. SGSeg: a tiny random SGSeg model is wrapped as the release would save it —
   `{"model": state_dict, "iteration": …}` with the full teacher copy
   (`teacher_sem_seg_head.predictor.{clip_model,transformer}.*`), the RoPE
   buffers under `visual.rope.*` and every `visual.blocks.N.attn.rope.*`, the
   unused `memory.text`, a `feature_fusion_layer.*` block and the Swin
   `attn_mask` buffers. `convert` must drop exactly those, keep the rest
   unchanged, and the converted file must reproduce the model's outputs
   bit for bit. With `live_text=True` the fusion block must be kept.
2. CAT-Seg: a tiny random CAT-Seg model on an HF CLIP is rewritten into
   OpenAI/CAT-Seg names by an independent inverse of docs/checkpoint-format.md
   §5 (`ovseg_reference.openai_names`) (separate `q/k/v_proj_weight` + packed `in_proj_bias`, as CAT-Seg
   stores them; `visual.proj` and `text_projection` as [W,E]); a second file
   uses the packed `in_proj_weight` of plain OpenAI CLIP. Both must convert
   back to the original HF tensors exactly and reproduce the outputs.
3. Errors: a checkpoint without a CLIP, and one with a stray top-level key,
   are refused with messages naming the problem.

Run: pytest reference/tests/test_convert.py
"""
import pytest
import torch
from safetensors import safe_open

from ovseg_reference import export
from ovseg_reference.export import CLIP, AGG, convert, load_model, read_safetensors
from ovseg_reference.head import BiAttentionBlock
from ovseg_reference.openai_names import openai_names
from ovseg_reference.tiny import build_tiny, tiny_catseg_config, tiny_ids, tiny_sgseg_config

IMAGE = (torch.rand(3, 30, 44, generator=torch.Generator().manual_seed(3)) * 255).round()
TINY_HEAD = dict(aggregator_heads=2, aggregator_window=2, pad_len=5)
IDS = tiny_ids([[1, 2, 3], [4, 5], [6, 7, 8, 9]])


def outputs(model):
    text = model.encode_text(IDS)
    return torch.cat([model.predict(IMAGE, text, inference=m)[0].flatten() for m in ("sliding", "whole")])


def sgseg_pth(model, path):
    sd = {k: v.clone() for k, v in model.state_dict().items()}
    # the release's full teacher (CLIP + an Aggregator copy)
    for k, v in list(sd.items()):
        if k.startswith("sem_seg_head.predictor."):
            sd["teacher_" + k] = v.clone()
    extra = {}
    cos, sin = model.clip.visual.rope_cos, model.clip.visual.rope_sin
    extra[CLIP + "visual.rope.freqs_cos"], extra[CLIP + "visual.rope.freqs_sin"] = cos, sin
    for i in range(len(model.clip.visual.blocks)):
        extra[CLIP + f"visual.blocks.{i}.attn.rope.freqs_cos"] = cos
        extra[CLIP + f"visual.blocks.{i}.attn.rope.freqs_sin"] = sin
    extra[AGG + "memory.text"] = torch.randn(5, 1, 16)
    fusion = BiAttentionBlock(16, 32, 4)
    for k, v in fusion.state_dict().items():
        extra[AGG + "feature_fusion_layer." + k] = v
    for i in range(2):
        extra[AGG + f"layers.{i}.swin_block.block_2.attn_mask"] = torch.zeros(4, 4, 4)
    sd.update(extra)
    torch.save({"model": sd, "iteration": 99, "scheduler": {"last_epoch": 99}}, path)
    return set(extra) | {k for k in sd if k.startswith("teacher_")}


@pytest.fixture(scope="module")
def sgseg(tmp_path_factory):
    torch.set_num_threads(1)
    tmp = tmp_path_factory.mktemp("convert-sgseg")
    model = build_tiny(tiny_sgseg_config(), 11)
    expected_drop = sgseg_pth(model, tmp / "sgseg.pth")
    info = convert(tmp / "sgseg.pth", tmp / "sgseg.safetensors", classes=["a", "b", "c", "d", "e"],
                   guidance_layers=[0, 1], vision_heads=2, text_heads=2, **TINY_HEAD)
    return tmp, model, expected_drop, info


@pytest.fixture(scope="module")
def catseg():
    torch.set_num_threads(1)
    cat = build_tiny(tiny_catseg_config(), 12)
    hf = {k[len(CLIP):]: v for k, v in cat.state_dict().items() if k.startswith(CLIP)}
    rest = {k: v for k, v in cat.state_dict().items() if not k.startswith(CLIP)}
    return cat, hf, rest


# 1. SGSeg

def test_sgseg_drops_teacher_rope_memory_text_fusion_attn_mask(sgseg):
    _, _, expected_drop, info = sgseg
    assert set(info["dropped"]) == expected_drop


def test_sgseg_keeps_other_tensors_unchanged(sgseg):
    tmp, model, _, _ = sgseg
    sd, _ = read_safetensors(tmp / "sgseg.safetensors")
    original = dict(model.state_dict())
    assert set(sd) == set(original)
    assert [k for k in sd if not torch.equal(sd[k], original[k])] == []


def test_sgseg_metadata(sgseg):
    tmp, _, _, _ = sgseg
    _, meta = read_safetensors(tmp / "sgseg.safetensors")
    assert meta["sgseg.arch"] == "sgseg"
    assert meta["sgseg.backbone"] == "eva02"
    assert meta["sgseg.bias"] == "memory"
    assert "sgseg.pth sha256" in meta["sgseg.source"]


def test_sgseg_converted_outputs_equal(sgseg):
    tmp, model, _, _ = sgseg
    conv = load_model(tmp / "sgseg.safetensors", geometry=model.cfg.geometry)
    assert torch.equal(outputs(conv), outputs(model))


def test_live_text_keeps_feature_fusion_layer(sgseg):
    tmp, _, _, _ = sgseg
    info_live = convert(tmp / "sgseg.pth", tmp / "sgseg_live.safetensors", live_text=True, guidance_layers=[0, 1],
                        vision_heads=2, text_heads=2, **TINY_HEAD)
    sd_live, meta_live = read_safetensors(tmp / "sgseg_live.safetensors")
    assert any(k.startswith(AGG + "feature_fusion_layer.") for k in sd_live)
    assert meta_live.get("sgseg.live_text_bias") == "true"
    assert not any(k.startswith(AGG + "feature_fusion_layer.") for k in info_live["dropped"])


# 2. CAT-Seg, OpenAI names (separate q/k/v as CAT-Seg stores them, and packed)

@pytest.mark.parametrize("packed", [False, True], ids=["separate-qkv", "packed-qkv"])
def test_catseg_openai_names(catseg, packed, tmp_path):
    cat, hf, rest = catseg
    sd_pth = {CLIP + k: v for k, v in openai_names(hf, packed).items()}
    sd_pth.update(rest)
    torch.save({"model": sd_pth, "iteration": 5}, tmp_path / "catseg.pth")
    info = convert(tmp_path / "catseg.pth", tmp_path / "catseg.safetensors", guidance_layers=[0, 1],
                   vision_heads=4, text_heads=2, **TINY_HEAD)
    sd, meta = read_safetensors(tmp_path / "catseg.safetensors")
    full = cat.state_dict()
    assert set(sd) == set(full), "HF names not restored"
    assert [k for k in sd if not torch.equal(sd[k], full[k])] == [], "tensors changed"
    conv = load_model(tmp_path / "catseg.safetensors", geometry=cat.cfg.geometry)
    assert torch.equal(outputs(conv), outputs(cat))
    assert (meta["sgseg.arch"], meta["sgseg.backbone"], meta["sgseg.dense"], info["clip_naming"]) \
        == ("catseg", "openai", "catseg", "openai")


# 3. refusals

def test_underivable_head_count_refused(sgseg):
    tmp, _, _, _ = sgseg
    with pytest.raises(ValueError, match="vision_heads"):
        convert(tmp / "sgseg.pth", tmp / "z.safetensors")


def test_checkpoint_without_clip_refused(catseg, tmp_path):
    _, _, rest = catseg
    torch.save({"model": rest}, tmp_path / "noclip.pth")
    with pytest.raises(KeyError, match="no CLIP"):
        convert(tmp_path / "noclip.pth", tmp_path / "x.safetensors")


def test_stray_key_refused(sgseg, tmp_path):
    _, model, _, _ = sgseg
    stray = dict(model.state_dict())
    stray["criterion.empty_weight"] = torch.ones(3)
    torch.save({"model": stray}, tmp_path / "stray.pth")
    with pytest.raises(KeyError, match="criterion.empty_weight"):
        convert(tmp_path / "stray.pth", tmp_path / "y.safetensors")


# CLI

def test_cli_convert_f16(catseg, tmp_path):
    cat, hf, rest = catseg
    sd_pth = {CLIP + k: v for k, v in openai_names(hf, False).items()}
    sd_pth.update(rest)
    torch.save({"model": sd_pth, "iteration": 5}, tmp_path / "catseg.pth")
    rc = export.main(["convert", str(tmp_path / "catseg.pth"), str(tmp_path / "cli.safetensors"),
                      "--guidance-layers", "0,1", "--vision-heads", "4", "--text-heads", "2",
                      "--aggregator-heads", "2", "--aggregator-window", "2", "--pad-len", "5", "--f16"])
    sd16, _ = read_safetensors(tmp_path / "cli.safetensors")
    assert rc == 0
    assert len(sd16) == len(cat.state_dict())
    with safe_open(str(tmp_path / "cli.safetensors"), framework="pt") as f:   # read_safetensors widens to F32
        stored = {f.get_slice(k).get_dtype() for k in f.keys()}
    assert "F32" not in stored and "F16" in stored, stored
