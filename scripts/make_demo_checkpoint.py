#!/usr/bin/env python3
"""Train the small synthetic SGSeg demo model and export Demo/sgseg-demo.safetensors.

THIS IS A SYNTHETIC DEMO MODEL. It is trained for about two CPU minutes on
the synthetic Potsdam-class tiles that `ovseg demo` generates; its numbers say
nothing about SGSeg. It exists so `ovseg demo` / `ovseg eval` can run the whole segmentation core end
to end (tokenizer → text tower → EVA02 vision → head → sliding windows) on a
committed file.

Model (reference/ovseg_reference, SGSeg layout and loss):
* EVA02 vision: input 64, patch 8 (grid 8), width 32, 2 heads, 4 blocks,
  SwiGLU 64, E 16, taps [1, 2], CSA on block 3;
* EVA02 text with the REAL 49408-token vocabulary (so the Swift tokenizer runs
  end to end), width 8, 2 heads, 1 layer, MLP 32, context 77;
* head: hidden 16, 2 heads, window 4, 2 layers, pad_len 8, decoder (16, 16),
  guidance (16, 8) → (8, 4), scene-bias memory with one row per training class;
* sliding geometry for 256² tiles: out_res 256, window 128, stride 64
  (3×3 windows + the global view), windows resized to 64.

CLIP pre-training stand-in: the random CLIP (all its parameters) is first
trained for 300 steps to align each patch's dense CSA feature with the text
embedding of its majority class over ALL six classes — as a real CLIP knows
every class name — so unseen classes have meaningful text embeddings. The
frozen teacher of the compensation loss is this aligned CLIP.

Training: the seen classes of the vocabulary's first split (the split
`ovseg demo` uses: `dlrsd-overlap`, seen = building, tree, car); pixels of the
other classes and black (ignore) pixels → 255. Random 128² crops and flips of
the 96 tiles in --train (images/, gt/ RGB colour-coded), batch 8, the
release's loss (BCE over the training classes, ignored pixels as all-negative
targets as in the release, + 0.1·compensation distance to a frozen copy) and
trainable set (vision q/v, text in_proj, head), AdamW;
lr and CLIP multiplier as recorded in the metadata (the CLIP multiplier is
raised from the release's 0.01 because this CLIP is barely pre-trained).

After training, weights are rounded to F16 (the file's dtype) and the rounded
model is evaluated on --eval (24 tiles, seed 2025, all 6 classes, sliding
inference as recorded): per-class IoU from the summed confusion matrix (classes
present in GT or prediction), mIoU seen/unseen. The numbers are printed and
recorded in the metadata (`sgseg.demo.eval`).

Data: `ovseg demo --out /tmp/demo-train --images 96 --seed 7` (training) and
`ovseg demo --out /tmp/demo-default` (evaluation, seed 2025).
Run (with the reference package installed, scripts/fixtures/README.md):
    python scripts/make_demo_checkpoint.py [--steps N] [--threads 1]
The result is deterministic (same tensors on re-runs with one thread).
"""
import argparse
import json
import pathlib
import time

import numpy as np
import torch

from ovseg_reference.eva02 import EVA02TextConfig, EVA02VisionConfig
from ovseg_reference.export import export_model, load_model
from ovseg_reference.head import AggregatorConfig
from ovseg_reference.model import SGSegConfig, class_prompts, tokenize
from ovseg_reference.tiny import build_tiny
from ovseg_reference.train import TrainConfig, Trainer
from ovseg_reference.windows import SlidingGeometry

ROOT = pathlib.Path(__file__).resolve().parents[1]

TEMPLATE = "A photo of a {} in the scene"


def load_vocabulary():
    vocab = json.loads((ROOT / "Vocabularies" / "potsdam.json").read_text())
    names = [c["name"] for c in vocab["classes"]]
    colours = np.array([c["color"] for c in vocab["classes"]], dtype=np.int64)
    split = vocab["splits"][0]
    return names, colours, split


def decode_gt(path, colours):
    """RGB colour-coded GT → class ids (0…5), 255 for black or unknown colours."""
    from PIL import Image
    rgb = np.asarray(Image.open(path).convert("RGB")).astype(np.int64)
    code = rgb[..., 0] * 65536 + rgb[..., 1] * 256 + rgb[..., 2]
    out = np.full(code.shape, 255, dtype=np.int64)
    for i, c in enumerate(colours):
        out[code == c[0] * 65536 + c[1] * 256 + c[2]] = i
    return out


def load_folder(folder, colours):
    from PIL import Image
    folder = pathlib.Path(folder)
    names = sorted(p.name for p in (folder / "images").glob("*.png"))
    images = np.stack([np.asarray(Image.open(folder / "images" / n).convert("RGB")) for n in names])
    labels = np.stack([decode_gt(folder / "gt" / n, colours) for n in names])
    return names, torch.from_numpy(images).permute(0, 3, 1, 2).float(), torch.from_numpy(labels)


