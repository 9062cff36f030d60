"""Train digit classifiers on scikit-learn's bundled UCI handwritten digits (8x8, 1,797
images): an MLP and a small CNN, both written exactly as PyTorch code.

    pip install -e '.[digits]' && python examples/digits.py
"""

from __future__ import annotations

import argparse

import tenkai as torch
import tenkai.nn as nn
import tenkai.nn.functional as F
from tenkai.datasets import Digits
from tenkai.utils.data import DataLoader


class MLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.1),
                                 nn.Linear(128, 10))

    def forward(self, x):
        return self.net(x)


class CNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.fc = nn.Linear(32 * 2 * 2, 10)

    def forward(self, x):
        x = self.features(x)
        return self.fc(x.view(x.size(0), -1))


def to_image(x):
    """Digits pixels are 0..16: scale to [0, 1] and add the channel dim."""
    return torch.tensor(x, dtype=torch.float32).view(1, 8, 8) / 16.0


def evaluate(model: nn.Module, loader: DataLoader) -> float:
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for images, labels in loader:
            correct += (model(images).argmax(dim=1) == labels).sum().item()
            total += labels.numel()
    return correct / total


def train(model: nn.Module, epochs: int, lr: float) -> float:
    torch.manual_seed(0)
    train_set = Digits(train=True, transform=to_image)
    test_set = Digits(train=False, transform=to_image)
    train_loader = DataLoader(train_set, batch_size=32, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=256)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for epoch in range(epochs):
        model.train()
        for images, labels in train_loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(images), labels)
            loss.backward()
            optimizer.step()
        acc = evaluate(model, test_loader)
        print(f"{type(model).__name__} epoch {epoch + 1}: loss {loss.item():.4f}, "
              f"test accuracy {acc:.3f}")
    return acc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args()
    torch.manual_seed(0)
    mlp_acc = train(MLP(), args.epochs, 1e-3)
    torch.manual_seed(0)
    cnn_acc = train(CNN(), args.epochs, 2e-3)
    print(f"final test accuracy: MLP {mlp_acc:.3f}, CNN {cnn_acc:.3f}")


if __name__ == "__main__":
    main()
