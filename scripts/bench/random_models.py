"""Random-weight models at real shape and a test image for the benchmark scripts
(scripts/bench/core_vs_torch.py, scripts/bench/arithmetic_cost.py). Needs torch,
transformers, safetensors, pillow and the installed reference package (pip install -e reference)."""
import pathlib

import torch
from PIL import Image

from ovseg_reference.export import export_model
from ovseg_reference.model import SGSegConfig
from ovseg_reference.tiny import randomise_

# iSAID's 15 foreground classes: the prompts of the benchmark runs.
CLASSES = ["ship", "storage tank", "baseball diamond", "tennis court", "basketball court", "ground track field",
           "bridge", "large vehicle", "small vehicle", "helicopter", "swimming pool", "roundabout",
           "soccer ball field", "plane", "harbor"]


def config(name):
    """sgseg: the released SGSeg geometry; catseg: CAT-Seg ViT-B/16 built at 384 natively."""
    if name == "sgseg":
        return SGSegConfig()
    from transformers import CLIPConfig, CLIPTextConfig, CLIPVisionConfig
    text = CLIPTextConfig(vocab_size=49408, hidden_size=512, num_attention_heads=8, num_hidden_layers=12,
                          intermediate_size=2048, max_position_embeddings=77, hidden_act="quick_gelu",
                          bos_token_id=49406, eos_token_id=49407)
    vision = CLIPVisionConfig(hidden_size=768, num_attention_heads=12, num_hidden_layers=12, intermediate_size=3072,
                              patch_size=16, image_size=384, hidden_act="quick_gelu")
    hf = CLIPConfig(text_config=text.to_dict(), vision_config=vision.to_dict(), projection_dim=512)
    return SGSegConfig(backbone="openai", hf_clip=hf, bias="none", guidance_layers=(3, 7))


def core_checkpoint(work, name, classes):
    """The core at real shape with random weights (F16 safetensors in `work`, made once)."""
    path = work / f"{name}_random_f16.safetensors"
    if not path.exists():
        from ovseg_reference.model import SGSegModel
        model = SGSegModel(config(name))
        randomise_(model, torch.Generator().manual_seed(0))
        export_model(model.eval(), path, classes=classes, dtype=torch.float16,
                     source=f"random {name} weights at real shape for scripts/bench/core_vs_torch.py")
    return path


def core_image(work):
    """A 640×640 RGB test image with smooth structure and noise (made once)."""
    path = work / "image_640.png"
    if not path.exists():
        g = torch.Generator().manual_seed(1)
        yy, xx = torch.meshgrid(torch.arange(640.0), torch.arange(640.0), indexing="ij")
        img = torch.stack([120 + 60 * torch.sin(xx / 37), 100 + 50 * torch.cos(yy / 23), 90 + 40 * torch.sin((xx + yy) / 51)])
        img = (img + 20 * torch.randn(img.shape, generator=g)).clamp(0, 255).round().to(torch.uint8)
        Image.fromarray(img.permute(1, 2, 0).numpy()).save(path)
    return path


def clip_checkpoint(work):
    """A Hugging Face CLIP ViT-B/16 (OpenAI shapes) with random weights, seed 0 (made once)."""
    from safetensors.torch import save_file
    from transformers import CLIPConfig, CLIPModel, CLIPTextConfig, CLIPVisionConfig
    path = work / "clip_vit_b16_random.safetensors"
    if not path.exists():
        torch.manual_seed(0)
        config = CLIPConfig(text_config=CLIPTextConfig().to_dict(),
                            vision_config=CLIPVisionConfig(patch_size=16).to_dict(), projection_dim=512)
        model = CLIPModel(config).eval()
        state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items() if not k.endswith("position_ids")}
        save_file(state, str(path), metadata={"format": "pt"})
    return path
