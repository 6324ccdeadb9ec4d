package io.layerprune.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.nio.file.Path;
import java.util.List;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.renderer.xy.XYStepRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The paper's figures as JFreeChart charts: theta of every section over training (fig. 3),
 * parameters over training (fig. 4), cumulative training load against the unpruned equivalent
 * (fig. 5), and a histogram of the sections that survived across runs.
 */
public final class Charts {
    /** Sections beyond which the theta chart drops its legend (it would cover the plot). */
    static final int MAX_LEGEND_SECTIONS = 16;

    private static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
        new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf),
        new Color(0x000000), new Color(0x6b8e23), new Color(0xff1493), new Color(0x00ced1), new Color(0x8b0000),
        new Color(0x4b0082)};

    private Charts() {}

    /** theta_l of every section against the training step. */
    public static JFreeChart theta(RunData run) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (int s = 0; s < run.sections(); s++) {
            XYSeries series = new XYSeries("section " + s, false, true);
            double[] th = run.theta()[s];
            for (int p = 0; p < run.points(); p++) {
                if (Double.isFinite(th[p])) {
                    series.add(run.steps()[p], th[p]);
                }
            }
            data.addSeries(series);
        }
        boolean legend = run.sections() <= MAX_LEGEND_SECTIONS;
        JFreeChart chart = ChartFactory.createXYLineChart("Gate probability theta of every section", "training step",
                "theta", data, PlotOrientation.VERTICAL, legend, false, false);
        XYPlot plot = style(chart, run);
        NumberAxis y = (NumberAxis) plot.getRangeAxis();
        y.setRange(-0.02, 1.02);
        y.setTickUnit(new NumberTickUnit(0.1, new java.text.DecimalFormat("0.0")));
        XYLineAndShapeRenderer r = lines(plot, run.sections());
        for (int s = 0; s < run.sections(); s++) {
            r.setSeriesPaint(s, color(s, run.sections()));
        }
        if (!legend) {
            chart.addSubtitle(new TextTitle(run.sections() + " sections (colour: section index, blue = first, "
                    + "red = last)", new Font(Font.SANS_SERIF, Font.PLAIN, 12)));
        }
        return chart;
    }

    /** Parameters held against the training step, with the final deterministic network's count marked. */
    public static JFreeChart params(RunData run) {
        Scale scale = Scale.of(max(run.params()), "", "thousand", "million", "billion");
        XYSeries series = new XYSeries("parameters held", false, true);
        for (int p = 0; p < run.points(); p++) {
            if (Double.isFinite(run.params()[p])) {
                series.add(run.steps()[p], run.params()[p] / scale.divisor);
            }
        }
        JFreeChart chart = ChartFactory.createXYLineChart("Parameters over training", "training step",
                "parameters" + scale.suffix(), new XYSeriesCollection(series), PlotOrientation.VERTICAL, true, false,
                false);
        XYPlot plot = style(chart, run);
        ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(true);
        // Parameters change only at pruning steps, which always have a row: a step line is exact.
        XYStepRenderer steps = new XYStepRenderer();
        steps.setSeriesStroke(0, new BasicStroke(2f));
        steps.setSeriesPaint(0, PALETTE[0]);
        plot.setRenderer(steps);
        if (run.finalParams() != null) {
            ValueMarker m = new ValueMarker(run.finalParams() / scale.divisor, new Color(0xd62728),
                    new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 1f, new float[] {6f, 4f}, 0f));
            m.setLabel(String.format("final deterministic network: %,d", run.finalParams()));
            m.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            m.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
            m.setLabelTextAnchor(TextAnchor.BOTTOM_RIGHT);
            m.setLabelBackgroundColor(new Color(255, 255, 255, 0));
            plot.addRangeMarker(m);
        }
        return chart;
    }

    /** Cumulative training FLOPs of the run against its unpruned equivalent. */
    public static JFreeChart trainingLoad(RunData run) {
        Scale scale = Scale.of(Math.max(max(run.flops()), max(run.flopsUnpruned())), "FLOPs", "kFLOPs", "MFLOPs",
                "GFLOPs", "TFLOPs", "PFLOPs");
        XYSeries pruned = new XYSeries("this run (pruning, estimator passes included)", false, true);
        XYSeries unpruned = new XYSeries("unpruned equivalent (every section, no estimator)", false, true);
        for (int p = 0; p < run.points(); p++) {
            if (Double.isFinite(run.flops()[p])) {
                pruned.add(run.steps()[p], run.flops()[p] / scale.divisor);
            }
            if (Double.isFinite(run.flopsUnpruned()[p])) {
                unpruned.add(run.steps()[p], run.flopsUnpruned()[p] / scale.divisor);
            }
        }
        XYSeriesCollection data = new XYSeriesCollection();
        data.addSeries(pruned);
        data.addSeries(unpruned);
        JFreeChart chart = ChartFactory.createXYLineChart("Cumulative training load", "training step",
                "training " + scale.unit, data, PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = style(chart, run);
        XYLineAndShapeRenderer r = lines(plot, 2);
        r.setSeriesPaint(0, PALETTE[0]);
        r.setSeriesPaint(1, new Color(0x7f7f7f));
        r.setSeriesStroke(1, new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 1f,
                new float[] {8f, 5f}, 0f));
        int last = run.points() - 1;
        double f = run.flops()[last];
        double u = run.flopsUnpruned()[last];
        if (Double.isFinite(f) && Double.isFinite(u) && u > 0) {
            chart.addSubtitle(new TextTitle(String.format("at the end: %.3g %s, %.2f of the unpruned equivalent",
                    f / scale.divisor, scale.unit, f / u), new Font(Font.SANS_SERIF, Font.PLAIN, 12)));
        }
        return chart;
    }

    /**
     * How many of the runs kept each section index. Runs that did not finish (no final sections)
     * must be left out by the caller.
     */
    public static JFreeChart survivors(List<RunData> runs) {
        int width = runs.stream().mapToInt(r -> r.survived().length).max().orElse(0);
        int[] kept = new int[width];
        for (RunData r : runs) {
            for (int i = 0; i < r.survived().length; i++) {
                kept[i] += r.survived()[i] ? 1 : 0;
            }
        }
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (int i = 0; i < width; i++) {
            data.addValue(kept[i], "runs that kept the section", Integer.toString(i));
        }
        JFreeChart chart = ChartFactory.createBarChart("Surviving sections across " + runs.size()
                + (runs.size() == 1 ? " run" : " runs"), "section index", "runs that kept it", data,
                PlotOrientation.VERTICAL, false, false, false);
        chart.setBackgroundPaint(Color.WHITE);
        CategoryPlot plot = chart.getCategoryPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(new Color(0xdddddd));
        NumberAxis y = (NumberAxis) plot.getRangeAxis();
        y.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        y.setRange(0, Math.max(1, runs.size()) + 0.3);
        BarRenderer r = (BarRenderer) plot.getRenderer();
        r.setBarPainter(new StandardBarPainter());
        r.setShadowVisible(false);
        r.setSeriesPaint(0, PALETTE[0]);
        r.setItemMargin(0);
        int total = runs.stream().mapToInt(x -> x.survived().length).sum();
        int sum = 0;
        for (int k : kept) {
            sum += k;
        }
        chart.addSubtitle(new TextTitle(String.format("%d of %d sections kept in all (mean %.1f per run)", sum, total,
                runs.isEmpty() ? 0.0 : (double) sum / runs.size()), new Font(Font.SANS_SERIF, Font.PLAIN, 12)));
        return chart;
    }

    private static XYPlot style(JFreeChart chart, RunData run) {
        chart.setBackgroundPaint(Color.WHITE);
        if (!run.description().isEmpty()) {
            Path r = run.report().toAbsolutePath().normalize();
            String where = r.getParent() != null && r.getParent().getFileName() != null
                    ? r.getParent().getFileName() + "/" + r.getFileName() : r.getFileName().toString();
            chart.addSubtitle(new TextTitle(run.description() + "  (" + where + ")",
                    new Font(Font.SANS_SERIF, Font.PLAIN, 12)));
        }
        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xdddddd));
        plot.setRangeGridlinePaint(new Color(0xdddddd));
        NumberAxis x = (NumberAxis) plot.getDomainAxis();
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        x.setAutoRangeIncludesZero(true);
        x.setLowerMargin(0);
        x.setUpperMargin(0.01);
        return plot;
    }

    private static XYLineAndShapeRenderer lines(XYPlot plot, int series) {
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
        // One path per series: dashes survive thousands of short segments, joins stay clean.
        r.setDrawSeriesLineAsPath(true);
        for (int s = 0; s < series; s++) {
            r.setSeriesStroke(s, new BasicStroke(2f));
        }
        plot.setRenderer(r);
        return r;
    }

    /** Distinct colours up to 16 sections; a blue-to-red ramp beyond. */
    private static Color color(int index, int count) {
        if (count <= PALETTE.length) {
            return PALETTE[index];
        }
        float t = count == 1 ? 0 : (float) index / (count - 1);
        return Color.getHSBColor(0.66f * (1 - t), 0.85f, 0.85f);
    }

    private static double max(double[] v) {
        double m = 0;
        for (double x : v) {
            if (Double.isFinite(x)) {
                m = Math.max(m, x);
            }
        }
        return m;
    }

    /** A unit by powers of 1000 so axis labels stay short ("1.2 TFLOPs", "598 thousand"). */
    private record Scale(double divisor, String unit) {
        static Scale of(double max, String... units) {
            int i = 0;
            double d = 1;
            while (i + 1 < units.length && max >= 1000 * d) {
                d *= 1000;
                i++;
            }
            return new Scale(d, units[i]);
        }

        String suffix() {
            return unit.isEmpty() ? "" : " (" + unit + ")";
        }
    }
}
