package io.layerprune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerprune.TestData;
import io.layerprune.report.ReportWriter;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Same seed and thread count give a bit-identical report (timings aside); a different seed gives a
 * different one, so the comparison can fail.
 */
class DeterminismTest {
    /** Wall-clock fields: they differ between identical runs. */
    static final Set<String> TIMING = Set.of("seconds", "samples_per_second", "created", "evaluation_seconds");

    @TempDir
    Path dir;

    JsonNode train(String name, long seed, int threads) throws Exception {
        Path report = dir.resolve(name + ".json");
        MainTest.Run r = MainTest.run("train", "--data", TestData.FASHION.toString(), "--train-limit", "2000",
                "--test-limit", "1000", "--epochs", "2", "--sections", "4", "--width", "32", "--seed",
                Long.toString(seed), "--threads", Integer.toString(threads), "--quiet", "--report", report.toString());
        assertEquals(0, r.code(), r.err());
        return withoutTiming(ReportWriter.mapper().readTree(report.toFile()));
    }

    static JsonNode withoutTiming(JsonNode n) {
        if (n instanceof ObjectNode o) {
            o.remove(TIMING);
            Iterator<Map.Entry<String, JsonNode>> it = o.fields();
            while (it.hasNext()) {
                withoutTiming(it.next().getValue());
            }
        } else if (n instanceof ArrayNode a) {
            for (JsonNode c : a) {
                withoutTiming(c);
            }
        }
        return n;
    }

    @ParameterizedTest(name = "{0} thread(s)")
    @ValueSource(ints = {1, 2})
    void sameSeedAndThreadsGiveTheSameReport(int threads) throws Exception {
        assumeTrue(TestData.fashionAvailable(), "Fashion-MNIST is not installed");
        JsonNode a = train("a" + threads, 7, threads);
        JsonNode b = train("b" + threads, 7, threads);
        assertEquals(a.toPrettyString(), b.toPrettyString());
        assertEquals(a, b);
    }

    @Test
    void aDifferentSeedGivesADifferentReport() throws Exception {
        assumeTrue(TestData.fashionAvailable(), "Fashion-MNIST is not installed");
        JsonNode a = train("s7", 7, 1);
        JsonNode b = train("s8", 8, 1);
        assertNotEquals(a, b);
        // the numbers differ, not just the seed recorded in the config
        ((ObjectNode) a.get("config")).remove("seed");
        ((ObjectNode) b.get("config")).remove("seed");
        ((ObjectNode) a.get("config").get("model")).remove("seed");
        ((ObjectNode) b.get("config").get("model")).remove("seed");
        assertNotEquals(a.get("epochs"), b.get("epochs"));
    }

    @Test
    void timingFieldsAreRemovedEverywhere() throws Exception {
        JsonNode n = ReportWriter.mapper().readTree("{\"created\":\"x\",\"epochs\":[{\"seconds\":1,\"loss\":2}],"
                + "\"final\":{\"samples_per_second\":3,\"steps\":4}}");
        assertEquals(ReportWriter.mapper().readTree("{\"epochs\":[{\"loss\":2}],\"final\":{\"steps\":4}}"),
                withoutTiming(n));
    }
}
