package io.layerprune.data;

import io.layerprune.DataException;
import io.layerprune.bindings.LayerpruneNative;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads one file of the CIFAR-10 binary version ({@code data_batch_1.bin} .. {@code data_batch_5.bin},
 * {@code test_batch.bin}): a sequence of 3073-byte records, each 1 label byte (0..9) followed by
 * 3072 pixel bytes, the 32x32 red plane, then green, then blue, each row-major (CHW).
 *
 * <p>Java reads the bytes; the native parser ({@code native/src/io/cifar_format.cpp}, fuzzed by
 * {@code native/fuzz/fuzz_cifar.cpp}) checks them and splits the records. Every problem is a
 * {@link DataException} naming the file and saying what was expected and
 * what was found: a missing or empty file, a size that is not a whole number of records (which
 * record is incomplete), a label outside 0..9.
 */
public final class CifarReader {
    /** Image channels (red, green, blue). */
    public static final int CHANNELS = 3;
    /** Image height in pixels. */
    public static final int HEIGHT = 32;
    /** Image width in pixels. */
    public static final int WIDTH = 32;
    /** Pixels of one channel plane: 32 x 32. */
    public static final int PLANE = HEIGHT * WIDTH;
    /** Pixel bytes of one image: 3 x 32 x 32. */
    public static final int IMAGE_BYTES = CHANNELS * PLANE;
    /** Bytes of one record: 1 label byte + 3072 pixel bytes. */
    public static final int RECORD_BYTES = 1 + IMAGE_BYTES;
    /** Classes: labels lie in 0..9. */
    public static final int CLASSES = 10;

    private CifarReader() {}

    /**
     * Records of one file (or the first records of it).
     *
     * @param count records read
     * @param labels {@code count} labels, 0..9
     * @param pixels {@code count * 3072} bytes, record after record, each in the file's CHW order
     */
    public record Batch(Path file, int count, byte[] labels, byte[] pixels) {}

    /**
     * The number of complete records in {@code file}, after checking that the file exists, is not
     * empty and is a whole number of 3073-byte records.
     */
    public static int records(Path file) {
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new DataException("missing file: " + file + " does not exist (a CIFAR-10 binary folder holds "
                    + "data_batch_1.bin .. data_batch_5.bin and test_batch.bin)", e);
        } catch (IOException e) {
            throw new DataException("could not read " + file + ": " + e, e);
        }
        if (!Files.isRegularFile(file)) {
            throw new DataException(file + " is not a regular file (expected a CIFAR-10 binary batch)");
        }
        String source = file.toString();
        return Math.toIntExact(IdxReader.parsed(() -> LayerpruneNative.cifar_count_records(size, source)));
    }

    /** Reads every record of {@code file}. */
    public static Batch read(Path file) {
        return read(file, Integer.MAX_VALUE);
    }

    /**
     * Reads the first {@code min(maxRecords, records in the file)} records of {@code file}. The whole
     * file's size is checked first (a whole number of records), the labels of the records read are
     * checked to lie in 0..9.
     */
    public static Batch read(Path file, int maxRecords) {
        if (maxRecords < 0) {
            throw new IllegalArgumentException("maxRecords must be >= 0, got " + maxRecords);
        }
        int inFile = records(file);
        int count = Math.min(inFile, maxRecords);
        byte[] records;
        try (InputStream in = Files.newInputStream(file)) {
            // Only the records wanted; the size check above covered the whole file. A file that
            // shrank since then comes back short and the parser names the incomplete record.
            records = in.readNBytes(count * RECORD_BYTES);
        } catch (NoSuchFileException e) {
            throw new DataException("missing file: " + file + " does not exist", e);
        } catch (IOException e) {
            throw new DataException("could not read " + file + ": " + e, e);
        }
        byte[] labels = new byte[count];
        byte[] pixels = new byte[count * IMAGE_BYTES];
        String source = file.toString();
        IdxReader.parsed(() -> {
            LayerpruneNative.cifar_split_records(records, records.length, source, labels, labels.length, pixels,
                    pixels.length);
            return null;
        });
        return new Batch(file, count, labels, pixels);
    }
}
