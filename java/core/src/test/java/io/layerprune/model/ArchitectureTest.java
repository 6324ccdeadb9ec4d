package io.layerprune.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerprune.checkpoint.Checkpoint;
import io.layerprune.EvalMode;
import io.layerprune.ExportTestModels;
import io.layerprune.bindings.LayerpruneNative;
import io.layerprune.inference.ExportedModel;
import io.layerprune.model.Architecture.Layer;
import io.layerprune.model.Architecture.Pool;
import io.layerprune.model.Architecture.Stage;
import io.layerprune.model.zoo.ConvPreset;
import io.layerprune.model.zoo.ResNet;
import io.layerprune.model.zoo.ResidualMlp;
import io.layerprune.train.TrainConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Architecture}: the typed builder, presets and JSON agree with the native description;
 * it is a {@link ModelSpec} like the presets (family defaults, build, train, checkpoint, export).
 */
class ArchitectureTest {
    @TempDir
    Path dir;

    /** A small bottleneck network with the ImageNet layout's stem: 7x7 stride 2, 3x3 stride-2 max pool. */
    static Architecture bottleneck() {
        return Architecture.builder().name("tiny-bottleneck").input(3, 21, 21)
                .stem(Layer.conv(8).kernel(7).stride(2), Pool.max(3).stride(2).pad(1))
                .stage(Stage.bottleneck(2, 2))
                .stage(Stage.bottleneck(4, 2).stride(2).postActivation(true))
                .head(4).seed(5).spec();
    }

    @Test
    void builderDescribesABottleneckNetwork() {
        Architecture a = bottleneck();
        assertEquals("tiny-bottleneck", a.type());
        assertEquals(LayerpruneNative.FAMILY_RESNET, a.family());
        assertEquals(4, a.sections());
        assertEquals(3 * 21 * 21, a.inputSize());
        assertTrue(a.imageInput());
        assertEquals(8, a.width());
        assertEquals(5, a.seed());
        // The third section: 8 channels at 6x6 -> inner 4 (stride 2 in the 3x3) -> 16 at 3x3, a
        // strided projection: weights C m + 9 m m + m K, FLOPs 2 (C m H W + 9 m m P Q + m K P Q).
        Architecture.SectionFacts s = a.section(2);
        assertEquals("bottleneck", s.kind());
        assertEquals(8, s.inWidth());
        assertEquals(16, s.outWidth());
        assertTrue(s.projection());
        assertEquals(8 * 4 + 9 * 4 * 4 + 4 * 16, s.weights());
        assertEquals(s.weights() + 4 * 4, s.bodyParams());
        assertEquals(8 * 16, s.skipParams());
        assertEquals(2.0 * (8 * 4 * 36 + 9 * 4 * 4 * 9 + 4 * 16 * 9), s.bodyFlops());
        assertEquals(Architecture.fromJson(a.toJson()).withSeed(5), a);
        assertNotEquals(a.withSeed(6), a);
        // Family defaults: a bottleneck network is a ResNet.
        assertEquals(TrainConfig.defaultsFor(ResNet.builder().input(1, 28, 28).classes(10).spec()), TrainConfig.defaultsFor(a));
    }

