package io.caiman.testing;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads numbers out of a process's {@code /metrics} text in tests and benchmarks. */
public final class MetricsText {

    private MetricsText() {}

    /**
     * The sum of every sample whose series (name and labels as written) matches {@code series}, a regex such as
     * {@code caiman_crawler_crawls_total\{[^}]*outcome="succeeded"[^}]*\}}; 0 if none does.
     */
    public static double sum(String text, String series) {
        Matcher m = Pattern.compile("(?m)^" + series + " (\\S+)$").matcher(text);
        double sum = 0;
        while (m.find()) {
            sum += Double.parseDouble(m.group(1));
        }
        return sum;
    }

    /** The sum of every sample of the metric {@code name}, whatever its labels. */
    public static double sumOf(String text, String name) {
        return sum(text, Pattern.quote(name) + "(?:\\{[^}]*\\})?");
    }
}
