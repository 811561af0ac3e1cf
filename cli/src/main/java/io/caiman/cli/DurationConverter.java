package io.caiman.cli;

import io.caiman.core.config.SettingType;
import java.time.Duration;
import picocli.CommandLine;

/**
 * A duration option as the configuration writes durations ({@code 30s}, {@code 5m}, {@code 1h30m}); ISO-8601
 * ({@code PT30S}) is read too, as the options took it before. Named on each option, so that it holds however the
 * command line is built.
 */
final class DurationConverter implements CommandLine.ITypeConverter<Duration> {

    @Override
    public Duration convert(String text) {
        if (text.startsWith("P") || text.startsWith("p")) {
            return Duration.parse(text);
        }
        return SettingType.parseDuration(text);
    }
}
