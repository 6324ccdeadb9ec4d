import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.layerprune.ExportedModel;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;

/** Runs an exported network and its ONNX file on 64 rows of N(0, 1) features; prints the largest difference. */
public class OrtCheck {
    public static void main(String[] args) throws Exception {
        Path lpx = Path.of(args[0]), onnx = Path.of(args[1]);
        int rows = 64;
        try (ExportedModel m = ExportedModel.load(lpx)) {
            java.util.Random rng = new java.util.Random(7);
            float[] x = new float[(int) (rows * m.inputSize())];  // standardised-like input
            for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
            float[] ours = m.predict(x, rows);
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            try (OrtSession session = env.createSession(onnx.toString(), new OrtSession.SessionOptions());
                    OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {rows, m.inputSize()});
                    OrtSession.Result r = session.run(Map.of("input", in))) {
                float[][] theirs = (float[][]) r.get(0).getValue();
                double maxAbs = 0, scale = 0;
                int agree = 0;
                for (int i = 0; i < rows; i++) {
                    int a = 0, b = 0;
                    for (int c = 0; c < m.classes(); c++) {
                        maxAbs = Math.max(maxAbs, Math.abs(theirs[i][c] - ours[i * m.classes() + c]));
                        scale = Math.max(scale, Math.abs(ours[i * m.classes() + c]));
                        if (ours[i * m.classes() + c] > ours[i * m.classes() + a]) a = c;
                        if (theirs[i][c] > theirs[i][b]) b = c;
                    }
                    agree += a == b ? 1 : 0;
                }
                System.out.printf("%s vs %s: %d rows, max |ONNX Runtime - ours| = %.3g (logit scale %.3g), same class %d/%d, architecture %s%n",
                        onnx.getFileName(), lpx.getFileName(), rows, maxAbs, scale, agree, rows, m.architectureJson());
            }
        }
    }
}
