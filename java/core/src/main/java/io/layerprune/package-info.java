/**
 * layerprune: training deep residual networks while pruning their useless layers (concurrent
 * training and layer pruning, Guenter &amp; Sideris 2024). The math contract is
 * {@code design/ALGORITHM.md}. This package holds what every layer shares: the exceptions
 * ({@link io.layerprune.LayerpruneException}, {@link io.layerprune.DataException}), the
 * {@link io.layerprune.Device}, the {@link io.layerprune.EvalMode} and the artifact's
 * {@link io.layerprune.BuildInfo}.
 *
 * <p>The API, bottom to top (each package uses only those before it):
 * {@link io.layerprune.runtime} (threads, version), {@link io.layerprune.data} (data sets,
 * normalisation, validation splits, IDX and CIFAR-10 readers), {@link io.layerprune.model}
 * (models, prediction) and {@link io.layerprune.model.zoo} (presets), {@link io.layerprune.train}
 * (trainer, configuration, listeners, events, early stopping), {@link io.layerprune.checkpoint}
 * (reading checkpoints back, resuming) and {@link io.layerprune.inference} (exported networks).
 *
 * <pre>{@code
 * Layerprune.setThreads(0);
 * try (IdxDataset.Splits data = IdxDataset.load(Path.of("/usr/share/datasets/fashion-mnist"), 0, 0, 10, 0.1, 1);
 *      Model model = ResidualMlp.builder().inputSize(784).classes(10).build();
 *      Trainer trainer = Trainer.create(model, TrainConfig.defaultsFor(model))) {
 *     TrainingResult r = trainer.fit(data.train(), data.validation(), data.test());
 *     System.out.println(r.testAccuracy() + " with " + r.sectionsKept() + "/" + r.sectionsTotal() + " sections");
 * }
 * }</pre>
 *
 * <p>Data sets, models, trainers, checkpoints and exported models own native memory: close them
 * (closing a model closes its trainers); any use after close throws
 * {@link java.lang.IllegalStateException}. None of them is thread-safe ({@code Trainer.stop()}
 * excepted). Native failures arrive as {@link io.layerprune.LayerpruneException} with the core's
 * message; bad arguments are caught first, as {@link java.lang.IllegalArgumentException} naming
 * the parameter and its value.
 */
package io.layerprune;
