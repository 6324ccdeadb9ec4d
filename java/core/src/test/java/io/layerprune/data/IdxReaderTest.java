package io.layerprune.data;

import io.layerprune.DataException;
import io.layerprune.TestData;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** IDX reading on small files written by the test: Java file access and gzip, the native parser (api_io.h). */
class IdxReaderTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "gzip={0}")
    @ValueSource(booleans = {false, true})
    void roundTripImagesAndLabels(boolean gz) {
        byte[] pixels = TestData.pixels(7 * 3 * 4, 42);
        byte[] labels = {0, 1, 2, 9, (byte) 200, 5, 3};
        byte[] images = TestData.imagesIdx(7, 3, 4, pixels);
        byte[] lab = TestData.labelsIdx(labels);
        // Compression is detected from the content, not the name: no .gz suffix here.
        Path imagesFile = dir.resolve("imgs");
        Path labelsFile = dir.resolve("labs");
        TestData.write(imagesFile, gz ? TestData.gzip(images) : images);
        TestData.write(labelsFile, gz ? TestData.gzip(lab) : lab);

        IdxReader.Images read = IdxReader.readImages(imagesFile);
        assertEquals(7, read.count());
        assertEquals(3, read.rows());
        assertEquals(4, read.cols());
        assertEquals(12, read.pixelsPerImage());
        assertArrayEquals(pixels, read.pixels());
        assertArrayEquals(labels, IdxReader.readLabels(labelsFile));
    }

    @Test
    void corruptMagicIsNamed() {
        byte[] images = TestData.imagesIdx(2, 2, 2, new byte[8]);
        images[2] = 0x0d; // float type instead of unsigned byte
        Path f = dir.resolve("train-images-idx3-ubyte");
        TestData.write(f, images);
        DataException e = assertThrows(DataException.class, () -> IdxReader.readImages(f));
        assertTrue(e.getMessage().contains("bad magic number 0x00000d03"), e.getMessage());
        assertTrue(e.getMessage().contains("0x00000803"), e.getMessage());
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    }

    @Test
    void labelsFileGivenAsImagesIsRejected() {
        Path f = dir.resolve("labels");
        TestData.write(f, TestData.labelsIdx(new byte[] {1, 2}));
        DataException e = assertThrows(DataException.class, () -> IdxReader.readImages(f));
        assertTrue(e.getMessage().contains("bad magic number 0x00000801"), e.getMessage());
    }

    @Test
    void truncatedPlainImagesSayExpectedAndFound() {
        byte[] images = TestData.imagesIdx(10, 4, 4, TestData.pixels(160, 1));
        Path f = dir.resolve("train-images-idx3-ubyte");
        TestData.write(f, Arrays.copyOf(images, images.length - 50));
        DataException e = assertThrows(DataException.class, () -> IdxReader.readImages(f));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertTrue(e.getMessage().contains("expected 160"), e.getMessage());
        assertTrue(e.getMessage().contains("found 110"), e.getMessage());
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    }

    @Test
    void truncatedGzipStreamIsTruncatedToo() {
        byte[] gz = TestData.gzip(TestData.imagesIdx(50, 8, 8, TestData.pixels(50 * 64, 3)));
        Path f = dir.resolve("train-images-idx3-ubyte.gz");
        TestData.write(f, Arrays.copyOf(gz, gz.length / 2));
        DataException e = assertThrows(DataException.class, () -> IdxReader.readImages(f));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertTrue(e.getMessage().contains("expected 3200"), e.getMessage());
    }

    @Test
    void headerCutShortIsTruncated() {
        Path f = dir.resolve("short");
        TestData.write(f, new byte[] {0, 0, 8, 3, 0, 0});
        DataException e = assertThrows(DataException.class, () -> IdxReader.readImages(f));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertTrue(e.getMessage().contains("header"), e.getMessage());
    }

    @Test
    void truncatedLabels() {
        byte[] lab = TestData.labelsIdx(new byte[] {1, 2, 3, 4, 5});
        Path f = dir.resolve("train-labels-idx1-ubyte");
        TestData.write(f, TestData.gzip(Arrays.copyOf(lab, lab.length - 2)));
        DataException e = assertThrows(DataException.class, () -> IdxReader.readLabels(f));
        assertTrue(e.getMessage().contains("expected 5 labels, found 3"), e.getMessage());
    }

    @Test
    void trailingDataIsRejected() {
        byte[] lab = TestData.labelsIdx(new byte[] {1, 2});
        byte[] longer = Arrays.copyOf(lab, lab.length + 3);
        Path f = dir.resolve("labels");
        TestData.write(f, longer);
        DataException e = assertThrows(DataException.class, () -> IdxReader.readLabels(f));
        assertTrue(e.getMessage().contains("unexpected data after the 2 labels"), e.getMessage());
    }

    @Test
    void missingFileIsNamed() {
        Path f = dir.resolve("nope-idx1-ubyte");
        DataException e = assertThrows(DataException.class, () -> IdxReader.readLabels(f));
        assertTrue(e.getMessage().contains("no such file"), e.getMessage());
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    }

    @Test
    void datasetFolderMissingFileNamesBothSpellings() {
        TestData.writeSplit(dir, "train", 10, 2, 2, 10, true, 1);
        // no t10k files
        DataException e = assertThrows(DataException.class, () -> IdxDataset.load(dir, 0, 0, 10));
        assertTrue(e.getMessage().contains("t10k-images-idx3-ubyte"), e.getMessage());
        assertTrue(e.getMessage().contains("t10k-images-idx3-ubyte.gz"), e.getMessage());
    }

    @Test
    void datasetFolderThatDoesNotExist() {
        Path missing = dir.resolve("absent");
        DataException e = assertThrows(DataException.class, () -> IdxDataset.load(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("no such directory"), e.getMessage());
    }

    @Test
    void imageAndLabelCountMismatch() {
        TestData.writeFolder(dir, 10, 4, 2, 2, 10, false);
        TestData.write(dir.resolve("train-labels-idx1-ubyte"), TestData.labelsIdx(new byte[9]));
        DataException e = assertThrows(DataException.class, () -> IdxDataset.load(dir, 0, 0, 10));
        assertTrue(e.getMessage().contains("10 images"), e.getMessage());
        assertTrue(e.getMessage().contains("9 labels"), e.getMessage());
    }

    @Test
    void labelOutOfRangeNamesIndexAndValue() {
        TestData.writeFolder(dir, 10, 4, 2, 2, 10, true);
        byte[] labels = new byte[10];
        labels[6] = 12;
        TestData.write(dir.resolve("train-labels-idx1-ubyte.gz"), TestData.gzip(TestData.labelsIdx(labels)));
        DataException e = assertThrows(DataException.class, () -> IdxDataset.load(dir, 0, 0, 10));
        assertTrue(e.getMessage().contains("label 12 at index 6"), e.getMessage());
        assertTrue(e.getMessage().contains("10 classes"), e.getMessage());
    }

    @Test
    void testImagesOfAnotherSizeAreRejected() {
        TestData.writeSplit(dir, "train", 10, 2, 2, 10, false, 1);
        TestData.writeSplit(dir, "t10k", 10, 3, 3, 10, false, 2);
        DataException e = assertThrows(DataException.class, () -> IdxDataset.load(dir, 0, 0, 10));
        assertTrue(e.getMessage().contains("2x2") && e.getMessage().contains("3x3"), e.getMessage());
    }

    @Test
    void trainLimitLargerThanTheSetIsAnArgumentError() {
        TestData.writeFolder(dir, 10, 4, 2, 2, 10, false);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> IdxDataset.load(dir, 11, 0, 10));
        assertTrue(e.getMessage().contains("trainLimit") && e.getMessage().contains("11"), e.getMessage());
        assertTrue(Files.exists(dir.resolve("train-images-idx3-ubyte")));
    }
}
