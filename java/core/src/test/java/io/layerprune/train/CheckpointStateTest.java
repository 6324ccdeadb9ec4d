package io.layerprune.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.layerprune.LayerpruneException;
import io.layerprune.internal.CheckpointMetadata;
import io.layerprune.internal.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The checkpoint metadata is written without Jackson now; files written by earlier versions (with
 * Jackson, SNAKE_CASE) must still read, and the new JSON must be the same document.
 */
class CheckpointStateTest {
    /** The metadata record as the Jackson-based versions declared it. */
    record OldSaved(String format, long initialParams, double initialFlopsPerSample, CheckpointState.Progress progress,
            String user) {}

    static final ObjectMapper JACKSON = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    static CheckpointState.Progress progress() {
        TrainConfig config = TrainConfig.builder().tau(0.05).epochs(3).batchSize(32).seed(9).build();
        TrainingStart start = new TrainingStart(3, 10, 32, 320, 100, 320, 0.125, 0.05, 30, 4, 4, 12345, 6.5e4, 50);
        EpochEvent e1 = new EpochEvent(1, 10, 2.25, 0.5, Double.NaN, 0.625, new double[] {0.5, 1e-7, 0, 1},
                new double[] {0.01, 0.02, 0, 3.5}, new boolean[] {false, false, true, false}, 3, 9000, 5.5e4,
                1.5e9, 0.75, 2.5, 0.4375, 1e8);
        return new CheckpointState.Progress(CheckpointState.Config.of(config), start, 1, 320, 0.75, false, 320,
                List.of(e1), List.of(new PruneEvent(2, 7, 1, false)));
    }

    @Test
    void metadataWrittenByJacksonStillReads() throws Exception {
        CheckpointState.Progress p = progress();
        String old = JACKSON.writeValueAsString(new OldSaved(CheckpointMetadata.FORMAT, 777, 1.5e6, p, "{\"cli\":1}"));
        CheckpointMetadata.Envelope e = CheckpointMetadata.read(old, "old.lpckpt");
        assertEquals(777, e.initialParams());
        assertEquals(1.5e6, e.initialFlopsPerSample());
        assertEquals("{\"cli\":1}", e.user());
        CheckpointState.Progress back = CheckpointState.fromTree(e.progress());
        // Same document, field by field: the records hold arrays, so compare their JSON trees.
        assertEquals(JACKSON.readTree(JACKSON.writeValueAsString(p)), JACKSON.readTree(JACKSON.writeValueAsString(back)));
        assertTrue(Double.isNaN(back.epochs().get(0).validationLossExpected()));
        assertEquals(0.05, back.start().tau());
        assertEquals(p.config().toConfig(), back.config().toConfig());
    }

    @Test
    void newMetadataIsTheSameDocumentAsJacksons() throws Exception {
        CheckpointState.Progress p = progress();
        String now = CheckpointMetadata.write(777, 1.5e6, CheckpointState.toTree(p), null);
        String old = JACKSON.writeValueAsString(new OldSaved(CheckpointMetadata.FORMAT, 777, 1.5e6, p, null));
        assertEquals(JACKSON.readTree(old), JACKSON.readTree(now));
        // and Jackson (earlier versions) reads it back
        OldSaved s = JACKSON.readValue(now, OldSaved.class);
        assertEquals(p.epochsDone(), s.progress().epochsDone());
        assertNull(CheckpointState.fromTree(Json.member(Json.parse(CheckpointMetadata.write(1, 2, null, null)),
                "progress")));
    }

    /** Before the validation set, the per-epoch set was called "test": such files read as validation numbers. */
    @Test
    @SuppressWarnings("unchecked")
    void progressOfEarlierVersionsNamesTheValidationSet() {
        java.util.Map<String, Object> tree = (java.util.Map<String, Object>) Json.parse(Json.write(
                CheckpointState.toTree(progress())));
        java.util.Map<String, Object> start = (java.util.Map<String, Object>) tree.get("start");
        start.put("test_samples", start.remove("validation_samples"));
        java.util.Map<String, Object> epoch = (java.util.Map<String, Object>) ((List<Object>) tree.get("epochs")).get(0);
        for (String k : List.of("loss_expected", "accuracy_expected", "loss_deterministic", "accuracy_deterministic")) {
            epoch.put("test_" + k, epoch.remove("validation_" + k));
        }
        CheckpointState.Progress old = CheckpointState.fromTree(Json.parse(Json.write(tree)));
        assertEquals(100, old.start().validationSamples());
        assertEquals(0, old.start().testSamples());
        assertEquals(0.625, old.epochs().get(0).validationAccuracyExpected());
        assertEquals(0.4375, old.epochs().get(0).validationAccuracyDeterministic());
        CheckpointState.Progress now = CheckpointState.fromTree(CheckpointState.toTree(progress()));
        assertEquals(50, now.start().testSamples());
    }

