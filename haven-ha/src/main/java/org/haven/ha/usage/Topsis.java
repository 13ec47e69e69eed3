package org.haven.ha.usage;

/**
 * TOPSIS multi-criteria ranking (technique for order of preference by similarity to the ideal solution),
 * as used by PVE's static resource scheduler.
 */
public final class Topsis {
    private Topsis() {}

    /**
     * Scores each alternative (row) between 0 and 1, higher is better. Negative weights mark criteria
     * where smaller values are better.
     */
    public static double[] score(double[][] matrix, double[] weights) {
        int n = weights.length;
        double divisor = 0.0;
        for (double w : weights) divisor += Math.abs(w);
        if (divisor == 0.0) throw new IllegalArgumentException("no criterion has a non-zero weight");
        double[] w = new double[n];
        boolean[] maximize = new boolean[n];
        for (int i = 0; i < n; i++) {
            w[i] = Math.abs(weights[i]) / divisor;
            maximize[i] = weights[i] >= 0.0;
        }
        for (double[] row : matrix) {
            for (double v : row) {
                if (!Double.isFinite(v)) throw new IllegalArgumentException("matrix contains non-finite value " + v);
            }
        }
        double[][] weighted = new double[matrix.length][];
        for (int a = 0; a < matrix.length; a++) weighted[a] = matrix[a].clone();
        for (int c = 0; c < n; c++) {
            double sum = 0.0;
            for (double[] row : matrix) sum += row[c] * row[c];
            double norm = Math.sqrt(sum);
            if (norm == 0.0) continue;
            for (double[] row : weighted) row[c] *= w[c] / norm;
        }
        double[] best = new double[n];
        double[] worst = new double[n];
        for (int c = 0; c < n; c++) {
            double min = Double.POSITIVE_INFINITY;
            double max = Double.NEGATIVE_INFINITY;
            for (double[] row : weighted) {
                min = Math.min(min, row[c]);
                max = Math.max(max, row[c]);
            }
            if (maximize[c]) { best[c] = max; worst[c] = min; } else { best[c] = min; worst[c] = max; }
        }
        double[] scores = new double[matrix.length];
        for (int a = 0; a < weighted.length; a++) {
            double dBest = 0.0;
            double dWorst = 0.0;
            for (int c = 0; c < n; c++) {
                double b = weighted[a][c] - best[c];
                double x = weighted[a][c] - worst[c];
                dBest += b * b;
                dWorst += x * x;
            }
            dBest = Math.sqrt(dBest);
            dWorst = Math.sqrt(dWorst);
            double div = dBest + dWorst;
            scores[a] = div == 0.0 ? 0.0 : dWorst / div;
        }
        return scores;
    }
}
