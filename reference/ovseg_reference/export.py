"""Checkpoint export, loading and conversion (our own code).

* `export_model(model, path, …)`: a `SGSegModel` → safetensors with the
  repository's key names and the project's `__metadata__` (all values strings),
  as `docs/checkpoint-format.md` §2 and §3 define them.
* `load_model(path)`: the inverse (sizes from tensor shapes, the rest from the
  metadata, defaults = the released model).
* `convert(pth, out, …)`: a detectron2 `model_final.pth` of SGSeg or CAT-Seg →
  safetensors: unwrap `["model"]`; drop `teacher_sem_seg_head.*`,
  `*.attn_mask`, `*rope.freqs_*`, `memory.text` and `feature_fusion_layer.*`
  (kept with `live_text=True`); OpenAI-named CLIP weights (CAT-Seg) are renamed
  to Hugging Face names (`docs/checkpoint-format.md` §5: packed or separate q/k/v
  split, `visual.proj` and `text_projection` transposed).

CLI: `python -m ovseg_reference.export convert IN.pth OUT.safetensors [options]`
and `python -m ovseg_reference.export inspect FILE.safetensors`.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import pathlib
import sys
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import torch

from .eva02 import text_config_from_state_dict, vision_config_from_state_dict
from .head import AggregatorConfig
from .model import DEFAULT_TEMPLATE, SGSegConfig, SGSegModel
from .windows import SlidingGeometry

CLIP = "sem_seg_head.predictor.clip_model."
AGG = "sem_seg_head.predictor.transformer."
TEACHER = "teacher_sem_seg_head."
TEACHER_CLIP = "teacher_sem_seg_head.predictor.clip_model."

# The release's training vocabulary (datasets/DLRSD.json, 17 classes).
DLRSD_CLASSES = ["airplane", "bare soil", "buildings", "cars", "chaparral", "court", "dock", "field", "grass",
                 "mobile home", "pavement", "sand", "sea", "ship", "tanks", "trees", "water"]


# --------------------------------------------------------------------------- metadata

def checkpoint_metadata(model: SGSegModel, classes: Optional[Sequence[str]] = None, source: str = "",
                        extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """The `__metadata__` of a model (the keys of docs/checkpoint-format.md §3)."""
    cfg = model.cfg
    agg = cfg.aggregator
    meta = {
        "format": "pt",
        "sgseg.version": "1",
        "sgseg.arch": "sgseg" if cfg.bias == "memory" else "catseg",
        "sgseg.backbone": cfg.backbone,
        "sgseg.dense": cfg.dense,
        "sgseg.bias": cfg.bias,
        "sgseg.clip.input": str(cfg.clip_input),
        "sgseg.clip.guidance_layers": json.dumps(list(cfg.guidance_layers)),
        "sgseg.aggregator.heads": str(agg.heads),
        "sgseg.aggregator.window": str(agg.window),
        "sgseg.aggregator.pad_len": str(agg.pad_len),
        "sgseg.aggregator.pooling": str(cfg.pooling),
        "sgseg.templates": json.dumps(list(cfg.templates)),
        "sgseg.inference": cfg.inference,
        "sgseg.inference.out_res": str(cfg.geometry.out_res),
        "sgseg.inference.window": str(cfg.geometry.window),
        "sgseg.inference.stride": str(cfg.geometry.stride),
        "sgseg.source": source,
    }
    if cfg.backbone == "eva02":
        meta["sgseg.clip.vision_heads"] = str(cfg.vision.heads)
        meta["sgseg.clip.text_heads"] = str(cfg.text.heads)
        meta["sgseg.clip.rope_pt_seq_len"] = str(cfg.vision.pt_seq_len)
    else:
        meta["sgseg.clip.vision_heads"] = str(cfg.hf_clip.vision_config.num_attention_heads)
        meta["sgseg.clip.text_heads"] = str(cfg.hf_clip.text_config.num_attention_heads)
        meta["sgseg.clip.hidden_act"] = cfg.hf_clip.vision_config.hidden_act
    if classes is not None:
        meta["sgseg.classes"] = json.dumps(list(classes))
    if cfg.frozen_compensation:
        meta["sgseg.frozen_compensation"] = "feature_add"
        meta["sgseg.frozen_alpha"] = repr(float(cfg.frozen_alpha))
    if agg.live_text_bias:
        meta["sgseg.live_text_bias"] = "true"
    meta.update(extra or {})
    return meta


# --------------------------------------------------------------------------- export

def export_state_dict(model: SGSegModel, teacher_text: bool = False) -> Dict[str, torch.Tensor]:
    """The checkpoint tensors: tuned CLIP, head, upsample1/2; the teacher CLIP
    only for the `frozen_compensation` variant (its vision side only unless
    `teacher_text`: inference never runs the teacher's text tower)."""
    out = {}
    for k, v in model.state_dict().items():
        if k.startswith(TEACHER):
            if not model.cfg.frozen_compensation:
                continue
            tail = k[len(TEACHER_CLIP):]
            is_text = tail.startswith(("text.", "text_model.", "text_projection", "logit_scale"))
            if is_text and not teacher_text:
                continue
        out[k] = v.detach().clone().contiguous()
    return out


def save_tensors(tensors: Dict[str, torch.Tensor], path, metadata: Dict[str, str],
                 dtype: torch.dtype = torch.float32):
    from safetensors.torch import save_file
    cast = {k: (v.to(dtype) if v.is_floating_point() else v).contiguous() for k, v in tensors.items()}
    pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
    save_file(cast, str(path), metadata=metadata)


def export_model(model: SGSegModel, path, classes: Optional[Sequence[str]] = None, source: str = "",
                 dtype: torch.dtype = torch.float32, extra_metadata: Optional[Dict[str, str]] = None,
                 teacher_text: bool = False) -> Dict[str, str]:
    """Write `model` to `path` (safetensors, `dtype` for floating tensors) and return the metadata."""
    meta = checkpoint_metadata(model, classes, source, extra_metadata)
    save_tensors(export_state_dict(model, teacher_text), path, meta, dtype)
    return meta


# --------------------------------------------------------------------------- load

def _int_meta(meta: Dict[str, str], key: str, default: int) -> int:
    return int(meta[key]) if key in meta else default


def _layer_count(sd: Dict[str, torch.Tensor], prefix: str) -> int:
    idx = {int(k[len(prefix):].split(".")[0]) for k in sd if k.startswith(prefix)}
    return 1 + max(idx) if idx else 0


def aggregator_config_from_state_dict(sd: Dict[str, torch.Tensor], meta: Dict[str, str], grid: int,
                                      pooling: Optional[int] = None) -> AggregatorConfig:
    p = AGG
    live = meta.get("sgseg.live_text_bias", "false") == "true" or (p + "feature_fusion_layer.gamma_v") in sd
    return AggregatorConfig(
        embed_dim=sd[p + "guidance_projection.0.weight"].shape[1],
        prompt_channel=sd[p + "conv1.weight"].shape[1],
        hidden=sd[p + "conv1.weight"].shape[0],
        heads=_int_meta(meta, "sgseg.aggregator.heads", 4),
        window=_int_meta(meta, "sgseg.aggregator.window", 12),
        layers=_layer_count(sd, p + "layers."),
        pooling=pooling or _int_meta(meta, "sgseg.aggregator.pooling", 1),
        feature_resolution=grid,
        pad_len=_int_meta(meta, "sgseg.aggregator.pad_len", 256),
        appearance_proj=sd[p + "guidance_projection.0.weight"].shape[0],
        text_proj=sd[p + "text_guidance_projection.0.weight"].shape[0],
        decoder_dims=(sd[p + "decoder1.conv.double_conv.0.weight"].shape[0],
                      sd[p + "decoder2.conv.double_conv.0.weight"].shape[0]),
        decoder_guidance_dims=(sd[p + "decoder_guidance_projection.0.0.weight"].shape[1],
                               sd[p + "decoder_guidance_projection.1.0.weight"].shape[1]),
        decoder_guidance_proj_dims=(sd[p + "decoder_guidance_projection.0.0.weight"].shape[0],
                                    sd[p + "decoder_guidance_projection.1.0.weight"].shape[0]),
        bias="memory" if (p + "memory.memory") in sd else "none",
        memory_rows=sd[p + "memory.memory"].shape[0] if (p + "memory.memory") in sd else 17,
        live_text_bias=live,
        fusion_dim=sd[p + "feature_fusion_layer.attn.v_proj.weight"].shape[0] if live else None,
    )


def hf_clip_config_from_state_dict(sd: Dict[str, torch.Tensor], prefix: str, vision_heads: Optional[int],
                                   text_heads: Optional[int], hidden_act: str = "quick_gelu"):
    """transformers.CLIPConfig from HF-named tensor shapes (heads default width/64)."""
    from transformers import CLIPConfig, CLIPTextConfig, CLIPVisionConfig
    v, t = prefix + "vision_model.", prefix + "text_model."
    patch = sd[v + "embeddings.patch_embedding.weight"]
    vwidth, psize = patch.shape[0], patch.shape[-1]
    grid = int(round((sd[v + "embeddings.position_embedding.weight"].shape[0] - 1) ** 0.5))
    vocab, twidth = sd[t + "embeddings.token_embedding.weight"].shape
    vision = CLIPVisionConfig(hidden_size=vwidth, intermediate_size=sd[v + "encoder.layers.0.mlp.fc1.weight"].shape[0],
                              num_hidden_layers=_layer_count(sd, v + "encoder.layers."),
                              num_attention_heads=vision_heads or vwidth // 64, patch_size=psize,
                              image_size=grid * psize, hidden_act=hidden_act)
    text = CLIPTextConfig(vocab_size=vocab, hidden_size=twidth,
                          intermediate_size=sd[t + "encoder.layers.0.mlp.fc1.weight"].shape[0],
                          num_hidden_layers=_layer_count(sd, t + "encoder.layers."),
                          num_attention_heads=text_heads or twidth // 64,
                          max_position_embeddings=sd[t + "embeddings.position_embedding.weight"].shape[0],
                          hidden_act=hidden_act, bos_token_id=vocab - 2, eos_token_id=vocab - 1, pad_token_id=0)
    return CLIPConfig(text_config=text.to_dict(), vision_config=vision.to_dict(),
                      projection_dim=sd[prefix + "visual_projection.weight"].shape[0])


def config_from_state_dict(sd: Dict[str, torch.Tensor], meta: Dict[str, str], **overrides) -> SGSegConfig:
    """An SGSegConfig for a checkpoint (shapes + metadata; `overrides` win)."""
    eva = (CLIP + "visual.blocks.0.attn.q_bias") in sd
    backbone = "eva02" if eva else "openai"
    vheads = meta.get("sgseg.clip.vision_heads")
    theads = meta.get("sgseg.clip.text_heads")
    widths = {"vision": sd[CLIP + ("visual.patch_embed.proj.weight" if eva else
                                   "vision_model.embeddings.patch_embedding.weight")].shape[0],
              "text": sd[CLIP + ("text.token_embedding.weight" if eva else
                                 "text_model.embeddings.token_embedding.weight")].shape[1]}
    for tower, given in (("vision", vheads), ("text", theads)):
        if given is None and (widths[tower] < 64 or widths[tower] % 64 != 0):
            raise ValueError(f"{tower} width {widths[tower]} is not a multiple of 64: the head count cannot be "
                             f"derived; give sgseg.clip.{tower}_heads (--{tower}-heads when converting)")
    kwargs = dict(backbone=backbone)
    if eva:
        vision = vision_config_from_state_dict(sd, CLIP + "visual.", heads=int(vheads) if vheads else None,
                                               pt_seq_len=_int_meta(meta, "sgseg.clip.rope_pt_seq_len", 16))
        text = text_config_from_state_dict(sd, CLIP + "text.", heads=int(theads) if theads else None)
        kwargs.update(vision=vision, text=text)
        grid, width = vision.grid, vision.width
    else:
        hf = hf_clip_config_from_state_dict(sd, CLIP, int(vheads) if vheads else None,
                                            int(theads) if theads else None,
                                            meta.get("sgseg.clip.hidden_act", "quick_gelu"))
        kwargs.update(hf_clip=hf)
        grid = hf.vision_config.image_size // hf.vision_config.patch_size
        width = hf.vision_config.hidden_size
    default_layers = [3, 7] if width == 768 else [7, 15]
    kwargs["guidance_layers"] = tuple(json.loads(meta.get("sgseg.clip.guidance_layers", json.dumps(default_layers))))
    kwargs["templates"] = tuple(json.loads(meta.get("sgseg.templates", json.dumps([DEFAULT_TEMPLATE]))))
    kwargs["geometry"] = SlidingGeometry(_int_meta(meta, "sgseg.inference.out_res", 640),
                                         _int_meta(meta, "sgseg.inference.window", 384),
                                         _int_meta(meta, "sgseg.inference.stride", 256))
    kwargs["inference"] = meta.get("sgseg.inference", "sliding")
    kwargs["frozen_compensation"] = meta.get("sgseg.frozen_compensation") == "feature_add"
    if kwargs["frozen_compensation"]:
        kwargs["frozen_alpha"] = float(meta["sgseg.frozen_alpha"])
    kwargs.update(overrides)
    agg = aggregator_config_from_state_dict(sd, meta, grid, kwargs.get("pooling"))
    if kwargs.get("bias") == "none" and agg.bias == "memory":    # run an SGSeg checkpoint as CAT-Seg
        agg.bias, agg.live_text_bias = "none", False
    kwargs.setdefault("pooling", agg.pooling)
    kwargs["bias"] = agg.bias
    kwargs["aggregator"] = agg
    return SGSegConfig(**kwargs)


def read_safetensors(path) -> Tuple[Dict[str, torch.Tensor], Dict[str, str]]:
    from safetensors import safe_open
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata() or {}
        sd = {k: f.get_tensor(k) for k in f.keys()}
    sd = {k: v.float() if v.is_floating_point() else v for k, v in sd.items()}
    return sd, meta


def model_from_state_dict(sd: Dict[str, torch.Tensor], meta: Dict[str, str], **overrides) -> SGSegModel:
    """Build a model and load `sd` (strict, except the teacher's unused text side)."""
    cfg = config_from_state_dict(sd, meta, **overrides)
    if cfg.bias == "none":      # a `bias="none"` override ignores the scene-bias tensors
        sd = {k: v for k, v in sd.items()
              if not k.startswith((AGG + "memory.", AGG + "projection1.", AGG + "projection2.",
                                   AGG + "feature_fusion_layer."))}
    model = SGSegModel(cfg).eval()
    missing, unexpected = model.load_state_dict(sd, strict=False)
    allowed_missing = [k for k in missing if k.startswith(TEACHER_CLIP)
                       and k[len(TEACHER_CLIP):].startswith(("text.", "text_model.", "text_projection", "logit_scale"))]
    bad_missing = sorted(set(missing) - set(allowed_missing))
    if bad_missing or unexpected:
        raise KeyError(f"checkpoint does not match the model: missing {bad_missing[:8]}…, unexpected {unexpected[:8]}…")
    return model


def load_model(path, **overrides) -> SGSegModel:
    """Load an exported or converted safetensors checkpoint (F16/BF16 widened to F32)."""
    sd, meta = read_safetensors(path)
    return model_from_state_dict(sd, meta, **overrides)


# --------------------------------------------------------------------------- convert

_OPENAI_BLOCK = {"ln_1.": "layer_norm1.", "ln_2.": "layer_norm2.", "mlp.c_fc.": "mlp.fc1.",
                 "mlp.c_proj.": "mlp.fc2.", "attn.out_proj.": "self_attn.out_proj."}


def _openai_block(tail: str, value: torch.Tensor, base: str, out: Dict[str, torch.Tensor]):
    """One OpenAI residual-block tensor → HF tensors under `base` (…encoder.layers.N.)."""
    if tail == "attn.in_proj_weight":
        for name, part in zip("qkv", value.chunk(3, dim=0)):
            out[f"{base}self_attn.{name}_proj.weight"] = part.clone()
    elif tail == "attn.in_proj_bias":
        for name, part in zip("qkv", value.chunk(3, dim=0)):
            out[f"{base}self_attn.{name}_proj.bias"] = part.clone()
    elif tail in ("attn.q_proj_weight", "attn.k_proj_weight", "attn.v_proj_weight"):
        out[f"{base}self_attn.{tail[5]}_proj.weight"] = value
    else:
        for old, new in _OPENAI_BLOCK.items():
            if tail.startswith(old):
                out[base + new + tail[len(old):]] = value
                return
        raise KeyError(f"unknown OpenAI CLIP block tensor {tail!r}")


def openai_to_hf(clip_sd: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """OpenAI/CAT-Seg CLIP names (without prefix) → Hugging Face CLIPModel names (§9.4)."""
    out: Dict[str, torch.Tensor] = {}
    simple = {
        "visual.conv1.weight": "vision_model.embeddings.patch_embedding.weight",
        "visual.class_embedding": "vision_model.embeddings.class_embedding",
        "visual.positional_embedding": "vision_model.embeddings.position_embedding.weight",
        "visual.ln_pre.weight": "vision_model.pre_layrnorm.weight",
        "visual.ln_pre.bias": "vision_model.pre_layrnorm.bias",
        "visual.ln_post.weight": "vision_model.post_layernorm.weight",
        "visual.ln_post.bias": "vision_model.post_layernorm.bias",
        "token_embedding.weight": "text_model.embeddings.token_embedding.weight",
        "positional_embedding": "text_model.embeddings.position_embedding.weight",
        "ln_final.weight": "text_model.final_layer_norm.weight",
        "ln_final.bias": "text_model.final_layer_norm.bias",
        "logit_scale": "logit_scale",
    }
    for k, v in clip_sd.items():
        if k in simple:
            out[simple[k]] = v
        elif k == "visual.proj":
            out["visual_projection.weight"] = v.t().contiguous()
        elif k == "text_projection":
            out["text_projection.weight"] = v.t().contiguous()
        elif k.startswith("visual.transformer.resblocks."):
            n, tail = k[len("visual.transformer.resblocks."):].split(".", 1)
            _openai_block(tail, v, f"vision_model.encoder.layers.{n}.", out)
        elif k.startswith("transformer.resblocks."):
            n, tail = k[len("transformer.resblocks."):].split(".", 1)
            _openai_block(tail, v, f"text_model.encoder.layers.{n}.", out)
        elif k.endswith("prompt_tokens") and v.numel() == 0:
            continue
        else:
            raise KeyError(f"unknown OpenAI CLIP tensor {k!r} (visual prompt tuning is not supported)")
    return out


def _dropped(key: str, live_text: bool) -> bool:
    return (key.startswith(TEACHER) or key.endswith(".attn_mask") or ".rope.freqs_" in key
            or key.startswith("rope.freqs_") or key == AGG + "memory.text"
            or (key.startswith(AGG + "feature_fusion_layer.") and not live_text)
            or key.endswith(".position_ids"))


def convert_state_dict(sd: Dict[str, torch.Tensor], live_text: bool = False
                       ) -> Tuple[Dict[str, torch.Tensor], Dict[str, object]]:
    """detectron2 state_dict → checkpoint tensors; returns (tensors, info)."""
    if "model" in sd and isinstance(sd["model"], dict):
        sd = sd["model"]
    tensors = {k: v for k, v in sd.items() if isinstance(v, torch.Tensor)}
    dropped = sorted(k for k in tensors if _dropped(k, live_text))
    kept = {k: v.float() if v.is_floating_point() else v for k, v in tensors.items() if k not in dropped}
    clip = {k[len(CLIP):]: v for k, v in kept.items() if k.startswith(CLIP)}
    rest = {k: v for k, v in kept.items() if not k.startswith(CLIP)}
    if "visual.blocks.0.attn.q_bias" in clip:
        backbone, naming = "eva02", "eva02"
    elif "vision_model.embeddings.patch_embedding.weight" in clip:
        backbone, naming = "openai", "hf"
    elif "visual.conv1.weight" in clip:
        backbone, naming = "openai", "openai"
        clip = openai_to_hf(clip)
    else:
        raise KeyError(f"no CLIP found under {CLIP!r} (expected EVA02, OpenAI or HF names)")
    unknown = sorted(k for k in rest if not k.startswith((AGG, "upsample1.", "upsample2.")))
    if unknown:
        raise KeyError(f"unexpected tensors outside the model layout: {unknown[:8]}")
    if (AGG + "conv1.weight") not in rest:
        raise KeyError(f"no aggregator under {AGG!r}")
    out = {CLIP + k: v for k, v in clip.items()}
    out.update(rest)
    info = {"backbone": backbone, "clip_naming": naming, "dropped": dropped,
            "arch": "sgseg" if (AGG + "memory.memory") in out else "catseg"}
    return out, info


def _sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def convert(pth, out, classes: Optional[Sequence[str]] = None, live_text: bool = False, pooling: int = 1,
            inference: str = "sliding", dtype: torch.dtype = torch.float32, trust_pickle: bool = False,
            guidance_layers: Optional[Sequence[int]] = None, vision_heads: Optional[int] = None,
            text_heads: Optional[int] = None, aggregator_heads: Optional[int] = None,
            aggregator_window: Optional[int] = None, pad_len: Optional[int] = None) -> Dict[str, object]:
    """Convert `pth` to the safetensors checkpoint `out`; returns an info dict
    (backbone, naming, dropped keys, metadata). The model is rebuilt from the
    converted tensors and loaded strictly before writing, so a file that is
    written is loadable."""
    raw = torch.load(str(pth), map_location="cpu", weights_only=not trust_pickle)
    tensors, info = convert_state_dict(raw, live_text)
    width_key = (CLIP + "visual.patch_embed.proj.weight") if info["backbone"] == "eva02" \
        else (CLIP + "vision_model.embeddings.patch_embedding.weight")
    width = tensors[width_key].shape[0]
    layers = list(guidance_layers) if guidance_layers else ([3, 7] if width == 768 else [7, 15])
    meta_in = {"sgseg.clip.guidance_layers": json.dumps(layers), "sgseg.aggregator.pooling": str(pooling),
               "sgseg.inference": inference}
    if vision_heads:
        meta_in["sgseg.clip.vision_heads"] = str(vision_heads)
    if text_heads:
        meta_in["sgseg.clip.text_heads"] = str(text_heads)
    if live_text:
        meta_in["sgseg.live_text_bias"] = "true"
    for key, value in (("heads", aggregator_heads), ("window", aggregator_window), ("pad_len", pad_len)):
        if value is not None:
            meta_in[f"sgseg.aggregator.{key}"] = str(value)
    model = model_from_state_dict(tensors, meta_in)
    rows = tensors.get(AGG + "memory.memory")
    note = ""
    if classes is None and rows is not None and rows.shape[0] == len(DLRSD_CLASSES):
        classes, note = DLRSD_CLASSES, "; classes assumed = the release's DLRSD.json (17 memory rows)"
    digest = _sha256(pth)
    source = (f"{pathlib.Path(pth).name} sha256 {digest}; converted by ovseg_reference.export "
              f"({info['arch']}, {info['clip_naming']} CLIP names){note}")
    meta = checkpoint_metadata(model, classes, source)
    save_tensors(tensors, out, meta, dtype)
    info["metadata"] = meta
    info["sha256"] = digest
    return info


# --------------------------------------------------------------------------- CLI

def _classes_arg(text: Optional[str]) -> Optional[List[str]]:
    if text is None:
        return None
    path = pathlib.Path(text)
    if path.exists():
        data = json.loads(path.read_text())
        return [c["name"] if isinstance(c, dict) else str(c) for c in (data["classes"] if isinstance(data, dict) else data)]
    return [c.strip() for c in text.split(",") if c.strip()]


def main(argv: Optional[Iterable[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ovseg_reference.export",
                                     description="Convert SGSeg/CAT-Seg detectron2 checkpoints; inspect safetensors.")
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("convert", help="model_final.pth → safetensors with the repository's key names")
    c.add_argument("input")
    c.add_argument("output")
    c.add_argument("--classes", help="training classes: a JSON file (list, or {classes: [...]}) or a comma list")
    c.add_argument("--live-text", action="store_true",
                   help="keep feature_fusion_layer.* (the paper-described live-text variant; not the release)")
    c.add_argument("--pooling", type=int, default=1, help="class-attention pooling recorded as default (1 or 2)")
    c.add_argument("--inference", choices=["sliding", "whole"], default="sliding")
    c.add_argument("--guidance-layers", help="comma list, default 3,7 (width 768) or 7,15")
    c.add_argument("--vision-heads", type=int)
    c.add_argument("--text-heads", type=int)
    c.add_argument("--aggregator-heads", type=int, help="default 4 (the released head)")
    c.add_argument("--aggregator-window", type=int, help="default 12")
    c.add_argument("--pad-len", type=int, help="default 256")
    c.add_argument("--f16", action="store_true", help="store floating tensors as F16")
    c.add_argument("--trust-pickle", action="store_true",
                   help="allow arbitrary pickled objects in the .pth (only for files you trust)")
    i = sub.add_parser("inspect", help="print a safetensors checkpoint's metadata and tensor count")
    i.add_argument("file")
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.command == "convert":
        layers = [int(x) for x in args.guidance_layers.split(",")] if args.guidance_layers else None
        info = convert(args.input, args.output, _classes_arg(args.classes), args.live_text, args.pooling,
                       args.inference, torch.float16 if args.f16 else torch.float32, args.trust_pickle,
                       layers, args.vision_heads, args.text_heads, args.aggregator_heads,
                       args.aggregator_window, args.pad_len)
        print(f"{args.output}: {info['arch']} / {info['backbone']} ({info['clip_naming']} CLIP names), "
              f"dropped {len(info['dropped'])} tensors")
        return 0
    sd, meta = read_safetensors(args.file)
    print(json.dumps(meta, indent=1, sort_keys=True))
    print(f"{len(sd)} tensors, {sum(v.numel() for v in sd.values())} values")
    return 0


if __name__ == "__main__":
    sys.exit(main())