    /** The JSON tree of the progress of a run with this configuration, as a file stores it. */
    @SuppressWarnings("unchecked")
    static java.util.Map<String, Object> storedTree(TrainConfig config) {
        CheckpointState.Progress p = new CheckpointState.Progress(CheckpointState.Config.of(config), null, 1, 0, 0,
                false, 0, List.of(), List.of());
        return (java.util.Map<String, Object>) Json.parse(Json.write(CheckpointState.toTree(p)));
    }

    /** The configuration read back from a stored tree. */
    static TrainConfig readConfig(java.util.Map<String, Object> tree) {
        return CheckpointState.fromTree(Json.parse(Json.write(tree))).config().toConfig();
    }

    /** The precision of the run is stored with its configuration; files written before it read as fp32. */
    @Test
    @SuppressWarnings("unchecked")
    void precisionIsStoredAndEarlierFilesReadAsFp32() {
        TrainConfig bf16 = TrainConfig.builder().precision(io.layerprune.model.Precision.BF16).epochs(2).build();
        java.util.Map<String, Object> tree = storedTree(bf16);
        java.util.Map<String, Object> config = (java.util.Map<String, Object>) tree.get("config");
        assertEquals("bf16", config.get("precision"));
        assertEquals(bf16, readConfig(tree));
        config.remove("precision");
        assertEquals(io.layerprune.model.Precision.FP32, readConfig(tree).precision());
    }

    /**
     * The estimator budget, pruning rule, evidence horizon and z and the prior scaling are stored with
     * the configuration (before, a resumed run's config() showed the defaults instead); files without
     * them read as the defaults.
     */
    @Test
    @SuppressWarnings("unchecked")
    void methodSettingsAreStoredAndEarlierFilesReadAsDefaults() {
        TrainConfig custom = TrainConfig.builder().estimatorBudget(0.125).pruningRule(PruningRule.PLAIN)
                .evidenceHorizon(77).evidenceZ(1.5).priorScaling(PriorScaling.PER_WEIGHT).epochs(2).build();
        java.util.Map<String, Object> tree = storedTree(custom);
        java.util.Map<String, Object> config = (java.util.Map<String, Object>) tree.get("config");
        assertEquals("plain", config.get("pruning_rule"));
        assertEquals(custom, readConfig(tree));
        for (String key : List.of("estimator_budget", "pruning_rule", "evidence_horizon", "evidence_z",
                "prior_scaling")) {
            config.remove(key);
        }
        TrainConfig old = readConfig(tree);
        TrainConfig defaults = TrainConfig.builder().epochs(2).build();
        assertEquals(defaults.estimatorBudget(), old.estimatorBudget());
        assertEquals(defaults.pruningRule(), old.pruningRule());
        assertEquals(defaults.evidenceHorizon(), old.evidenceHorizon());
        assertEquals(defaults.evidenceZ(), old.evidenceZ());
        assertEquals(defaults.priorScaling(), old.priorScaling());
    }

    /** The prior norm is stored; files written before it read as the current norm, which those runs used. */
    @Test
    @SuppressWarnings("unchecked")
    void priorNormIsStoredAndEarlierFilesReadAsCurrent() {
        TrainConfig initial = TrainConfig.builder().priorNorm(PriorNorm.INITIAL).epochs(2).build();
        java.util.Map<String, Object> tree = storedTree(initial);
        java.util.Map<String, Object> config = (java.util.Map<String, Object>) tree.get("config");
        assertEquals("initial", config.get("prior_norm"));
        assertEquals(initial, readConfig(tree));
        config.remove("prior_norm");
        assertEquals(PriorNorm.CURRENT, readConfig(tree).priorNorm());
    }

    @Test
    void badMetadataNamesTheFile() {
        LayerpruneException e = assertThrows(LayerpruneException.class, () -> CheckpointMetadata.read("{\"format\":", "x.lpckpt"));
        assertTrue(e.getMessage().contains("x.lpckpt") && e.getMessage().contains("not valid"), e.getMessage());
        e = assertThrows(LayerpruneException.class, () -> CheckpointMetadata.read("{\"format\":\"other/1\"}", "y"));
        assertTrue(e.getMessage().contains("'other/1'"), e.getMessage());
        assertThrows(Json.JsonException.class, () -> CheckpointState.fromTree(Json.parse("{\"epochs_done\":\"x\"}")));
    }
}
