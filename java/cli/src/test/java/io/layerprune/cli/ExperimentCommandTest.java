package io.layerprune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.layerprune.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code layerprune experiment NAME} in-process. */
class ExperimentCommandTest {
    @TempDir
    Path dir;

    @Test
    void robustnessFromTheCommandLine() throws Exception {
        assumeTrue(TestData.fashionAvailable(), "Fashion-MNIST is not installed");
        MainTest.Run r = MainTest.run("experiment", "robustness", "--data", TestData.FASHION.toString(),
                "--train-limit", "1000", "--test-limit", "300", "--epochs", "1", "--depths", "2,3", "--seeds", "1",
                "--width", "16", "--out", dir.toString());
        assertEquals(0, r.code(), r.err());
        Matcher m = Pattern.compile("results: (\\S+) ").matcher(r.out());
        assertTrue(m.find(), r.out());
        Path out = Path.of(m.group(1));
        assertTrue(Files.exists(out.resolve("robustness.md")));
        assertTrue(Files.exists(out.resolve("robustness.json")));
        assertTrue(r.out().contains("| L | runs | kept mean |"), r.out());
        List<String> progress = r.err().lines().filter(l -> l.startsWith("[")).toList();
        assertEquals(2, progress.size(), r.err());
    }

    @Test
    void usageErrors() {
        MainTest.oneLineError(MainTest.run("experiment", "nope"), 2, "nope");
        MainTest.oneLineError(MainTest.run("experiment"), 2, "NAME");
        MainTest.oneLineError(MainTest.run("experiment", "robustness", "--epochs", "0"), 2, "--epochs");
        MainTest.oneLineError(MainTest.run("experiment", "robustness", "--depths", "-1"), 2, "--depths");
    }
}
