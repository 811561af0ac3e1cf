package io.caiman.core.config;

/**
 * One gateway listener as configured.
 *
 * @param instance the advertised address ({@code listen} when not configured)
 */
public record EntrypointConfig(String protocol, HostPort listen, String cluster, HostPort instance) {}
