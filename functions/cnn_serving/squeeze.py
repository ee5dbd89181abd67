"""SqueezeNet 1.1 (torchvision) with the usual ImageNet preprocessing. Shared by the handler
(app.py) and functions/generate_inputs.py, which initialises it with a fixed seed (no download
of trained weights is possible here) and saves it (model.pt)."""
import io

import torch
from PIL import Image
from torchvision import transforms
from torchvision.models import squeezenet1_1

PREPROCESS = transforms.Compose([
    transforms.Resize(256),
    transforms.CenterCrop(224),
    transforms.ToTensor(),
    transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
])


def build_model():
    return squeezenet1_1(weights=None)


def load_model(path):
    """Loads saved weights (read into memory first: no descriptor stays open); eval mode."""
    with open(path, "rb") as f:
        state = torch.load(io.BytesIO(f.read()))
    model = build_model()
    model.load_state_dict(state)
    model.eval()
    return model


def classify(model, image_path):
    """The 1000 class scores of one image."""
    with Image.open(image_path) as image:
        image = image.convert("RGB")
    with torch.no_grad():
        return model(PREPROCESS(image).unsqueeze(0))[0]
