"""PyTorch's "Training a Classifier" (CIFAR-10) tutorial, unchanged PyTorch code on synthetic
CIFAR-shaped data (no download): the tutorial's Net (two conv + pool layers, three linear
layers), SGD with momentum, mini-batches of 4, then the accuracy on held-out data.

Runs under PyTorch and under tenkai (``python -m tenkai.as_torch
examples/tutorial_cifar_cnn.py``); ``tenkai bench --script`` times it both ways.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)


def synthetic_cifar(n, seed):
    """3x32x32 images: the class picks the colour channel and the half that is bright."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 10, (n,), generator=g)
    images = torch.randn(n, 3, 32, 32, generator=g) * 0.3
    for i in range(n):
        k = int(labels[i])
        images[i, k % 3, (k // 3) * 8:(k // 3) * 8 + 8, :] += 1.0
    return TensorDataset(images, labels)


trainloader = DataLoader(synthetic_cifar(2000, 1), batch_size=4, shuffle=True)
testloader = DataLoader(synthetic_cifar(400, 2), batch_size=4, shuffle=False)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


net = Net()
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)

for epoch in range(2):
    running_loss = 0.0
    for i, data in enumerate(trainloader, 0):
        inputs, labels = data
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        if i % 100 == 99:
            print(f"[{epoch + 1}, {i + 1:5d}] loss: {running_loss / 100:.3f}")
            running_loss = 0.0
print("Finished Training")

correct = 0
total = 0
with torch.no_grad():
    for data in testloader:
        images, labels = data
        outputs = net(images)
        _, predicted = torch.max(outputs.data, 1)
        total += labels.size(0)
        correct += (predicted == labels).sum().item()
print(f"Accuracy of the network on the 400 test images: {100 * correct // total} %")
