package io.layerprune.examples.snippets;

// README: fashion-mnist imports
import io.layerprune.data.IdxDataset;
import io.layerprune.model.Model;
import io.layerprune.model.zoo.ResidualMlp;
import io.layerprune.train.EpochEvent;
import io.layerprune.train.PruneEvent;
import io.layerprune.train.TrainConfig;
import io.layerprune.train.Trainer;
import io.layerprune.train.TrainingListener;
import io.layerprune.train.TrainingResult;
import java.nio.file.Path;
// END README

/**
 * The README's first Java example (section "Java"): the main job through the API. Compiled by the
 * build; {@code ReadmeSnippetsTest} checks that the README shows exactly this code.
 */
public final class FashionMnist {
    private FashionMnist() {}

    public static void main(String[] args) {
        // README: fashion-mnist
        // 10 % of the training images held out for validation (seed 1); all images standardised with
        // the statistics of the remaining training images
        try (IdxDataset.Splits data = IdxDataset.load(Path.of("/usr/share/datasets/fashion-mnist"), 0, 0, 10, 0.1, 1);
             Model model = ResidualMlp.builder().inputSize(784).classes(10).width(256).sections(12).seed(1).build()) {
            TrainConfig config = TrainConfig.defaultsFor(model).toBuilder()
                    .epochs(10)
                    .lambda(0.01)                      // or .tau(nats)
                    .build();
            try (Trainer trainer = Trainer.create(model, config)) {
                // per-epoch numbers on the validation set; the test set once, at the end
                TrainingResult result = trainer.fit(data.train(), data.validation(), data.test(),
                        new TrainingListener() {
                            @Override public void onEpoch(EpochEvent e) {
                                System.out.printf("epoch %d: validation accuracy %.4f, %d sections live%n",
                                        e.epoch(), e.validationAccuracyDeterministic(), e.liveSections());
                            }
                            @Override public void onPrune(PruneEvent e) {
                                System.out.println("section " + e.section() + " pruned at step " + e.step());
                            }
                        });
                System.out.printf("test accuracy %.4f, %d of %d sections kept%n",
                        result.testAccuracy(), result.sectionsKept(), result.sectionsTotal());
            }
            // raw pixels in (0..255, row-major): the model applies the normalisation it was trained with
            float[] image = new float[784];
            int label = model.classify(image, 1)[0];
            System.out.println("an all-black image is class " + label);
        }
        // END README
    }
}
