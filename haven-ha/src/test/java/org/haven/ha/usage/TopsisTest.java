package org.haven.ha.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class TopsisTest {
    @Test
    void dominatingAlternativeScoresOne() {
        double[] s = Topsis.score(new double[][] {{1, 1}, {2, 2}, {3, 3}}, new double[] {-1, -1});
        assertThat(s[0]).isEqualTo(1.0, within(1e-12));
        assertThat(s[2]).isEqualTo(0.0, within(1e-12));
        assertThat(s[1]).isBetween(0.0, 1.0);
        double[] m = Topsis.score(new double[][] {{1, 1}, {2, 2}, {3, 3}}, new double[] {1, 1});
        assertThat(m[2]).isEqualTo(1.0, within(1e-12));
    }

    @Test
    void identicalAlternativesScoreZero() {
        assertThat(Topsis.score(new double[][] {{2, 5}, {2, 5}}, new double[] {-1, 3})).containsExactly(0.0, 0.0);
    }

    @Test
    void rejectsBadInput() {
        assertThatThrownBy(() -> Topsis.score(new double[][] {{1}}, new double[] {0})).hasMessageContaining("weight");
        assertThatThrownBy(() -> Topsis.score(new double[][] {{Double.NaN}}, new double[] {1})).hasMessageContaining("non-finite");
    }

    @Test
    void scoresAreBoundedAndMonotone() {
        Random r = new Random(3);
        for (int i = 0; i < 2000; i++) {
            int alts = 2 + r.nextInt(5);
            double[][] m = new double[alts][3];
            for (double[] row : m) for (int c = 0; c < 3; c++) row[c] = 1 + r.nextDouble();
            double[] w = {-(1 + r.nextInt(5)), -(1 + r.nextInt(5)), -(1 + r.nextInt(5))};
            double[] s = Topsis.score(m, w);
            for (double v : s) assertThat(v).isBetween(0.0, 1.0);
            // making an alternative strictly better in every (minimized) criterion never lowers its score
            double[][] better = new double[alts][];
            for (int a = 0; a < alts; a++) better[a] = m[a].clone();
            for (int c = 0; c < 3; c++) better[0][c] = 0.5;
            assertThat(Topsis.score(better, w)[0]).isGreaterThanOrEqualTo(s[0] - 1e-12);
        }
    }
}
