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
            return tooManyLabels(name, labels.size());
        }
        if (name.length() > maxNameLength) {
            return nameTooLong("metric name", name);
        }
        for (int i = 0; i < labels.size(); i++) {
            if (labels.name(i).length() > maxNameLength) {
                return nameTooLong("label name", labels.name(i));
            }
            if (labels.value(i).length() > maxValueLength) {
                return valueTooLong(labels.name(i), labels.value(i).length());
            }
        }
        return null;
    }

    /** How {@link #check} words a series of {@code count} labels, over {@link #maxLabels}. */
    public String tooManyLabels(String name, int count) {
        return "series " + name + " has " + count + " labels; the limit is " + maxLabels
                + " (gateway.max_labels_per_series)";
    }

    /** How {@link #check} words a metric or label name ({@code what}) over {@link #maxNameLength}. */
    public String nameTooLong(String what, String name) {
        return what + " " + abbreviate(name) + " is " + name.length() + " characters; the limit is " + maxNameLength
                + " (gateway.max_label_name_length)";
    }

    /** How {@link #check} words a value of {@code chars} characters over {@link #maxValueLength}. */
    public String valueTooLong(String label, int chars) {
        return "the value of label " + label + " is " + chars + " characters; the limit is " + maxValueLength
                + " (gateway.max_label_value_length)";
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "…";
    }
}
