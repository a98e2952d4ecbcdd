"""The full SGSeg / CAT-Seg segmenter (our own PyTorch code).

Restates `SGSeg` of H1NATA111/SGSeg@d07437b (`sgseg/sgseg_model.py`, the
predictor and head around the Aggregator) from `docs/sgseg-released.md` §2, §3,
§5.2, §5.3, §7 and CAT-Seg's model (`docs/segmentation-core.md` §4.1–§4.4, §4.9).

Module tree = the repository's, so `state_dict()` has exactly the checkpoint
layout (`docs/sgseg-released.md` §8, `docs/checkpoint-format.md` §2):

    sem_seg_head.predictor.clip_model.*      EVA02CLIP (visual.*, text.*, logit_scale)
                                             or HF CLIPModel (vision_model.*, text_model.*,
                                             visual_projection.*, text_projection.*, logit_scale)
    sem_seg_head.predictor.transformer.*     Aggregator (head.py)
    upsample1.*, upsample2.*                 ConvTranspose2d(width→Gd0, k2 s2), (width→Gd1, k4 s4)
    teacher_sem_seg_head.predictor.clip_model.*   frozen copy of the CLIP; only present
                                             for training (the compensation loss) or for the
                                             `frozen_compensation` variant below

Flags (`SGSegConfig`): backbone eva02|openai, dense csa+l2|catseg (eva02 ⇔
csa+l2, openai ⇔ catseg), bias memory|none, pooling 1|2, inference
sliding|whole, sliding geometry (out_res/window/stride, defaults 640/384/256).

Inference (one image, pixels 0–255 float [3,H,W], RGB, *as given*: the
release's detectron2 `ResizeShortestEdge(640, max 2560)` is the caller's job,
see `windows.resize_shortest_edge`; outputs are at the given image's size):

* sliding: bilinear to out_res²; L windows (window², stride) + the original
  image resized to window² as a global view; normalise with the 0–255 CLIP
  constants; bilinear to the CLIP input; encode (dense + two taps); head →
  logits [L+1,T,4g,4g]; bilinear to window²; sigmoid; fold/average the local
  maps, global map → out_res²; (local + global)/2; bilinear to H×W; argmax.
* whole: normalise; zero-pad right/bottom to a multiple of 32; bilinear to the
  CLIP input; encode; head; sigmoid; crop to [:H,:W] (no-op when the map is
  smaller) and bilinear to H×W; argmax.

Text: each class name's first synonym (split on ", "), each template
(default `A photo of a {} in the scene`), open_clip's tokenizer (77 tokens),
the tuned text tower, L2-normalised → [T, P, E].

`frozen_compensation` (NOT IN THE RELEASED MODEL; the paper-described
`feature_add` of `docs/sgseg-released.md` §9.1): the frozen teacher CLIP's dense
features F_f of the same windows are fused into the tuned ones as
F = normalize(F_t + α·F_f) per token (α = `frozen_alpha`, a scalar stored in
`__metadata__["sgseg.frozen_alpha"]`), before the cost volume and the
appearance guidance; the guidance taps stay the tuned encoder's.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import clip_openai
from .eva02 import EVA02CLIP, EVA02TextConfig, EVA02VisionConfig
from .head import Aggregator, AggregatorConfig
from .windows import (SlidingGeometry, combine_views, normalise, pad_to_divisible, resize, sliding_views,
                      whole_postprocess)

DEFAULT_TEMPLATE = "A photo of a {} in the scene"


@dataclass
class SGSegConfig:
    """Everything that fixes the model. Defaults: the released SGSeg
    (EVA02-CLIP-L/14-336, taps 7/15, memory bias, pooling 1, sliding 640/384/256)."""
    backbone: str = "eva02"                       # eva02 | openai
    dense: Optional[str] = None                   # csa+l2 | catseg; None = the backbone's
    bias: str = "memory"                          # memory | none
    pooling: int = 1                              # class-attention pooling at inference
    inference: str = "sliding"                    # sliding | whole
    guidance_layers: Tuple[int, int] = (7, 15)
    geometry: SlidingGeometry = field(default_factory=SlidingGeometry)
    templates: Tuple[str, ...] = (DEFAULT_TEMPLATE,)
    vision: EVA02VisionConfig = field(default_factory=EVA02VisionConfig)   # eva02
    text: EVA02TextConfig = field(default_factory=EVA02TextConfig)         # eva02
    hf_clip: Optional[object] = None              # transformers.CLIPConfig (openai)
    aggregator: Optional[AggregatorConfig] = None  # None = derived defaults
    frozen_compensation: bool = False             # variant, not in the release
    frozen_alpha: float = 0.5

    def __post_init__(self):
        if self.backbone not in ("eva02", "openai"):
            raise ValueError(f"backbone must be eva02 or openai, got {self.backbone!r}")
        natural = "csa+l2" if self.backbone == "eva02" else "catseg"
        self.dense = self.dense or natural
        if self.dense != natural:
            raise ValueError(f"dense {self.dense!r} is not available for backbone {self.backbone!r} "
                             f"(eva02 ⇔ csa+l2, openai ⇔ catseg)")
        if self.bias not in ("memory", "none"):
            raise ValueError(f"bias must be memory or none, got {self.bias!r}")
        if self.inference not in ("sliding", "whole"):
            raise ValueError(f"inference must be sliding or whole, got {self.inference!r}")
        if self.pooling < 1:
            raise ValueError(f"pooling must be ≥ 1, got {self.pooling}")
        if self.backbone == "openai" and self.hf_clip is None:
            raise ValueError("backbone openai needs hf_clip (a transformers.CLIPConfig)")
        if self.aggregator is None:
            self.aggregator = AggregatorConfig(embed_dim=self.embed_dim, feature_resolution=self.grid,
                                               prompt_channel=len(self.templates), bias=self.bias,
                                               pooling=self.pooling)
        if self.aggregator.embed_dim != self.embed_dim or self.aggregator.feature_resolution != self.grid:
            raise ValueError(f"aggregator embed_dim/feature_resolution {self.aggregator.embed_dim}/"
                             f"{self.aggregator.feature_resolution} ≠ CLIP {self.embed_dim}/{self.grid}")
        if self.aggregator.bias != self.bias:
            raise ValueError(f"aggregator bias {self.aggregator.bias!r} ≠ model bias {self.bias!r}")
        if self.aggregator.prompt_channel != len(self.templates):
            raise ValueError(f"aggregator prompt_channel {self.aggregator.prompt_channel} ≠ "
                             f"{len(self.templates)} templates")

    # sizes of the chosen backbone
    @property
    def clip_input(self) -> int:
        return self.vision.image_size if self.backbone == "eva02" else self.hf_clip.vision_config.image_size

    @property
    def patch(self) -> int:
        return self.vision.patch_size if self.backbone == "eva02" else self.hf_clip.vision_config.patch_size

    @property
    def grid(self) -> int:
        return self.clip_input // self.patch

    @property
    def width(self) -> int:
        return self.vision.width if self.backbone == "eva02" else self.hf_clip.vision_config.hidden_size

    @property
    def embed_dim(self) -> int:
        return self.vision.embed_dim if self.backbone == "eva02" else self.hf_clip.projection_dim


# --------------------------------------------------------------------------- text prompts

def class_prompts(class_names: Sequence[str], templates: Sequence[str]) -> List[List[str]]:
    """[T][P] prompt strings: the first synonym of each name (split on ", ",
    as `get_text_embeds`) in each template."""
    return [[tpl.format(name.split(", ")[0]) for tpl in templates] for name in class_names]


def tokenize(prompts: Sequence[Sequence[str]], context_length: int = 77) -> torch.Tensor:
    """open_clip's tokenizer (the OpenAI BPE, lower-cased, SOT 49406, EOT 49407,
    zero padding, truncation keeping the EOT) → int64 [T, P, context_length]."""
    from open_clip.tokenizer import tokenize as open_clip_tokenize
    flat = [p for row in prompts for p in row]
    ids = open_clip_tokenize(flat, context_length=context_length)
    return ids.view(len(prompts), -1, context_length)


# --------------------------------------------------------------------------- module tree

class Predictor(nn.Module):
    """`sem_seg_head.predictor`: the CLIP (`clip_model`) and, for the tuned head, the Aggregator (`transformer`)."""

    def __init__(self, clip_model: nn.Module, transformer: Optional[Aggregator]):
        super().__init__()
        self.clip_model = clip_model
        if transformer is not None:
            self.transformer = transformer


class SemSegHead(nn.Module):
    def __init__(self, predictor: Predictor):
        super().__init__()
        self.predictor = predictor


class SGSegModel(nn.Module):
    """SGSeg (bias=memory, eva02) or CAT-Seg (bias=none, openai) segmenter."""

    def __init__(self, cfg: SGSegConfig = None):
        super().__init__()
        cfg = cfg or SGSegConfig()
        self.cfg = cfg
        if cfg.backbone == "eva02":
            clip = EVA02CLIP(cfg.vision, cfg.text)
        else:
            clip = clip_openai.build_clip(cfg.hf_clip)
        self.sem_seg_head = SemSegHead(Predictor(clip, Aggregator(cfg.aggregator)))
        gd = tuple(cfg.aggregator.decoder_guidance_dims)
        self.upsample1 = nn.ConvTranspose2d(cfg.width, gd[0], kernel_size=2, stride=2)
        self.upsample2 = nn.ConvTranspose2d(cfg.width, gd[1], kernel_size=4, stride=4)
        if cfg.frozen_compensation:
            self.attach_teacher()

    # ----------------------------------------------------------------- parts
    @property
    def clip(self) -> nn.Module:
        return self.sem_seg_head.predictor.clip_model

    @property
    def aggregator(self) -> Aggregator:
        return self.sem_seg_head.predictor.transformer

    @property
    def teacher_clip(self) -> Optional[nn.Module]:
        teacher = getattr(self, "teacher_sem_seg_head", None)
        return None if teacher is None else teacher.predictor.clip_model

    def attach_teacher(self) -> nn.Module:
        """Deep-copy the current CLIP as the frozen teacher
        (`teacher_sem_seg_head.predictor.clip_model`, all requires_grad False)."""
        frozen = copy.deepcopy(self.clip)
        for p in frozen.parameters():
            p.requires_grad_(False)
        self.teacher_sem_seg_head = SemSegHead(Predictor(frozen, None))
        return frozen

    # ----------------------------------------------------------------- encoders
    def encode_text(self, ids: torch.Tensor) -> torch.Tensor:
        """ids [T, P, L] → L2-normalised text features [T, P, E] (tuned tower)."""
        t, p, length = ids.shape
        flat = ids.reshape(t * p, length)
        if self.cfg.backbone == "eva02":
            emb = self.clip.text(flat)
        else:
            emb = clip_openai.encode_text(self.clip, flat)
        return F.normalize(emb, dim=-1).view(t, p, -1)

    def text_features(self, class_names: Sequence[str]) -> torch.Tensor:
        """Class names → [T, P, E] with the configured templates."""
        return self.encode_text(tokenize(class_prompts(class_names, self.cfg.templates)))

    def _dense(self, clip: nn.Module, pixels: torch.Tensor, taps: Sequence[int]):
        if self.cfg.backbone == "eva02":
            return clip.visual.forward_dense(pixels, taps)
        return clip_openai.catseg_dense(clip, pixels, taps)

    def encode_image(self, pixels: torch.Tensor, record: Optional[dict] = None, prefix: str = ""
                     ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """pixels [B,3,S,S] normalised at the CLIP input → (dense [B,E,g,g], res4, res5).
        With `frozen_compensation` the teacher's dense map is fused in (see module doc)."""
        cfg = self.cfg
        g = cfg.grid
        dense, taps = self._dense(self.clip, pixels, cfg.guidance_layers)
        to_map = lambda z: z.transpose(1, 2).reshape(z.shape[0], z.shape[2], g, g)
        dense_map = to_map(dense)
        keep = {} if record is None else record
        keep[prefix + "dense.tuned"] = dense_map
        if cfg.frozen_compensation:
            if self.teacher_clip is None:
                raise RuntimeError("frozen_compensation needs the teacher CLIP (attach_teacher or a checkpoint with it)")
            with torch.no_grad():
                frozen, _ = self._dense(self.teacher_clip, pixels, ())
            frozen_map = to_map(frozen)
            keep[prefix + "dense.frozen"] = frozen_map
            dense_map = F.normalize(dense_map + cfg.frozen_alpha * frozen_map, dim=1)
        keep[prefix + "dense"] = dense_map
        t0, t1 = cfg.guidance_layers
        keep[prefix + f"tap.{t0}"], keep[prefix + f"tap.{t1}"] = taps[t0], taps[t1]
        res4 = self.upsample1(to_map(taps[t0]))
        res5 = self.upsample2(to_map(taps[t1]))
        keep[prefix + "res4"], keep[prefix + "res5"] = res4, res5
        return dense_map, res4, res5

    def logits(self, pixels: torch.Tensor, text: torch.Tensor, pooling: Optional[int] = None,
               record: Optional[dict] = None, gt: Optional[torch.Tensor] = None) -> torch.Tensor:
        """pixels [B,3,S,S] normalised at the CLIP input, text [T,P,E] → logits [B,T,4g,4g].
        `record` receives the encoder outputs and the head stages (prefixed `head.`)."""
        dense, res4, res5 = self.encode_image(pixels, record)
        b = pixels.shape[0]
        stages = None if record is None else {}
        out = self.aggregator(dense, text.unsqueeze(0).expand(b, *text.shape), [res4, res5],
                              pooling=pooling or self.cfg.pooling, stages=stages, gt=gt)
        if record is not None:
            record.update({"head." + k: v for k, v in stages.items()})
        return out

    # ----------------------------------------------------------------- inference
    @torch.no_grad()
    def infer_sliding(self, image: torch.Tensor, text: torch.Tensor, pooling: Optional[int] = None,
                      record: Optional[dict] = None) -> torch.Tensor:
        """image [3,H,W] 0–255 float → class probabilities [T,H,W] (§5.2 sliding)."""
        geo = self.cfg.geometry
        keep = {} if record is None else record
        views = sliding_views(image, geo)
        keep["views"] = views
        pixels = resize(normalise(views), self.cfg.clip_input)
        keep["pixels"] = pixels
        logits = self.logits(pixels, text, pooling, record)
        keep["logits"] = logits
        probs = resize(logits, geo.window).sigmoid()
        keep["window_probabilities"] = probs
        combined = combine_views(probs, geo)
        keep["combined"] = combined
        out = resize(combined.unsqueeze(0), tuple(image.shape[-2:]))[0]
        keep["probabilities"] = out
        return out

    @torch.no_grad()
    def infer_whole(self, image: torch.Tensor, text: torch.Tensor, pooling: Optional[int] = None,
                    record: Optional[dict] = None) -> torch.Tensor:
        """image [3,H,W] 0–255 float → class probabilities [T,H,W] (§5.2 whole image)."""
        keep = {} if record is None else record
        padded = pad_to_divisible(normalise(image))
        keep["padded"] = padded
        pixels = resize(padded.unsqueeze(0), self.cfg.clip_input)
        keep["pixels"] = pixels
        logits = self.logits(pixels, text, pooling, record)
        keep["logits"] = logits
        out = whole_postprocess(logits[0].sigmoid(), tuple(image.shape[-2:]))
        keep["probabilities"] = out
        return out

    @torch.no_grad()
    def predict(self, image: torch.Tensor, text: torch.Tensor, inference: Optional[str] = None,
                pooling: Optional[int] = None, record: Optional[dict] = None
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        """→ (probabilities [T,H,W], label map [H,W] int64 = argmax over T)."""
        mode = inference or self.cfg.inference
        if image.dim() != 3 or image.shape[0] != 3:
            raise ValueError(f"image must be [3,H,W], got {tuple(image.shape)}")
        image = image.float()
        if mode == "sliding":
            probs = self.infer_sliding(image, text, pooling, record)
        elif mode == "whole":
            probs = self.infer_whole(image, text, pooling, record)
        else:
            raise ValueError(f"inference must be sliding or whole, got {mode!r}")
        labels = probs.argmax(dim=0)
        if record is not None:
            record["labels"] = labels
        return probs, labels
