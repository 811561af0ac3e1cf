package io.caiman.core.wire;

import io.caiman.core.model.Labels;

/**
 * What one series may carry, checked by every parser so a bad series is refused with its position.
 *
 * @param maxLabels the most labels besides the metric name
 * @param maxNameLength the longest metric or label name, in characters
 * @param maxValueLength the longest label value, in characters
 */
public record SampleLimits(int maxLabels, int maxNameLength, int maxValueLength) {

    /** Limits for tools and tests: far beyond what any sender needs. */
    public static final SampleLimits GENEROUS = new SampleLimits(10_000, 65_536, 1 << 20);

    /** The broken limit, or {@code null} when the series is within all of them. */
    public String check(String name, Labels labels) {
        if (labels.size() > maxLabels) {
            return "series " + name + " has " + labels.size() + " labels; the limit is " + maxLabels
                    + " (gateway.max_labels_per_series)";
        }
        if (name.length() > maxNameLength) {
            return "metric name " + abbreviate(name) + " is " + name.length() + " characters; the limit is "
                    + maxNameLength + " (gateway.max_label_name_length)";
        }
        for (int i = 0; i < labels.size(); i++) {
            if (labels.name(i).length() > maxNameLength) {
                return "label name " + abbreviate(labels.name(i)) + " is " + labels.name(i).length()
                        + " characters; the limit is " + maxNameLength + " (gateway.max_label_name_length)";
            }
            if (labels.value(i).length() > maxValueLength) {
                return "the value of label " + labels.name(i) + " is " + labels.value(i).length()
                        + " characters; the limit is " + maxValueLength + " (gateway.max_label_value_length)";
            }
        }
        return null;
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "…";
    }
}
