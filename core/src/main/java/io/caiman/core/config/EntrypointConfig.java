package io.caiman.core.config;

/**
 * One gateway listener as configured.
 *
 * @param protocol {@code http}, {@code tcp} or {@code udp}
 * @param format for line listeners: {@code auto}, {@code graphite}, {@code influx} or {@code prometheus}
 * @param instance the advertised address ({@code listen} when not configured)
 */
public record EntrypointConfig(String protocol, String format, HostPort listen, String cluster, HostPort instance) {}