    /** The presets' section counts, stem widths, families and validation are the core's (issue 13). */
    @Test
    void presetFactsComeFromTheCore() {
        for (int depth : new int[] {8, 20, 56, 110}) {
            ResNet.Spec r = ResNet.builder().depth(depth).input(3, 32, 32).classes(10).spec();
            Architecture core = Architecture.preset("resnet" + depth, 3, 32, 32, 10);
            assertEquals(core.sections(), r.sections(), "resnet" + depth);
            assertEquals(core.width(), r.width());
            assertEquals(core.family(), r.family());
        }
        assertEquals(27, ResNet.builder().depth(56).input(3, 32, 32).classes(10).spec().sections());
        ConvPreset.Spec vgg = ConvPreset.VGG16.spec(3, 32, 32, 10, 1);
        assertEquals(9, vgg.sections());
        assertEquals(64, vgg.width());
        assertEquals(LayerpruneNative.FAMILY_VGG, vgg.family());
        ConvPreset.Spec lenet = ConvPreset.LENET5.spec(1, 28, 28, 10, 1);
        assertEquals(2, lenet.sections());
        assertEquals(6, lenet.width());
        assertEquals(LayerpruneNative.FAMILY_LENET, lenet.family());
        try (Model m = ResNet.builder().depth(8).input(1, 8, 8).classes(3).build()) {
            assertEquals(m.spec().sections(), m.sections(), "the spec's count is the built model's");
        }
        // Invalid sizes: IllegalArgumentException with the core's message.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ResNet.builder().depth(19).input(3, 32, 32).classes(10).spec());
        assertTrue(e.getMessage().contains("depth 6n + 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ResNet.builder().depth(20).input(3, 32, 32).classes(1).spec());
        assertTrue(e.getMessage().contains("classes"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ConvPreset.VGG16.spec(0, 32, 32, 10, 1));
        assertTrue(e.getMessage().contains("input must be > 0"), e.getMessage());
    }

    @Test
    void aResidualMlpOfVaryingWidthsTrains() {
        Architecture mlp = Architecture.builder().features(12).stem(Layer.dense(32))
                .stage(Stage.dense(32, 16, 8)).head(3).spec();
        assertEquals("architecture", mlp.type());
        assertEquals(LayerpruneNative.FAMILY_MLP, mlp.family());
        assertFalse(mlp.imageInput());
        assertFalse(mlp.section(0).projection());
        assertTrue(mlp.section(1).projection());
        assertEquals(TrainConfig.defaultsFor(ResidualMlp.builder().inputSize(784).classes(10).spec()), TrainConfig.defaultsFor(mlp));
        try (Model model = mlp.build()) {
            assertEquals(mlp.params(), model.params());
            assertEquals(mlp.flopsPerSample(), model.flopsPerSample(EvalMode.DETERMINISTIC));
            assertEquals(3, model.sections());
            assertEquals(32 * 16 + 16 * 16, model.section(1).weights());
        }
    }

    @Test
    void presetsAreDescriptions() {
        Architecture r50 = Architecture.preset("resnet50", 3, 224, 224, 1000);
        assertEquals("resnet50", r50.type());
        assertEquals(16, r50.sections());
        assertEquals(64, r50.width());
        assertEquals(25557032 - 2 * (256 * 3 + 512 * 4 + 1024 * 6 + 2048 * 3) - 2 * (256 + 512 + 1024 + 2048),
                r50.params());
        assertEquals(8, Architecture.preset("resnet18", 3, 32, 32, 10).sections());
        assertEquals(16, Architecture.preset("resnet34", 3, 32, 32, 10, 0.5).sections());
        assertEquals(LayerpruneNative.FAMILY_LENET, Architecture.preset("lenet5", 1, 28, 28, 10).family());
        assertEquals(LayerpruneNative.FAMILY_VGG, Architecture.preset("vgg16", 3, 32, 32, 10).family());
        assertEquals(3, Architecture.preset("mlp:512-256-128", 1, 28, 28, 10).sections());
        // The fixed presets' specs and their descriptions are the same network.
        try (Model legacy = ResNet.builder().depth(20).input(1, 28, 28).classes(10).seed(3).build();
                Model described = Architecture.preset("resnet20", 1, 28, 28, 10).withSeed(3).build()) {
            assertEquals(legacy.params(), described.params());
            float[] x = ExportTestModels.batch(2, 784, 1);
            assertEquals(java.util.Arrays.toString(legacy.predict(x, 2, EvalMode.EXPECTED)),
                    java.util.Arrays.toString(described.predict(x, 2, EvalMode.EXPECTED)));
        }
        assertTrue(Architecture.preset("resnet20", 3, 32, 32, 10).withPostActivation(true).toJson()
                .contains("\"h\":\"relu\""));
    }

    @Test
    void badDescriptionsNameTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Architecture.builder()
                .input(1, 8, 8).stem(Layer.conv(4)).stage(Stage.basic(4, 1).kernel(2)).head(3).spec());
        assertTrue(e.getMessage().contains("stages[0].kernel must be odd"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Architecture.fromJson("{\"input\": {\"features\": 4}, \"stem\": {\"kind\": \"dense\", "
                        + "\"width\": 8}, \"stages\": [{\"kind\": \"dense\", \"widths\": [8, -1]}], \"head\": {\"classes\": 2}}"));
        assertTrue(e.getMessage().contains("stages[0].widths[1] must be > 0, got -1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Architecture.builder().features(4)
                .stem(Layer.dense(8)).spec());
        assertTrue(e.getMessage().contains("head"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Architecture.preset("resnet19", 3, 32, 32, 10));
        assertTrue(e.getMessage().contains("6n + 2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Architecture.fromJson("{"));
    }

    @Test
    void trainsSavesLoadsAndExports() throws Exception {
        Architecture a = bottleneck();
        Path ckpt = dir.resolve("b.lpckpt");
        Path exported = dir.resolve("b.lpx");
        float[] x = ExportTestModels.batch(5, a.inputSize(), 2);
        float[] before;
        try (Model model = ExportTestModels.trained(a, 0.9, 0.2, 0.8, 0.7)) {
            before = model.predict(x, 5, EvalMode.DETERMINISTIC);
            model.save(ckpt);
            ExportedModel.export(model, exported);
        }
        try (Model back = Checkpoint.loadModel(ckpt)) {
            Architecture spec = assertInstanceOf(Architecture.class, back.spec());
            assertEquals(a, spec);
            assertEquals(java.util.Arrays.toString(before), java.util.Arrays.toString(back.predict(x, 5,
                    EvalMode.DETERMINISTIC)));
        }
        try (ExportedModel e = ExportedModel.load(exported)) {
            assertEquals(a, e.sourceSpec().orElseThrow());
            assertEquals(a.toJson(), e.architectureJson());
            assertTrue(ExportTestModels.relativeError(e.predict(x, 5), before) < 1e-5);
            assertEquals(3, e.summary().sectionsKept());
        }
    }
}
