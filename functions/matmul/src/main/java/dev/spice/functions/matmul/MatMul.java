package dev.spice.functions.matmul;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The paper's Java function: C = A x B for square integer matrices (N = 1100 in its evaluation).
 * A POJO handler: the event maps to {@link Request}, the result to JSON. The matrices are either
 * given in the event ({@code a}, {@code b}; then C is returned) or generated from {@code n} and
 * {@code seed}; either way the result carries the sum of C's entries and, computed another way
 * (sum over k of A's column sum times B's row sum), the value it must equal, and whether they do
 * ({@code verified}, which the benchmark checks).
 */
public class MatMul {
    /** The event. */
    public static class Request {
        public int n;
        public long seed;
        public int[][] a;
        public int[][] b;
    }

    public Map<String, Object> multiply(Request r) {
        int[][] a = r.a != null ? r.a : generate(r.n, r.seed);
        int[][] b = r.b != null ? r.b : generate(r.n, r.seed + 1);
        int n = a.length;
        if (n == 0 || b.length != n || a[0].length != n || b[0].length != n) {
            throw new IllegalArgumentException("a and b must be square matrices of the same size, n >= 1");
        }
        long started = System.nanoTime();
        int[][] c = multiply(a, b);
        long nanos = System.nanoTime() - started;
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("n", n);
        long sum = sum(c), expected = sumByColumns(a, b);
        out.put("sum", sum);
        out.put("expected_sum", expected);
        out.put("verified", sum == expected);
        out.put("multiply_ms", nanos / 1_000_000.0);
        if (r.a != null) {
            out.put("c", c);
        }
        return out;
    }

    /** i-k-j order: the inner loop walks rows of B and C, so memory is read sequentially. */
    static int[][] multiply(int[][] a, int[][] b) {
        int n = a.length;
        int[][] c = new int[n][n];
        for (int i = 0; i < n; i++) {
            int[] ci = c[i];
            for (int k = 0; k < n; k++) {
                int aik = a[i][k];
                int[] bk = b[k];
                for (int j = 0; j < n; j++) {
                    ci[j] += aik * bk[j];
                }
            }
        }
        return c;
    }

    /** Entries in [0, 100): products and sums stay far from int overflow for N up to ~20,000. */
    static int[][] generate(int n, long seed) {
        if (n < 1 || n > 4096) {
            throw new IllegalArgumentException("n must be between 1 and 4096, not " + n);
        }
        SplittableRandom random = new SplittableRandom(seed);
        int[][] m = new int[n][n];
        for (int[] row : m) {
            for (int j = 0; j < n; j++) {
                row[j] = random.nextInt(100);
            }
        }
        return m;
    }

    private static long sum(int[][] m) {
        long s = 0;
        for (int[] row : m) {
            for (int v : row) {
                s += v;
            }
        }
        return s;
    }

    /** The sum of all of A x B without the product: sum over k of (column k of A) * (row k of B). */
    private static long sumByColumns(int[][] a, int[][] b) {
        int n = a.length;
        long s = 0;
        for (int k = 0; k < n; k++) {
            long column = 0, row = 0;
            for (int i = 0; i < n; i++) {
                column += a[i][k];
                row += b[k][i];
            }
            s += column * row;
        }
        return s;
    }
}
