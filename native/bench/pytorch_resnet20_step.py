#!/usr/bin/env python3
"""The ResNet-20 training step of layerprune_cuda_bench (BM_CudaResNetTrainStep/20/3/32/128)
in PyTorch on the same GPU, so the two are compared as a ratio from one run.

Same network as model/architecture.cpp resnet_cifar(20, {3, 32, 32}, 10) with the
default post_activation = false: conv3x3-BN-ReLU stem (16 channels); 3 stages of 3 W-B-a-W
blocks (conv3x3-BN-ReLU-conv3x3, no BN after the second conv) with 16/32/64 channels, the
first block of stages 2 and 3 at stride 2 with a 1x1 strided projection skip (no BN); no
ReLU after the addition; global average pool; dense head. Batch 128 of 3x32x32, FP32, SGD
with momentum 0.9 and weight decay 5e-4 (layerprune decays only stem, head and
projections; the cost is the same), softmax cross-entropy; data already on the GPU
(layerprune copies each batch from the host, which is part of its step time).

Prints samples/s for strict FP32 (TF32 off, as our kernels) and, for context, with TF32 on
(cuDNN's default for convolutions) and channels_last.
"""
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.proj = nn.Conv2d(cin, cout, 1, stride, 0, bias=False) if stride != 1 or cin != cout else None

    def forward(self, x):
        skip = x if self.proj is None else self.proj(x)
        return skip + self.conv2(F.relu(self.bn(self.conv1(x))))


class ResNet20(nn.Module):
    def __init__(self, channels=3, classes=10, n=3):
        super().__init__()
        self.stem = nn.Conv2d(channels, 16, 3, 1, 1, bias=False)
        self.stem_bn = nn.BatchNorm2d(16)
        blocks, cin = [], 16
        for cout, stride in ((16, 1), (32, 2), (64, 2)):
            for i in range(n):
                blocks.append(Block(cin, cout, stride if i == 0 else 1))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(64, classes)

    def forward(self, x):
        x = F.relu(self.stem_bn(self.stem(x)))
        x = self.blocks(x)
        return self.head(x.mean(dim=(2, 3)))


def measure(label, tf32, channels_last, batch=128, warmup=15, steps=60):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    torch.backends.cudnn.benchmark = True
    torch.manual_seed(1)
    device = torch.device("cuda")
    model = ResNet20().to(device)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(memory_format=fmt)
    x = torch.randn(batch, 3, 32, 32, device=device).to(memory_format=fmt)
    y = torch.randint(0, 10, (batch,), device=device)
    opt = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9, weight_decay=5e-4)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    for _ in range(warmup):
        step()
    torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(steps):
        loss = step()
    loss.item()  # as layerprune does each step: the loss reaches the host
    torch.cuda.synchronize()
    dt = (time.perf_counter() - t) / steps
    print(f"pytorch resnet20 3x32x32 b{batch} {label:28s} {dt * 1e3:8.3f} ms/step  {batch / dt:10.0f} samples/s",
          flush=True)


def main():
    if not torch.cuda.is_available():
        print("pytorch: no CUDA device visible to PyTorch")
        raise SystemExit(1)
    print(f"pytorch {torch.__version__}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}, "
          f"{torch.cuda.get_device_name(0)}", flush=True)
    measure("fp32 (tf32 off) NCHW", tf32=False, channels_last=False)
    measure("fp32 (tf32 off) channels_last", tf32=False, channels_last=True)
    measure("tf32 on, channels_last", tf32=True, channels_last=True)


if __name__ == "__main__":
    main()
