package io.layerprune.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.layerprune.TestData;
import io.layerprune.report.ReportWriter;
import io.layerprune.train.Estimator;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every experiment at tiny settings: files exist, the JSON parses, the numbers are consistent. */
class ExperimentsTest {
    @TempDir
    Path dir;

    static Experiments.Settings tiny(Experiments.Name name) {
        Experiments.Settings d = Experiments.Settings.defaults(name);
        return new Experiments.Settings(TestData.FASHION, 1000, 500, 1, 16, List.of(2, 3), List.of(1L),
                name == Experiments.Name.EARLY_PRUNING ? List.of(0.0, 0.1) : d.lambdas(), d.estimators(), 1);
    }

    JsonNode runAndCheck(Experiments.Name name, int expectedRuns) throws Exception {
        assumeTrue(TestData.fashionAvailable(), "Fashion-MNIST is not installed");
        StringWriter progress = new StringWriter();
        Experiments.Outcome o = Experiments.run(name, tiny(name), dir, new PrintWriter(progress, true));
        assertTrue(Files.isDirectory(o.dir()));
        assertTrue(o.dir().getFileName().toString().startsWith(name.cliName() + "-"), o.dir().toString());
        assertEquals(dir, o.dir().getParent());
        assertTrue(Files.exists(o.markdownFile()));
        assertTrue(Files.exists(o.jsonFile()));
        String md = Files.readString(o.markdownFile());
        assertEquals(o.markdown(), md);
        assertTrue(md.contains("|---|"), md);
        assertEquals(expectedRuns, o.runs().size());
        // a header line plus one progress line per run
        assertEquals(expectedRuns + 1, progress.toString().lines().count(), progress.toString());

        JsonNode n = ReportWriter.mapper().readTree(o.jsonFile().toFile());
        assertEquals(Experiments.SCHEMA, n.get("schema").asText());
        assertEquals(name.cliName(), n.get("experiment").asText());
        assertEquals(1000, n.get("settings").get("train_images").asInt());
        assertEquals(expectedRuns, n.get("runs").size());
        for (JsonNode r : n.get("runs")) {
            int kept = r.get("sections_kept").asInt();
            int total = r.get("sections_total").asInt();
            assertEquals(r.get("depth").asInt(), total);
            assertTrue(kept >= 0 && kept <= total, r.toString());
            assertEquals(total - kept, r.get("pruned").size(), "every removed section is listed: " + r);
            double acc = r.get("test_accuracy").asDouble();
            assertTrue(acc > 0 && acc <= 1, r.toString());
            // training FLOPs count the estimator's extra passes, so the ratio may exceed 1 slightly
            double ratio = r.get("training_flops_ratio").asDouble();
            assertTrue(ratio > 0 && ratio < 2, r.toString());
            assertEquals(1 - ratio, r.get("training_flops_saved").asDouble(), 1e-12);
            long steps = r.get("steps").asLong();
            assertEquals(1000 / 128, steps);
            if (!r.get("last_prune_step").isNull()) {
                double f = r.get("last_prune_fraction").asDouble();
                assertTrue(f > 0 && f <= 1, r.toString());
                assertEquals(r.get("last_prune_step").asDouble() / steps, f, 1e-12);
            } else {
                assertTrue(r.get("last_prune_fraction").isNull());
            }
            for (JsonNode p : r.get("pruned")) {
                assertTrue(p.get("step").asLong() >= 0 && p.get("step").asLong() <= steps, p.toString());
            }
            assertTrue(r.get("seconds").asDouble() >= 0);
        }
        assertTrue(n.get("wall_seconds").asDouble() > 0);
        return n;
    }

    @Test
    void estimators() throws Exception {
        JsonNode n = runAndCheck(Experiments.Name.ESTIMATORS, 2 * Estimator.values().length);
        for (Estimator e : Estimator.values()) {
            assertTrue(n.toString().contains("\"" + e.cliName() + "\""), e.cliName());
        }
    }

    @Test
    void robustness() throws Exception {
        JsonNode n = runAndCheck(Experiments.Name.ROBUSTNESS, 2);
        JsonNode summary = n.get("depth_summary");
        assertEquals(2, summary.size());
        for (JsonNode d : summary) {
            assertTrue(d.get("kept_min").asInt() <= d.get("kept_mean").asDouble());
            assertTrue(d.get("kept_mean").asDouble() <= d.get("kept_max").asInt());
            assertTrue(d.get("kept_max").asInt() <= d.get("depth").asInt());
        }
    }

    @Test
    void earlyPruning() throws Exception {
        JsonNode n = runAndCheck(Experiments.Name.EARLY_PRUNING, 4);
        assertEquals(0.0, n.get("runs").get(0).get("lambda").asDouble(), 0);
        assertEquals(0.1, n.get("runs").get(1).get("lambda").asDouble(), 0);
    }

    @Test
    void settingsAreValidated() {
        Experiments.Settings d = Experiments.Settings.defaults(Experiments.Name.ROBUSTNESS);
        assertEquals(List.of(6, 12, 24, 48), d.depths());
        assertEquals(List.of(1L, 2L, 3L), d.seeds());
        assertEquals(20000, d.trainLimit());
        assertThrows(IllegalArgumentException.class, () -> new Experiments.Settings(d.data(), 0, 0, 0, 8, d.depths(),
                d.seeds(), d.lambdas(), d.estimators(), 1));
        assertThrows(IllegalArgumentException.class, () -> new Experiments.Settings(d.data(), 0, 0, 1, 8, List.of(),
                d.seeds(), d.lambdas(), d.estimators(), 1));
        assertThrows(IllegalArgumentException.class, () -> new Experiments.Settings(d.data(), 0, 0, 1, 8, d.depths(),
                d.seeds(), List.of(-1.0), d.estimators(), 1));
        assertEquals(Experiments.Name.EARLY_PRUNING, Experiments.Name.fromName("early-pruning"));
        assertThrows(IllegalArgumentException.class, () -> Experiments.Name.fromName("nope"));
    }
}