def demo_config(training_classes):
    vision = EVA02VisionConfig(image_size=64, patch_size=8, width=32, depth=4, heads=2, mlp_hidden=64,
                               embed_dim=16, pt_seq_len=16)
    text = EVA02TextConfig(vocab_size=49408, context_length=77, width=8, layers=1, heads=2, mlp=32, embed_dim=16)
    agg = AggregatorConfig(embed_dim=16, prompt_channel=1, hidden=16, heads=2, window=4, layers=2, pooling=1,
                           feature_resolution=8, pad_len=8, appearance_proj=16, text_proj=16, decoder_dims=(16, 16),
                           decoder_guidance_dims=(16, 8), decoder_guidance_proj_dims=(8, 4), bias="memory",
                           memory_rows=len(training_classes))
    return SGSegConfig(backbone="eva02", vision=vision, text=text, aggregator=agg, guidance_layers=(1, 2),
                       geometry=SlidingGeometry(out_res=256, window=128, stride=64), templates=(TEMPLATE,))


def random_crops(images, labels, g, batch, size):
    n, _, h, w = images.shape
    idx = torch.randint(0, n, (batch,), generator=g)
    ys = torch.randint(0, h - size + 1, (batch,), generator=g)
    xs = torch.randint(0, w - size + 1, (batch,), generator=g)
    flips = torch.rand(batch, 2, generator=g) < 0.5
    ims, lbs = [], []
    for i, y, x, f in zip(idx.tolist(), ys.tolist(), xs.tolist(), flips.tolist()):
        im = images[i, :, y:y + size, x:x + size]
        lb = labels[i, y:y + size, x:x + size]
        if f[0]:
            im, lb = im.flip(-1), lb.flip(-1)
        if f[1]:
            im, lb = im.flip(-2), lb.flip(-2)
        ims.append(im)
        lbs.append(lb)
    return torch.stack(ims), torch.stack(lbs)


def pretrain_clip(model, images, labels, class_names, steps, lr, batch, g, log_every=100):
    """Stand-in for CLIP pre-training (the demo CLIP starts random): all CLIP
    parameters learn patch–text alignment over ALL classes, as a real CLIP
    knows every class name. Per patch of the dense CSA map, softmax over the
    classes of 10·cos(F, t_c) against the patch's class fractions (ignored
    pixels left out; patches without labels skipped)."""
    from ovseg_reference.windows import normalise, resize
    import torch.nn.functional as F
    cfg = model.cfg
    ids = tokenize(class_prompts(class_names, cfg.templates))[:, 0]
    params = list(model.clip.parameters())
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=1e-4)
    k, start = len(class_names), time.time()
    patch = cfg.geometry.window // cfg.grid
    for step in range(steps):
        x, y = random_crops(images, labels, g, batch, cfg.geometry.window)
        pixels = resize(normalise(x), cfg.clip_input)
        dense, _ = model.clip.visual.forward_dense(pixels)                        # [B, N, E], unit norm
        text = F.normalize(model.clip.text(ids), dim=-1)                           # [K, E]
        logits = 10.0 * dense @ text.t()                                           # [B, N, K]
        valid = (y != 255)
        onehot = F.one_hot(y.clamp(max=k - 1), k).permute(0, 3, 1, 2).float() * valid[:, None]
        frac = F.avg_pool2d(onehot, patch).flatten(2).transpose(1, 2)              # [B, N, K]
        mass = frac.sum(-1)
        keep = mass > 0.25
        target = frac[keep] / mass[keep, None]
        loss = -(target * logits[keep].log_softmax(-1)).sum(-1).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % log_every == 0 or step == steps - 1:
            acc = float((logits[keep].argmax(-1) == target.argmax(-1)).float().mean())
            print(f"pretrain {step:5d}  loss {float(loss.detach()):.4f}  patch acc {acc:.3f}  {time.time() - start:.0f}s",
                  flush=True)
    return model


