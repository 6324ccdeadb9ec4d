#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (checked in under native/fuzz/corpus/; rerun after a
format change): small valid files of each kind, plus a few truncated or corrupt ones that reach
the parsers' error paths. libFuzzer mutates them; valid seeds let it start past the header checks.

    python3 native/fuzz/make_corpus.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(kind, name, data):
    folder = os.path.join(HERE, "corpus", kind)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def idx_images(count, rows, cols):
    pixels = bytes((i * 37 + 11) % 256 for i in range(count * rows * cols))
    return struct.pack(">IIII", 0x00000803, count, rows, cols) + pixels


def idx_labels(labels):
    return struct.pack(">II", 0x00000801, len(labels)) + bytes(labels)


def cifar_record(label, seed):
    return bytes([label]) + bytes((p * 7 + seed) % 256 for p in range(3072))


def main():
    # IDX: images and labels, valid, empty, truncated, with trailing data.
    write("idx", "images_3x4x5", idx_images(3, 4, 5))
    write("idx", "images_1x28x28", idx_images(1, 28, 28))
    write("idx", "images_0x28x28", idx_images(0, 28, 28))
    write("idx", "images_truncated", idx_images(2, 3, 3)[:-4])
    write("idx", "labels_10", idx_labels(range(10)))
    write("idx", "labels_0", idx_labels([]))
    write("idx", "labels_trailing", idx_labels([1, 2]) + b"\x00")
    # CIFAR-10: one record (the smallest valid file), a label out of range, half a record.
    write("cifar", "one_record", cifar_record(3, 1))
    write("cifar", "label_10", cifar_record(10, 2)[:200])
    write("cifar", "half_record", cifar_record(9, 3)[:1536])


if __name__ == "__main__":
    main()
