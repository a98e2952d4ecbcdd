#!/usr/bin/env python3
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
   §5 (separate `q/k/v_proj_weight` + packed `in_proj_bias`, as CAT-Seg
   stores them; `visual.proj` and `text_projection` as [W,E]); a second file
   uses the packed `in_proj_weight` of plain OpenAI CLIP. Both must convert
   back to the original HF tensors exactly and reproduce the outputs.
3. Errors: a checkpoint without a CLIP, and one with a stray top-level key,
   are refused with messages naming the problem.

Run: PYTHONPATH=reference /tmp/venv/bin/python reference/test_convert.py
"""
import pathlib
import sys
import tempfile

import torch

from ovseg_reference import export
from ovseg_reference.export import CLIP, AGG, convert, load_model, read_safetensors
from ovseg_reference.head import BiAttentionBlock
from ovseg_reference.tiny import build_tiny, tiny_catseg_config, tiny_ids, tiny_sgseg_config

torch.set_num_threads(1)
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


def openai_names(hf: dict, packed: bool) -> dict:
    """HF CLIPModel tensors → OpenAI/CAT-Seg names (the inverse of §9.4, written out here)."""
    out = {}
    ren = {"layer_norm1": "ln_1", "layer_norm2": "ln_2", "mlp.fc1": "mlp.c_fc", "mlp.fc2": "mlp.c_proj",
           "self_attn.out_proj": "attn.out_proj"}
    for tower, base, depth in (("vision_model.encoder.layers.", "visual.transformer.resblocks.", 3),
                               ("text_model.encoder.layers.", "transformer.resblocks.", 2)):
        for n in range(depth):
            src = f"{tower}{n}."
            qkv_w = [hf[f"{src}self_attn.{x}_proj.weight"] for x in "qkv"]
            qkv_b = [hf[f"{src}self_attn.{x}_proj.bias"] for x in "qkv"]
            if packed:
                out[f"{base}{n}.attn.in_proj_weight"] = torch.cat(qkv_w)
            else:
                for x, w in zip("qkv", qkv_w):
                    out[f"{base}{n}.attn.{x}_proj_weight"] = w
            out[f"{base}{n}.attn.in_proj_bias"] = torch.cat(qkv_b)
            for k, v in hf.items():
                if k.startswith(src) and "self_attn.q_proj" not in k and "self_attn.k_proj" not in k \
                        and "self_attn.v_proj" not in k:
                    tail = k[len(src):]
                    for a, b in ren.items():
                        if tail.startswith(a):
                            tail = b + tail[len(a):]
                    out[f"{base}{n}.{tail}"] = v
    simple = {"vision_model.embeddings.patch_embedding.weight": "visual.conv1.weight",
              "vision_model.embeddings.class_embedding": "visual.class_embedding",
              "vision_model.embeddings.position_embedding.weight": "visual.positional_embedding",
              "vision_model.pre_layrnorm.weight": "visual.ln_pre.weight",
              "vision_model.pre_layrnorm.bias": "visual.ln_pre.bias",
              "vision_model.post_layernorm.weight": "visual.ln_post.weight",
              "vision_model.post_layernorm.bias": "visual.ln_post.bias",
              "text_model.embeddings.token_embedding.weight": "token_embedding.weight",
              "text_model.embeddings.position_embedding.weight": "positional_embedding",
              "text_model.final_layer_norm.weight": "ln_final.weight",
              "text_model.final_layer_norm.bias": "ln_final.bias", "logit_scale": "logit_scale"}
    for a, b in simple.items():
        out[b] = hf[a]
    out["visual.proj"] = hf["visual_projection.weight"].t().contiguous()
    out["text_projection"] = hf["text_projection.weight"].t().contiguous()
    return out


def main() -> int:
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="ovseg-convert-"))
    checks = []

    # 1. SGSeg
    model = build_tiny(tiny_sgseg_config(), 11)
    expected_drop = sgseg_pth(model, tmp / "sgseg.pth")
    info = convert(tmp / "sgseg.pth", tmp / "sgseg.safetensors", classes=["a", "b", "c", "d", "e"],
                   guidance_layers=[0, 1], vision_heads=2, text_heads=2, **TINY_HEAD)
    sd, meta = read_safetensors(tmp / "sgseg.safetensors")
    checks.append(("sgseg dropped = teacher, rope, memory.text, fusion, attn_mask",
                   set(info["dropped"]) == expected_drop))
    original = {k: v for k, v in model.state_dict().items()}
    checks.append(("sgseg kept tensors identical",
                   set(sd) == set(original) and all(torch.equal(sd[k], original[k]) for k in sd)))
    checks.append(("sgseg metadata", meta["sgseg.arch"] == "sgseg" and meta["sgseg.backbone"] == "eva02"
                   and meta["sgseg.bias"] == "memory" and "sgseg.pth sha256" in meta["sgseg.source"]))
    conv = load_model(tmp / "sgseg.safetensors", geometry=model.cfg.geometry)
    checks.append(("sgseg converted outputs equal", torch.equal(outputs(conv), outputs(model))))
    info_live = convert(tmp / "sgseg.pth", tmp / "sgseg_live.safetensors", live_text=True, guidance_layers=[0, 1],
                        vision_heads=2, text_heads=2, **TINY_HEAD)
    sd_live, meta_live = read_safetensors(tmp / "sgseg_live.safetensors")
    checks.append(("live text keeps feature_fusion_layer",
                   any(k.startswith(AGG + "feature_fusion_layer.") for k in sd_live)
                   and meta_live.get("sgseg.live_text_bias") == "true"
                   and not any(k.startswith(AGG + "feature_fusion_layer.") for k in info_live["dropped"])))

    # 2. CAT-Seg, OpenAI names (separate q/k/v as CAT-Seg stores them, and packed)
    cat = build_tiny(tiny_catseg_config(), 12)
    hf = {k[len(CLIP):]: v for k, v in cat.state_dict().items() if k.startswith(CLIP)}
    rest = {k: v for k, v in cat.state_dict().items() if not k.startswith(CLIP)}
    for packed in (False, True):
        name = "catseg_packed" if packed else "catseg"
        sd_pth = {CLIP + k: v for k, v in openai_names(hf, packed).items()}
        sd_pth.update(rest)
        torch.save({"model": sd_pth, "iteration": 5}, tmp / f"{name}.pth")
        info = convert(tmp / f"{name}.pth", tmp / f"{name}.safetensors", guidance_layers=[0, 1],
                       vision_heads=4, text_heads=2, **TINY_HEAD)
        sd, meta = read_safetensors(tmp / f"{name}.safetensors")
        full = cat.state_dict()
        checks.append((f"{name}: HF names restored exactly",
                       set(sd) == set(full) and all(torch.equal(sd[k], full[k]) for k in sd)))
        conv = load_model(tmp / f"{name}.safetensors", geometry=cat.cfg.geometry)
        checks.append((f"{name}: outputs equal", torch.equal(outputs(conv), outputs(cat))))
        checks.append((f"{name}: metadata", meta["sgseg.arch"] == "catseg" and meta["sgseg.backbone"] == "openai"
                       and meta["sgseg.dense"] == "catseg" and info["clip_naming"] == "openai"))

    # 3. refusals
    try:
        convert(tmp / "sgseg.pth", tmp / "z.safetensors")
        checks.append(("underivable head count refused", False))
    except ValueError as e:
        checks.append(("underivable head count refused", "vision_heads" in str(e)))
    torch.save({"model": rest}, tmp / "noclip.pth")
    try:
        convert(tmp / "noclip.pth", tmp / "x.safetensors")
        checks.append(("no CLIP refused", False))
    except KeyError as e:
        checks.append(("no CLIP refused", "no CLIP" in str(e)))
    stray = dict(model.state_dict())
    stray["criterion.empty_weight"] = torch.ones(3)
    torch.save({"model": stray}, tmp / "stray.pth")
    try:
        convert(tmp / "stray.pth", tmp / "y.safetensors")
        checks.append(("stray key refused", False))
    except KeyError as e:
        checks.append(("stray key refused", "criterion.empty_weight" in str(e)))

    # CLI
    rc = export.main(["convert", str(tmp / "catseg.pth"), str(tmp / "cli.safetensors"), "--guidance-layers", "0,1",
                      "--vision-heads", "4", "--text-heads", "2", "--aggregator-heads", "2",
                      "--aggregator-window", "2", "--pad-len", "5", "--f16"])
    sd16, _ = read_safetensors(tmp / "cli.safetensors")
    checks.append(("CLI convert --f16", rc == 0 and len(sd16) == len(cat.state_dict())))

    for name, ok in checks:
        print(("PASS " if ok else "FAIL ") + name)
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
