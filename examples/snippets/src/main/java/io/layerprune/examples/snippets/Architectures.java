package io.layerprune.examples.snippets;

// README: architectures imports
import io.layerprune.model.Architecture;
import io.layerprune.model.Model;
import io.layerprune.train.TrainConfig;
import io.layerprune.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
// END README

/** The README's architecture-description example (section "Any architecture"), compiled by the build. */
public final class Architectures {
    private Architectures() {}

    static void describe() throws IOException {
        // README: architectures
        Architecture net = Architecture.builder().input(1, 28, 28)
                .stem(Architecture.Layer.conv(64).kernel(7).stride(2), Architecture.Pool.max(3).stride(2).pad(1))
                .stage(Architecture.Stage.bottleneck(64, 3))
                .stage(Architecture.Stage.bottleneck(128, 4).stride(2))
                .head(10).seed(1).spec();                              // validated by the native core
        Architecture mlp = Architecture.fromJson(Files.readString(Path.of("mlp.json")));
        Architecture r50 = Architecture.preset("resnet50", 3, 32, 32, 10);
        try (Model model = net.build(); Trainer t = Trainer.create(model, TrainConfig.defaultsFor(net))) {
            System.out.println(model.sections() + " sections; " + mlp.type() + ", " + r50.type());
        }
        // END README
    }
}
