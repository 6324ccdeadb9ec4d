package io.layerprune.examples.snippets;

// README: tabular imports
import io.layerprune.checkpoint.Checkpoint;
import io.layerprune.data.Dataset;
import io.layerprune.inference.ExportedModel;
import io.layerprune.model.Model;
import io.layerprune.model.zoo.ResidualMlp;
import io.layerprune.onnx.OnnxWriter;
import io.layerprune.train.EarlyStopping;
import io.layerprune.train.TrainConfig;
import io.layerprune.train.Trainer;
import io.layerprune.train.TrainingResult;
import java.io.IOException;
import java.nio.file.Path;
// END README

/**
 * The README's second Java example (section "Tabular data, prediction and files"): raw arrays in,
 * a validation split, standardisation fitted on the training part, early stopping, prediction on
 * raw arrays, checkpoint, export and ONNX. Compiled by the build and run by
 * {@code ReadmeSnippetsTest} on generated data.
 */
public final class TabularData {
    private TabularData() {}

    /**
     * Trains on {@code features} (one row of raw features per sample) and {@code labels} (in [0, 3)),
     * writes its files into {@code dir} and returns the predicted classes of the first ten rows.
     */
    public static int[] run(float[][] features, int[] labels, Path dir) throws IOException {
        // README: tabular
        int classes = 3;
        int dim = features[0].length;
        try (Dataset all = Dataset.of("tabular", features, labels, classes);     // raw, as given
             Dataset.Split raw = all.split(0.2, 42);                              // 80 % train, 20 % validation
             Dataset.Split data = raw.standardized();                             // mean/std of raw.train() only
             Model model = ResidualMlp.builder().inputSize(dim).classes(classes).width(64).sections(4).build();
             Trainer trainer = Trainer.create(model, TrainConfig.defaultsFor(model).toBuilder()
                     .epochs(50).batchSize(32).build())) {
            EarlyStopping early = EarlyStopping.on(trainer).patience(3);        // on the validation loss
            TrainingResult r = trainer.fit(data.train(), data.validation(), early);
            System.out.printf("validation accuracy %.3f after %d epochs%s, %d of %d sections kept%n",
                    r.validationAccuracy(), r.epochs().size(), r.stopped() ? " (stopped early)" : "",
                    r.sectionsKept(), r.sectionsTotal());

            // The model carries the normalizer: predict on raw features, flat (count x dim) or as a FloatBuffer
            float[] rows = new float[10 * dim];
            for (int i = 0; i < 10; i++) {
                System.arraycopy(features[i], 0, rows, i * dim, dim);
            }
            int[] predicted = model.classify(rows, 10);
            float[] probabilities = model.probabilities(rows, 10);   // 10 x 3, softmax of model.predict

            model.save(dir.resolve("model.lpckpt"));                 // weights, gates, normalizer
            try (Model back = Checkpoint.loadModel(dir.resolve("model.lpckpt"))) {
                System.out.println("restored, normalizer " + back.normalizer().orElseThrow());
            }
            try (ExportedModel exported = ExportedModel.of(model)) {   // pruned sections gone, maps folded
                exported.save(dir.resolve("model.lpexport"));
                OnnxWriter.write(exported, dir.resolve("model.onnx")); // starts with Sub/Div: raw features in
                System.out.println("exported: " + exported.summary().params() + " parameters, first class "
                        + exported.classify(rows, 10)[0] + ", p = " + probabilities[predicted[0]]);
            }
            return predicted;
        }
        // END README
    }
}
