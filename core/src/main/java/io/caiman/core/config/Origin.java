package io.caiman.core.config;

/**
 * Where a configuration value came from: a file and line, an environment variable, or a command-line
 * flag. Printed first in every problem so a person can go straight to it.
 *
 * @param source the file as the user named it, {@code env CAIMAN_…}, or {@code --set}
 * @param line 1-based line in {@code source}, or 0 when the source has no lines
 */
public record Origin(String source, int line) {

    @Override
    public String toString() {
        return line > 0 ? source + ":" + line : source;
    }
}