def evaluate(model, names, images, labels, class_names, seen, unseen):
    """Summed confusion matrix over the tiles; IoU per class present in GT or prediction."""
    k = len(class_names)
    text = model.text_features(class_names)
    conf = np.zeros((k, k), dtype=np.int64)
    for i in range(images.shape[0]):
        _, pred = model.predict(images[i], text)
        gt = labels[i].numpy()
        valid = gt != 255
        conf += np.bincount(gt[valid] * k + pred.numpy()[valid], minlength=k * k).reshape(k, k)
    tp = np.diag(conf).astype(float)
    union = conf.sum(0) + conf.sum(1) - tp
    present = (conf.sum(0) + conf.sum(1)) > 0
    iou = {class_names[c]: (tp[c] / union[c] if present[c] else None) for c in range(k)}
    mean = lambda cs: float(np.mean([iou[c] for c in cs if iou[c] is not None]))
    s, u = mean(seen), mean(unseen)
    return {"iou": {c: (round(v * 100, 2) if v is not None else None) for c, v in iou.items()},
            "miou": round(mean(class_names) * 100, 2), "miou_seen": round(s * 100, 2),
            "miou_unseen": round(u * 100, 2), "hiou": round(200 * s * u / (s + u), 2) if s + u > 0 else 0.0,
            "pixel_accuracy": round(float(tp.sum() / conf.sum()) * 100, 2), "tiles": int(images.shape[0])}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default="/tmp/demo-train")
    ap.add_argument("--eval", default="/tmp/demo-default")
    ap.add_argument("--out", default=str(ROOT / "Demo" / "sgseg-demo.safetensors"))
    ap.add_argument("--pretrain-steps", type=int, default=300)
    ap.add_argument("--pretrain-lr", type=float, default=3e-3)
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--clip-multiplier", type=float, default=0.1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--exclude-ignored", action="store_true",
                    help="leave ignored pixels out of the BCE (default: the release's all-negative targets)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    class_names, colours, split = load_vocabulary()
    seen, unseen = split["seen"], split["unseen"]
    train_ids = [class_names.index(c) for c in seen]
    remap = np.full(256, 255, dtype=np.int64)
    for j, c in enumerate(train_ids):
        remap[c] = j
    _, images, labels_all = load_folder(args.train, colours)
    labels = torch.from_numpy(remap[labels_all.numpy()])
    print(f"training on {images.shape[0]} tiles, classes {seen} (split {split['name']}), "
          f"ignored {float((labels == 255).float().mean()) * 100:.1f}% of pixels")

    cfg = demo_config(seen)
    model = build_tiny(cfg, seed=args.seed)
    g = torch.Generator().manual_seed(args.seed)
    start = time.time()
    pretrain_clip(model, images, labels_all, class_names, args.pretrain_steps, args.pretrain_lr, args.batch, g)
    pretrain_seconds = time.time() - start
    tcfg = TrainConfig(lr=args.lr, clip_multiplier=args.clip_multiplier, steps=args.steps,
                       exclude_ignored=args.exclude_ignored)
    trainer = Trainer(model, tcfg)
    text_ids = tokenize(class_prompts(seen, cfg.templates))
    start, log = time.time(), []
    for step in range(args.steps):
        x, y = random_crops(images, labels, g, args.batch, cfg.geometry.window)
        losses = trainer.step(x, y, text_ids)
        log.append(losses)
        if step % 100 == 0 or step == args.steps - 1:
            recent = log[-100:]
            print(f"step {step:5d}  loss {np.mean([l['loss'] for l in recent]):.4f}  "
                  f"rc {np.mean([l['loss_rc'] for l in recent]):.2e}  {time.time() - start:.0f}s", flush=True)
    train_seconds = time.time() - start

    # Round to the file's F16, evaluate the rounded model, export, and check the file reproduces it.
    model.eval()
    with torch.no_grad():
        for t in model.parameters():     # buffers (RoPE, masks) are recomputed on load
            if t.is_floating_point():
                t.copy_(t.half().float())
    names, ev_images, ev_labels = load_folder(args.eval, colours)
    result = evaluate(model, names, ev_images, ev_labels, class_names, seen, unseen)
    print(json.dumps(result, indent=1))
    recipe = {"clip_pretrain_steps": args.pretrain_steps, "clip_pretrain_lr": args.pretrain_lr,
              "clip_pretrain_classes": class_names, "clip_pretrain_seconds": round(pretrain_seconds),
              "steps": args.steps, "batch": args.batch, "crop": cfg.geometry.window, "lr": args.lr,
              "clip_multiplier": args.clip_multiplier, "weight_decay": tcfg.weight_decay,
              "grad_clip": tcfg.grad_clip, "train_pooling": tcfg.pooling,
              "exclude_ignored": tcfg.exclude_ignored, "rc_weight": tcfg.rc_weight,
              "seed": args.seed, "threads": args.threads, "seconds": round(train_seconds),
              "final_loss": round(float(np.mean([l["loss"] for l in log[-100:]])), 4)}
    export_model(model, args.out, classes=seen, dtype=torch.float16,
                 source=("SYNTHETIC DEMO MODEL — scripts/make_demo_checkpoint.py: a tiny SGSeg whose random CLIP "
                         "was first aligned to all 6 class names on 96 synthetic Potsdam-class tiles (a stand-in "
                         "for CLIP pre-training), then SGSeg-trained on the seen classes building, tree, car for "
                         "~2 CPU minutes; not a real SGSeg checkpoint, its scores mean nothing outside the demo"),
                 extra_metadata={"sgseg.demo": "synthetic",
                                 "sgseg.demo.split": split["name"],
                                 "sgseg.demo.training": json.dumps(recipe, sort_keys=True),
                                 "sgseg.demo.eval": json.dumps({"data": "ovseg demo --images 24 --size 256 --seed 2025",
                                                                **result}, sort_keys=True)})
    reloaded = load_model(args.out)
    text = reloaded.text_features(class_names)
    p_file, _ = reloaded.predict(ev_images[0], text)
    p_mem, _ = model.predict(ev_images[0], model.text_features(class_names))
    diff = float((p_file - p_mem).abs().max())
    assert diff < 1e-6, diff
    print(f"wrote {args.out} ({pathlib.Path(args.out).stat().st_size} bytes); reload max |Δp| {diff:.1e}")


if __name__ == "__main__":
    main()
